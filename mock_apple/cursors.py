"""Opaque, signed cursors of the device fetch walk and of the sync feed.

A cursor carries everything the mock needs, so no cursor state is stored: its kind, the MDM
server, the position in the walk or the feed, the snapshot (the feed position when the walk
started) and when it was issued. An HMAC makes any edited or made-up cursor INVALID_CURSOR.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from django.conf import settings

FETCH = "F"
SYNC = "S"
_MAC_BYTES = 12


class CursorError(ValueError):
    pass


@dataclass(frozen=True)
class Cursor:
    kind: str  # FETCH or SYNC
    server_id: int
    # FETCH: the last device id served; SYNC: the last event id served.
    position: int
    # The feed position when the fetch walk started; a sync from a fetch cursor starts there.
    snapshot: int
    issued_at: datetime
    exhausted: bool = False

    def reissued(self, *, position: int, issued_at: datetime, exhausted: bool = False) -> Cursor:
        return replace(self, position=position, issued_at=issued_at, exhausted=exhausted)


def _key() -> bytes:
    return hashlib.sha256(f"mock_apple.cursor:{settings.SECRET_KEY}".encode()).digest()


def encode(cursor: Cursor) -> str:
    millis = int(cursor.issued_at.timestamp() * 1000)
    payload = (
        f"{cursor.kind}:{cursor.server_id}:{cursor.position}:{cursor.snapshot}:{millis}:{int(cursor.exhausted)}"
    ).encode()
    mac = hmac.new(_key(), payload, hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(payload + mac).decode().rstrip("=")


def decode(value: str) -> Cursor:
    if not value or len(value) > 1000:
        raise CursorError("empty or too long")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise CursorError("not base64") from exc
    payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    expected = hmac.new(_key(), payload, hashlib.sha256).digest()[:_MAC_BYTES]
    if len(raw) <= _MAC_BYTES or not hmac.compare_digest(mac, expected):
        raise CursorError("bad signature")
    try:
        kind, server, position, snapshot, millis, exhausted = payload.decode().split(":")
        return Cursor(
            kind=kind,
            server_id=int(server),
            position=int(position),
            snapshot=int(snapshot),
            issued_at=datetime.fromtimestamp(int(millis) / 1000, tz=UTC),
            exhausted=exhausted == "1",
        )
    except ValueError as exc:  # a signed payload is always well formed; be safe anyway
        raise CursorError("malformed") from exc
