"""Who may open a virtual device's page: someone signed in to the device's organisation, or
the holder of the device's own link (the portal's *Distribute* button).

The link carries ?key=<k>, k = HMAC-SHA256 keyed with settings.MOCK_APPLE_CONTROL_TOKEN over
"ipad-link:" + serial, in hexadecimal, its first 32 digits: the portal, which shares that secret,
computes the same without asking the mock. A valid key is remembered in the browser's session
so that the page's own requests (htmx actions, the sign-in web view's return) need no key.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

KEY_LENGTH = 32
SESSION_KEY = "ipad_serials"
REMEMBERED = 50  # serials a browser keeps access to (a trainer opens a few devices at a time)


def device_link_key(serial: str) -> str:
    """The key of a device's link ("" when no control secret is configured: no link works)."""
    secret = settings.MOCK_APPLE_CONTROL_TOKEN
    if not secret:
        return ""
    digest = hmac.new(secret.encode(), b"ipad-link:" + serial.encode(), hashlib.sha256)
    return digest.hexdigest()[:KEY_LENGTH]


def device_link_valid(serial: str, key: str) -> bool:
    expected = device_link_key(serial)
    return bool(expected) and constant_time_compare(key.strip().lower(), expected)


def device_link_remember(request: HttpRequest, serial: str) -> None:
    remembered = [item for item in device_links_remembered(request) if item != serial]
    request.session[SESSION_KEY] = [*remembered, serial][-REMEMBERED:]


def device_links_remembered(request: HttpRequest) -> list[str]:
    value = request.session.get(SESSION_KEY, [])
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
