"""School Data Sync follows the roster imports and the token's sharing: both enqueue a sync to
Apple School Manager (they run after the commit that caused them)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.contrib.auth.models import User
from django.utils import translation

from sds import apple_roster_sync_queue
from sds.models import RosterUpload, SyncProfile
from tokens.models import EnrollmentProgramToken

# A trainer's scenario reset sends the roster to Apple itself, inside its own transaction; while it
# runs, these receivers leave the sync to it. A context variable rather than disconnecting the
# receivers: a request served by another thread at the same moment still queues its sync.
_suppressed: ContextVar[bool] = ContextVar("sds_roster_sync_suppressed", default=False)


@contextmanager
def roster_syncs_suppressed() -> Iterator[None]:
    marker = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(marker)


def roster_imported(sender: Any, *, profile: SyncProfile, upload: RosterUpload, **kwargs: Any) -> None:
    if _suppressed.get():
        return
    apple_roster_sync_queue.apple_roster_sync_after_import(profile=profile, upload=upload)


def sds_sharing_changed(
    sender: Any, *, token: EnrollmentProgramToken, shared: bool, actor: Any = None, **kwargs: Any
) -> None:
    # Blocking needs nothing here: a queued sync finds the token no longer shared and stops.
    if shared and not _suppressed.get():
        apple_roster_sync_queue.apple_roster_sync_after_sharing(
            token=token,
            actor=actor if isinstance(actor, User) else None,
            language=translation.get_language() or "",
        )
