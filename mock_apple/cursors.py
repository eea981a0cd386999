"""Opaque, signed cursors of the device fetch walk and of the sync feed.

A cursor carries everything the mock needs, so no cursor state is stored: its kind, the MDM
server, the position in the walk or the feed, the snapshot (the feed position when the walk
started) and when it was issued, signed with django.core.signing: any edited, made-up or
foreign cursor is INVALID_CURSOR.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from django.core import signing

FETCH = "F"
SYNC = "S"


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


def _signer() -> signing.Signer:
    # Django's signing (HMAC-SHA256 under SECRET_KEY) with a salt of its own, so that no other
    # signed value of the mock is ever a valid cursor; "." keeps the cursor URL-safe.
    return signing.Signer(salt="mock_apple.cursors.Cursor", sep=".")


def encode(cursor: Cursor) -> str:
    millis = int(cursor.issued_at.timestamp() * 1000)
    fields = [cursor.kind, cursor.server_id, cursor.position, cursor.snapshot, millis, int(cursor.exhausted)]
    return _signer().sign_object(fields)


def decode(value: str) -> Cursor:
    """The cursor, or CursorError for anything this mock did not sign (a cursor of an older
    format included: the client gets INVALID_CURSOR once and starts a new fetch walk)."""
    if not value or len(value) > 1000:
        raise CursorError("empty or too long")
    try:
        fields = _signer().unsign_object(value)
    except (signing.BadSignature, ValueError) as exc:
        raise CursorError("bad signature") from exc
    try:
        kind, server, position, snapshot, millis, exhausted = fields
        return Cursor(
            kind=str(kind),
            server_id=int(server),
            position=int(position),
            snapshot=int(snapshot),
            issued_at=datetime.fromtimestamp(int(millis) / 1000, tz=UTC),
            exhausted=bool(exhausted),
        )
    except (TypeError, ValueError) as exc:  # a signed payload is always well formed; be safe anyway
        raise CursorError("malformed") from exc
