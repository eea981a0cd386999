"""The *Distribute* link: the virtual device on the mock Apple side, where it is powered on.

Apple's side opens a device page to someone signed in to the device's organisation, or to the
holder of the device's own link: `?key=` the hex HMAC-SHA256, keyed with the control secret both
sides share (MOCK_APPLE_CONTROL_TOKEN), of "ipad-link:" + serial, its first 32 digits. The
portal computes it here (it never imports the mock), so a trainee's button opens their own
device and nobody can guess another's.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote, urlencode

from django.conf import settings

KEY_LENGTH = 32


def device_link_key(serial: str) -> str:
    secret = settings.MOCK_APPLE_CONTROL_TOKEN
    if not secret:
        return ""
    digest = hmac.new(secret.encode(), b"ipad-link:" + serial.encode(), hashlib.sha256)
    return digest.hexdigest()[:KEY_LENGTH]


def distribute_url(serial: str) -> str:
    url = f"{settings.APPLE_PUBLIC_URL}/ipad/{quote(serial, safe='')}/"
    key = device_link_key(serial)
    return f"{url}?{urlencode({'key': key})}" if key else url
