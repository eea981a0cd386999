"""Celery tasks of the devices app, and the helpers that send them.

Each task takes ids and calls the module that does the work (`devices.sync`,
`devices.assignment_rounds`, `devices.deletion`); the modules that *ask* for work
(`devices.sync_requests`, `devices.assignment`) send the tasks through the helpers here, so
nothing imports back: requests → tasks → work.

The rows are the truth, the messages only wake-ups (asm_portal.jobs): a message the broker
cannot take leaves the row queued, and `devices_jobs_reconcile` (beat, each worker's start)
sends again the runs and assignments nobody is doing. Syncs and assignments run with acks_late
(settings) under a lease: a second delivery resumes, never repeats.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from typing import Any

from celery import Task, shared_task
from django.db import transaction

from asm_portal import clock
from asm_portal.jobs import job_send, stale_before
from asm_portal.models import Tenant
from asm_portal.tenancy import require_tenant, tenant_scope
from devices.assignment_rounds import (
    assignment_run,
    assignments_to_resend,
    default_profile_assignments_create,
    profile_reassign_after_edit,
)
from devices.counts import device_tallies_compact
from devices.deletion import removed_devices_purge
from devices.models import SyncRun
from devices.sync import Outcome, sync_run_execute
from devices.sync_rules import (
    sync_run_create,
    sync_run_notify,
    sync_runs_expire_overdue,
    sync_runs_to_resend,
    syncs_due_tokens,
)

logger = logging.getLogger(__name__)


def _same_queue(task: Task[Any, Any]) -> dict[str, Any]:
    """Follow-up tasks go to the queue this one came from (workers may consume a private queue)."""
    routing_key = (task.request.delivery_info or {}).get("routing_key")
    return {"queue": routing_key} if routing_key else {}


# --- Sending ----------------------------------------------------------------------------------


def _send(task: Task[Any, Any], object_id: int, *, queue: str | None, countdown: float | None) -> None:
    """The task gets the tenant of the scope that sends it with the object's id. A broker that
    cannot take the message leaves the row queued for the reconciler (never a 500)."""
    options: dict[str, Any] = {}
    if queue:
        options["queue"] = queue
    if countdown:
        options["countdown"] = countdown
    tenant_id = require_tenant().pk
    job_send(lambda: task.apply_async((tenant_id, object_id), **options))


def sync_run_enqueue(*, run_id: int, queue: str | None = None, countdown: float | None = None) -> None:
    _send(sync_run_task, run_id, queue=queue, countdown=countdown)


def assignment_enqueue(
    *, assignment_id: int, countdown: float | None = None, queue: str | None = None
) -> None:
    _send(profile_assignment_task, assignment_id, queue=queue, countdown=countdown)


def sync_run(*, run_id: int) -> Outcome:
    """What the sync task does: run it, tell whoever asked for it, then give the token's default
    profile to the devices the sync brought without one."""
    outcome = sync_run_execute(run_id=run_id, on_finish=sync_run_notify)
    run = SyncRun.objects.filter(pk=run_id).only("state", "token_id").first()
    if run is not None and run.state == SyncRun.State.SUCCEEDED:
        for assignment in default_profile_assignments_create(token_id=run.token_id):
            transaction.on_commit(partial(assignment_enqueue, assignment_id=assignment.pk))
    return outcome


def syncs_due_queue(*, now: datetime | None = None) -> int:
    """The automatic delta sync of every token of this tenant whose last request is
    SYNC_DELTA_INTERVAL old."""
    now = now or clock.now()
    sync_runs_expire_overdue()
    queued = 0
    for token in syncs_due_tokens(now=now):
        with transaction.atomic():
            run = sync_run_create(token=token, trigger=SyncRun.Trigger.AUTOMATIC, requested_by=None)
            if run is not None:
                transaction.on_commit(partial(sync_run_enqueue, run_id=run.pk))
                queued += 1
    return queued


def devices_jobs_reconcile() -> int:
    """The reconciler's part for this app (asm_portal.jobs), in a tenant's scope: runs past
    their deadline fail, runs and assignments nobody is doing are sent again."""
    sync_runs_expire_overdue()
    now = clock.now()
    runs = sync_runs_to_resend(now=now, queued_before=stale_before())
    for run_id in runs:
        sync_run_enqueue(run_id=run_id)
    assignments = assignments_to_resend(now=now, queued_before=stale_before())
    for assignment_id in assignments:
        assignment_enqueue(assignment_id=assignment_id)
    return len(runs) + len(assignments)


def _each_tenant() -> list[int]:
    """Beat's sweeps span tenants: each tenant's work is done in that tenant's scope."""
    return list(Tenant.objects.values_list("pk", flat=True))


# --- Tasks ------------------------------------------------------------------------------------


@shared_task(bind=True, name="devices.tasks.sync_run_task", acks_late=True, max_retries=None)
def sync_run_task(self: Task[Any, Any], tenant_id: int, run_id: int) -> str:
    with tenant_scope(tenant_id):
        outcome = sync_run(run_id=run_id)
    if outcome.retry_in is not None and not self.request.is_eager:
        # Apple asked for a long wait: free the worker, come back later (same queue).
        raise self.retry(countdown=outcome.retry_in)
    return outcome.state


@shared_task(bind=True, name="devices.tasks.profile_assignment_task", acks_late=True, max_retries=None)
def profile_assignment_task(self: Task[Any, Any], tenant_id: int, assignment_id: int) -> None:
    with tenant_scope(tenant_id):
        delay = assignment_run(assignment_id=assignment_id)
    if delay is not None and not self.request.is_eager:
        # Apple answered THROTTLED for some serial numbers: again after its retry_after_seconds
        # (run inline, as in unit tests, the next round is the caller's to start).
        raise self.retry(countdown=delay)


@shared_task(bind=True, name="devices.tasks.profile_reassign_task", acks_late=True)
def profile_reassign_task(self: Task[Any, Any], tenant_id: int, profile_id: int) -> None:
    with tenant_scope(tenant_id):
        assignment = profile_reassign_after_edit(profile_id=profile_id)
        if assignment is not None:
            assignment_enqueue(assignment_id=assignment.pk, **_same_queue(self))


def profile_reassign_enqueue(*, profile_id: int) -> None:
    tenant_id = require_tenant().pk
    job_send(lambda: profile_reassign_task.delay(tenant_id, profile_id))


@shared_task(bind=True, name="devices.tasks.syncs_due_task")
def syncs_due_task(self: Task[Any, Any]) -> int:
    """Celery beat: the 12-hour delta syncs that are due, in every tenant."""
    queued = 0
    for tenant_id in _each_tenant():
        with tenant_scope(tenant_id):
            queued += syncs_due_queue()
    return queued


@shared_task(name="devices.tasks.removed_devices_purge_task")
def removed_devices_purge_task() -> int:
    purged = 0
    for tenant_id in _each_tenant():
        with tenant_scope(tenant_id):
            purged += removed_devices_purge()
    # Fold the rows the tally triggers appended today into one per group (devices.counts): plain
    # SQL over every tenant's rows, which the totals sum the same before and after.
    device_tallies_compact()
    return purged
