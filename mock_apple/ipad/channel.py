"""The device → MDM messages of the protocol: check-ins (PUT CheckInURL, typed
application/x-apple-aspen-mdm-checkin) and ServerURL reports (PUT), each with the
`Mdm-Signature` header when the profile's SignMessage asks; and the command log they fill."""

from __future__ import annotations

import base64
import plistlib
from datetime import datetime
from typing import Any

import requests

from mock_apple import clock
from mock_apple.ipad import cms
from mock_apple.ipad.keys import mdm_identity
from mock_apple.ipad.transport import DeviceHttp
from mock_apple.models import MdmExchange, VirtualDevice

CHECKIN_CONTENT_TYPE = "application/x-apple-aspen-mdm-checkin"
PLIST_LOG_LIMIT = 200_000  # characters of a plist kept in the log


def plist_text(value: dict[str, Any] | None) -> str:
    """A plist as the log shows it: XML, binary data abbreviated by plistlib's base64."""
    if value is None:
        return ""
    try:
        return plistlib.dumps(value).decode("utf-8", "replace")[:PLIST_LOG_LIMIT]
    except (TypeError, OverflowError):
        return repr(value)[:PLIST_LOG_LIMIT]


def signature_header(virtual: VirtualDevice, body: bytes) -> str:
    """Mdm-Signature: base64 of a detached CMS SignedData over the exact body, by the identity."""
    certificate, key = mdm_identity(virtual)
    return base64.b64encode(cms.sign(body, certificate, key, detached=True)).decode()


def mdm_put(
    virtual: VirtualDevice, http: DeviceHttp, *, message: dict[str, Any], checkin: bool
) -> requests.Response:
    """PUT one message to the MDM (raises transport.Unreachable)."""
    payload = virtual.mdm_payload or {}
    url = str(payload.get("CheckInURL") or payload.get("ServerURL")) if checkin else str(payload["ServerURL"])
    body = plistlib.dumps(message)
    headers = {"Content-Type": CHECKIN_CONTENT_TYPE if checkin else "application/x-apple-plist"}
    if payload.get("SignMessage"):
        headers["Mdm-Signature"] = signature_header(virtual, body)
    return http.request("PUT", url, data=body, headers=headers)


def exchange_log(
    virtual: VirtualDevice,
    *,
    kind: str,
    request_type: str,
    request: dict[str, Any] | None = None,
    reply: dict[str, Any] | None = None,
    http_status: int = 0,
    status: str = "",
    command_uuid: str = "",
    received_at: datetime | None = None,
) -> MdmExchange:
    """One line of the device's command log, plists kept for display."""
    now = clock.now()
    return MdmExchange.objects.create(
        virtual_device=virtual,
        kind=kind,
        request_type=request_type[:64],
        command_uuid=command_uuid[:128],
        status=status[:32],
        http_status=max(0, min(http_status, 999)),
        request_plist=plist_text(request),
        reply_plist=plist_text(reply),
        received_at=received_at or now,
        replied_at=now,
    )
