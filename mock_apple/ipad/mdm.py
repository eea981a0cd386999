"""The virtual iPad talking to its MDM (the portal): `portal_post` is the one HTTP boundary,
signed as the enrollment contract (issue 8) says; the portal's side is mdm/enrollment.py
and devices/identity.py. Tests replace `mdm.portal_post` with a fake portal."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

import requests
from django.core import signing

from mock_apple.ipad.identity import signed_headers
from mock_apple.models import (
    VirtualDevice,
)

PORTAL_TIMEOUT_SECONDS = 10
UNREACHABLE = "UNREACHABLE"


@dataclass(frozen=True)
class PortalAnswer:
    status: int  # 0 when the server could not be reached
    data: dict[str, Any]

    @property
    def code(self) -> str:
        return str(self.data.get("code") or "") if self.status else UNREACHABLE


def portal_post(virtual: VirtualDevice, url: str, payload: dict[str, Any]) -> PortalAnswer:
    """POST a signed JSON body to the MDM; any network failure or a non-JSON answer is
    'unreachable' (the device says « Could not connect to the server »)."""
    body = json.dumps(payload).encode()
    try:
        response = requests.post(
            url, data=body, headers=signed_headers(virtual, body), timeout=PORTAL_TIMEOUT_SECONDS
        )
    except requests.RequestException:
        return PortalAnswer(0, {})
    if response.status_code >= 500:
        return PortalAnswer(0, {})
    try:
        data = response.json()
    except ValueError:
        return PortalAnswer(0, {})
    return PortalAnswer(response.status_code, data if isinstance(data, dict) else {})


def ticket_upn(ticket: str) -> str:
    """The UPN inside a portal ticket (django.core.signing format), read without verifying: the
    device does not hold the portal's key, and the portal verifies the ticket anyway."""
    payload = ticket.split(":", 1)[0]
    compressed = payload.startswith(".")
    try:
        raw = signing.b64_decode(payload.lstrip(".").encode())
        data = json.loads(zlib.decompress(raw) if compressed else raw)
    except (ValueError, zlib.error):
        return ""
    return str(data.get("upn", "")) if isinstance(data, dict) else ""
