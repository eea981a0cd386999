"""Celery tasks of the sds app, how they are sent, and the reconciler's part for its jobs."""

from __future__ import annotations

from functools import partial

from celery import shared_task

from asm_portal.jobs import job_send, job_send_on_commit, jobs_to_resend, stale_before
from asm_portal.tenancy import require_tenant, tenant_scope
from sds.apple_roster_sync import apple_roster_sync_fail, apple_roster_sync_run
from sds.models import AppleRosterSync, RosterUpload
from sds.roster_import import roster_upload_fail, roster_upload_process


@shared_task(name="sds.tasks.roster_upload_process_task")
def roster_upload_process_task(tenant_id: int, upload_id: int) -> None:
    """Validate and import a roster upload; progress and the report live in its own rows."""
    with tenant_scope(tenant_id):
        try:
            roster_upload_process(upload_id=upload_id)
        except Exception:
            # A crash or the time limit: the upload must not stay "importing" for ever.
            roster_upload_fail(upload_id=upload_id)
            raise


@shared_task(name="sds.tasks.apple_roster_sync_task")
def apple_roster_sync_task(tenant_id: int, sync_id: int) -> None:
    """Send a sync profile's roster to Apple School Manager; progress lives in its own row."""
    with tenant_scope(tenant_id):
        try:
            apple_roster_sync_run(sync_id=sync_id)
        except Exception:
            apple_roster_sync_fail(sync_id=sync_id)
            raise


def roster_upload_enqueue_on_commit(*, upload_id: int) -> None:
    tenant_id = require_tenant().pk
    job_send_on_commit(lambda: roster_upload_process_task.delay(tenant_id, upload_id))


def apple_roster_sync_enqueue_on_commit(*, sync_id: int) -> None:
    tenant_id = require_tenant().pk
    job_send_on_commit(lambda: apple_roster_sync_task.delay(tenant_id, sync_id))


def sds_jobs_reconcile() -> int:
    """The reconciler's part (asm_portal.jobs), in a tenant's scope: queued uploads and roster
    syncs nobody started, and those a worker started whose lease expired or whose owner process
    is gone, are sent again. The task takes the lease over and resumes (an upload from its
    validation, a roster sync after its last counted batch), or ends the job failed with its
    reason once it has been lost JOBS_MAX_ATTEMPTS times."""
    tenant_id = require_tenant().pk
    stale = stale_before()
    uploads = RosterUpload.objects.all()
    syncs = AppleRosterSync.objects.all()
    sent = 0
    for upload_id in jobs_to_resend(
        queued=uploads.filter(state=RosterUpload.State.QUEUED, created_at__lte=stale),
        running=uploads.filter(state__in=[RosterUpload.State.VALIDATING, RosterUpload.State.IMPORTING]),
    ):
        sent += job_send(partial(roster_upload_process_task.delay, tenant_id, upload_id))
    for sync_id in jobs_to_resend(
        queued=syncs.filter(state=AppleRosterSync.State.QUEUED, created_at__lte=stale),
        running=syncs.filter(state=AppleRosterSync.State.RUNNING),
    ):
        sent += job_send(partial(apple_roster_sync_task.delay, tenant_id, sync_id))
    return sent
