"""Asking for a sync: the administrator's Request sync (refused inside the rules' windows) and
the portal's own (token upload or renewal). Each creates a run and sends `sync_run_task` after
commit; `devices.sync` runs it."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from asm_portal import roles
from asm_portal.models import AuditEvent
from asm_portal.roles import Actor
from asm_portal.services import audit_record
from devices.models import SyncRun
from devices.sync_rules import SyncRefused, sync_availability, sync_run_create, sync_runs_expire_overdue
from devices.tasks import sync_run_enqueue
from tokens.models import EnrollmentProgramToken

AUDIT_TOKEN = gettext_noop("Enrollment program token")


def sync_request(*, actor: Actor, token: EnrollmentProgramToken) -> SyncRun:
    """Request sync (the Sync blade): refused with the time left while the rules say so."""
    roles.require_change_permission(actor)
    with transaction.atomic():
        sync_runs_expire_overdue(token_id=token.pk)
        availability = sync_availability(token=token)
        if not availability.allowed:
            raise SyncRefused(availability.reason, availability.available_at)
        user = actor if isinstance(actor, User) else None
        run = sync_run_create(token=token, trigger=SyncRun.Trigger.MANUAL, requested_by=user)
        if run is None:
            raise SyncRefused(_("A sync of this token is already in progress."))
        transaction.on_commit(lambda: sync_run_enqueue(run_id=run.pk))
        EnrollmentProgramToken.objects.filter(pk=token.pk).update(last_sync_requested_at=run.requested_at)
        token.last_sync_requested_at = run.requested_at
        audit_record(
            actor=actor,
            category=AuditEvent.Category.ENROLLMENT,
            action=gettext_noop("Request sync of enrollment program token"),
            target=token,
            target_type=AUDIT_TOKEN,
            details={"reason": "Sync requested", "kind": run.kind},
        )
    return run


def sync_queue(
    *, token: EnrollmentProgramToken, trigger: str, requested_by: User | None = None
) -> SyncRun | None:
    """A sync the portal asks for itself (token upload or renewal): no refusal, but never a
    second run while one is in progress. Call inside a transaction."""
    with transaction.atomic():
        sync_runs_expire_overdue(token_id=token.pk)
        run = sync_run_create(token=token, trigger=trigger, requested_by=requested_by)
        if run is not None:
            transaction.on_commit(lambda: sync_run_enqueue(run_id=run.pk))
        return run
