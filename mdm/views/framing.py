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
        response["Content-Security-Policy"] = f"frame-ancestors 'self' {settings.APPLE_PUBLIC_URL}"
        return response

    return xframe_options_exempt(wrapper)
