"""Which organisation the mock acts for: every trainee has an Apple School Manager organisation
of their own, with its own clock, switches (MockConfig) and queued faults.

The entry points set it for the time of a call: the DEP API from the server token or the
X-ADM-Auth-Session, the School Manager API from its access token, the ASM portal from the
signed-in account, /ipad/ from the device, the control API from X-Mock-Organization. Code that
runs outside them (tests, management commands) acts for the default organisation, the oldest
(see mock_apple.models.current_organization_id). This module holds only the context variable:
the models read it, so it may not import them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_acting: ContextVar[int | None] = ContextVar("mock_apple_organization", default=None)


def acting_organization_id() -> int | None:
    """The pk of the organisation set by the entry point, None outside one."""
    return _acting.get()


@contextmanager
def acting_for(organization_id: int | None) -> Iterator[None]:
    """Act for this organisation (None: the default one) until the block ends."""
    token = _acting.set(organization_id)
    try:
        yield
    finally:
        _acting.reset(token)
