"""What every MDM device endpoint shares: bounded bodies and plain-text refusals.

A device is never answered 401 (an iPad unenrolls on a 401): a request that does not prove
the device's identity is a 400 (as nanomdm answers), an unknown device a 403 with Apple's
`com.apple.unrecognized.device` code only where the device must unenroll.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _


def refusal(status: int, message: str) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def body_or_refusal(request: HttpRequest, limit: int) -> bytes | HttpResponse:
    """The request body, or 413 when it is (or claims to be) larger than `limit`."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return refusal(413, _("The request body is too large."))
    body = request.read(limit + 1)
    if len(body) > limit:
        return refusal(413, _("The request body is too large."))
    return body
