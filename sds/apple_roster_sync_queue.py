"""Asking for syncs to Apple School Manager: the "Sync to Apple School Manager" command, and the
syncs that follow an accepted import or a token newly shared with School Data Sync. Each sync
is a row, and a task the worker runs (`sds.apple_roster_sync`)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from asm_portal import clock, roles
from asm_portal.models import AuditEvent
from asm_portal.refusals import Refusal
from asm_portal.roles import Actor
from asm_portal.services import audit_record
from sds.models import AppleRosterSync, RosterUpload, SyncProfile
from sds.sharing import token_sds_shared
from sds.tasks import apple_roster_sync_enqueue_on_commit
from tokens.models import EnrollmentProgramToken


class AppleRosterSyncError(Refusal):
    """A sync that cannot be asked for (no token shared, nothing imported); the message is translated."""


def _profiles_with_roster() -> list[SyncProfile]:
    return list(
        SyncProfile.objects.filter(uploads__state=RosterUpload.State.SUCCEEDED).distinct().order_by("name")
    )


def _apple_roster_sync_queue(
    *,
    profile: SyncProfile,
    token: EnrollmentProgramToken,
    trigger: str,
    requested_by: User | None,
    language: str,
    upload: RosterUpload | None = None,
) -> AppleRosterSync:
    sync = AppleRosterSync.objects.create(
        profile=profile,
        upload=upload,
        token=token,
        token_name=token.token_name,
        trigger=trigger,
        requested_by=requested_by,
        language=language or settings.LANGUAGE_CODE,
        created_at=clock.now(),
    )
    apple_roster_sync_enqueue_on_commit(sync_id=sync.pk)
    return sync


def apple_roster_sync_request(*, actor: Actor, language: str = "") -> list[AppleRosterSync]:
    """The "Sync to Apple School Manager" command: every sync profile's roster, through the shared token."""
    roles.require_change_permission(actor)
    token = token_sds_shared()
    if token is None:
        raise AppleRosterSyncError(
            _(
                "No enrollment program token is shared with School Data Sync. Allow School Data Sync on an "
                "Apple School Manager token first."
            )
        )
    profiles = _profiles_with_roster()
    if not profiles:
        raise AppleRosterSyncError(_("No roster has been imported yet: upload one first."))
    user = actor if isinstance(actor, User) else None
    with transaction.atomic():
        syncs = [
            _apple_roster_sync_queue(
                profile=profile,
                token=token,
                trigger=AppleRosterSync.Trigger.MANUAL,
                requested_by=user,
                language=language,
            )
            for profile in profiles
        ]
        audit_record(
            actor=actor,
            category=AuditEvent.Category.SCHOOL_DATA_SYNC,
            action=gettext_noop("Sync rosters to Apple School Manager"),
            target=token,
            target_type=gettext_noop("Enrollment program token"),
            details={
                "profiles": [profile.name for profile in profiles],
                "syncs": [sync.pk for sync in syncs],
            },
        )
    return syncs


def apple_roster_sync_after_import(*, profile: SyncProfile, upload: RosterUpload) -> AppleRosterSync | None:
    """An accepted import goes on to Apple School Manager when a token is shared with SDS."""
    token = token_sds_shared()
    if token is None:
        return None
    return _apple_roster_sync_queue(
        profile=profile,
        token=token,
        trigger=AppleRosterSync.Trigger.IMPORT,
        requested_by=upload.uploaded_by,
        language=upload.language,
        upload=upload,
    )


def apple_roster_sync_after_sharing(
    *, token: EnrollmentProgramToken, actor: User | None, language: str = ""
) -> list[AppleRosterSync]:
    """A token newly shared with SDS receives the rosters already imported."""
    return [
        _apple_roster_sync_queue(
            profile=profile,
            token=token,
            trigger=AppleRosterSync.Trigger.SHARED,
            requested_by=actor,
            language=language,
        )
        for profile in _profiles_with_roster()
    ]
