"""Celery tasks of the devices app: each takes ids and calls one service.

Syncs run with acks_late (settings): a task whose worker dies is delivered again, and the run's
lease and per-page cursor make a second delivery resume, not repeat. When a worker starts, it
also sends again the runs nobody holds (a message lost with a killed worker).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from celery.signals import worker_ready

logger = logging.getLogger(__name__)


def _same_queue(task: Task[Any, Any]) -> dict[str, Any]:
    """Follow-up tasks go to the queue this one came from (workers may consume a private queue)."""
    routing_key = (task.request.delivery_info or {}).get("routing_key")
    return {"queue": routing_key} if routing_key else {}


@shared_task(bind=True, name="devices.tasks.sync_run_task", acks_late=True, max_retries=None)
def sync_run_task(self: Task[Any, Any], run_id: int) -> str:
    from devices.services import sync_run

    outcome = sync_run(run_id=run_id)
    if outcome.retry_in is not None and not self.request.is_eager:
        # Apple asked for a long wait: free the worker, come back later (same queue).
        raise self.retry(countdown=outcome.retry_in)
    return outcome.state


@shared_task(bind=True, name="devices.tasks.profile_assignment_task", acks_late=True, max_retries=None)
def profile_assignment_task(self: Task[Any, Any], assignment_id: int) -> None:
    from devices.services import assignment_run

    delay = assignment_run(assignment_id=assignment_id)
    if delay is not None and not self.request.is_eager:
        # Apple answered THROTTLED for some serial numbers: again after its retry_after_seconds
        # (run inline, as in unit tests, the next round is the caller's to start).
        raise self.retry(countdown=delay)


@shared_task(bind=True, name="devices.tasks.profile_reassign_task", acks_late=True)
def profile_reassign_task(self: Task[Any, Any], profile_id: int) -> None:
    from devices.services import profile_reassign_after_edit

    assignment = profile_reassign_after_edit(profile_id=profile_id)
    if assignment is not None:
        profile_assignment_task.apply_async((assignment.pk,), **_same_queue(self))


@shared_task(bind=True, name="devices.tasks.syncs_due_task")
def syncs_due_task(self: Task[Any, Any]) -> int:
    """Celery beat: the 12-hour delta syncs that are due, and runs left without a worker."""
    from devices.services import sync_runs_resume, syncs_due_queue

    queued = syncs_due_queue()
    sync_runs_resume(**_same_queue(self))
    return queued


@shared_task(name="devices.tasks.removed_devices_purge_task")
def removed_devices_purge_task() -> int:
    from devices.services import removed_devices_purge

    return removed_devices_purge()


@worker_ready.connect
def _resume_abandoned_syncs(sender: Any = None, **_kwargs: Any) -> None:
    """A worker that starts picks up the syncs a killed worker left (on the queue it consumes)."""
    from django.db import connections

    from devices.services import sync_runs_resume

    app = getattr(sender, "app", None)
    queues = list(app.amqp.queues.consume_from) if app is not None else []
    try:
        resumed = sync_runs_resume(queue=queues[0] if queues else None)
        if resumed:
            logger.info("Resumed %d sync run(s) left by a previous worker", resumed)
    except Exception:  # the worker must start even if the database is not there yet
        logger.exception("Could not resume the sync runs left by a previous worker")
    finally:
        connections.close_all()
