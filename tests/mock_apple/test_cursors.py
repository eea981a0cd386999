"""Cursors of the fetch walk and the sync feed: signed with django.core.signing, opaque, URL-safe."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.core import signing

from mock_apple import cursors

ISSUED = datetime(2026, 3, 1, 8, 30, 15, 250000, tzinfo=UTC)


def former_format(payload: str) -> str:
    """A cursor as the mock signed them before django.core.signing (a hand-made HMAC)."""
    key = hashlib.sha256(f"mock_apple.cursor:{settings.SECRET_KEY}".encode()).digest()
    mac = hmac.new(key, payload.encode(), hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(payload.encode() + mac).decode().rstrip("=")


class CursorTests:
    def test_it_round_trips_and_is_url_safe(self) -> None:
        cursor = cursors.Cursor(cursors.FETCH, 7, 120, 3400, ISSUED, exhausted=True)
        value = cursors.encode(cursor)
        assert re.fullmatch(r"[A-Za-z0-9_.-]+", value)
        assert cursors.decode(value) == cursor

    def test_an_edited_cursor_is_refused(self) -> None:
        value = cursors.encode(cursors.Cursor(cursors.SYNC, 7, 120, 3400, ISSUED))
        payload, signature = value.split(".")
        forged = signing.b64_encode(b'["S",8,120,3400,1772353815250,0]').decode()
        with pytest.raises(cursors.CursorError):
            cursors.decode(f"{forged}.{signature}")

    @pytest.mark.parametrize(
        "value",
        [
            former_format("F:7:120:3400:1772353815250:0"),  # issued before the change: once INVALID_CURSOR
            signing.dumps(["F", 7, 120, 3400, 1772353815250, 0]),  # signed, but not as a cursor
            signing.Signer(sep=".").sign_object(["F", 7, 120, 3400, 1772353815250, 0]),  # no salt
            "",
            "x" * 1001,
        ],
    )
    def test_anything_the_mock_did_not_sign_as_a_cursor_is_refused(self, value: str) -> None:
        with pytest.raises(cursors.CursorError):
            cursors.decode(value)
