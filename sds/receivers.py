"""School Data Sync follows the roster imports and the token's sharing: both enqueue a sync to
Apple School Manager (they run after the commit that caused them)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.utils import translation

from sds import services
from sds.models import RosterUpload, SyncProfile
from tokens.models import EnrollmentProgramToken


def roster_imported(sender: Any, *, profile: SyncProfile, upload: RosterUpload, **kwargs: Any) -> None:
    services.apple_roster_sync_after_import(profile=profile, upload=upload)


def sds_sharing_changed(
    sender: Any, *, token: EnrollmentProgramToken, shared: bool, actor: Any = None, **kwargs: Any
) -> None:
    # Blocking needs nothing here: a queued sync finds the token no longer shared and stops.
    if shared:
        services.apple_roster_sync_after_sharing(
            token=token,
            actor=actor if isinstance(actor, User) else None,
            language=translation.get_language() or "",
        )
