"""DEP API sessions: the X-ADM-Auth-Session values handed out by GET /session, stored as
digests, with their lifetime and rotation."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from mock_apple import clock
from mock_apple.models import (
    AuthSession,
    ServerToken,
)


def session_open(*, server_token: ServerToken, ttl_seconds: int) -> str:
    value = secrets.token_urlsafe(32)
    now = clock.now()
    AuthSession.objects.create(
        token_digest=_digest(value),
        server_token=server_token,
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds),
    )
    # Housekeeping on the way: sessions long expired.
    AuthSession.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    return value


def session_find(value: str) -> AuthSession | None:
    if not value:
        return None
    session = (
        AuthSession.objects.select_related(
            "server_token__mdm_server__organization", "server_token__issued_by"
        )
        .filter(token_digest=_digest(value))
        .first()
    )
    if session is None or session.expires_at <= clock.now():
        return None
    return session


def session_organization_id(value: str) -> int | None:
    """The organisation of a session value, expired or not: whose clock and faults the call
    meets before the session itself is checked."""
    if not value:
        return None
    return (
        AuthSession.objects.filter(token_digest=_digest(value))
        .values_list("server_token__mdm_server__organization_id", flat=True)
        .first()
    )


def token_organization_id(consumer_key: str) -> int | None:
    """The organisation of a server token's consumer key (GET /session, before the signature)."""
    return (
        ServerToken.objects.filter(consumer_key=consumer_key)
        .values_list("mdm_server__organization_id", flat=True)
        .first()
    )


ROTATION_GRACE = timedelta(seconds=30)


def session_rotate(*, session: AuthSession, ttl_seconds: int) -> str:
    """A new session for the same token; the old one lives on briefly for calls in flight."""
    value = session_open(server_token=session.server_token, ttl_seconds=ttl_seconds)
    grace = clock.now() + ROTATION_GRACE
    AuthSession.objects.filter(pk=session.pk, expires_at__gt=grace).update(expires_at=grace)
    return value


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
