"""The device's pages shown in an iframe of the virtual device (on APPLE_PUBLIC_URL)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.clickjacking import xframe_options_exempt

View = Callable[..., HttpResponse]


def framable_by_apple(view: View) -> View:
    """Pages the virtual device shows in an iframe: only APPLE_PUBLIC_URL may frame them."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        # django-csp writes the portal's policy with this frame-ancestors in place of 'none'.
        response._csp_replace = {"frame-ancestors": ["'self'", settings.APPLE_PUBLIC_URL]}  # type: ignore[attr-defined]
        return response

    return xframe_options_exempt(wrapper)
