"""A real Celery worker process reports when it starts and consumes tasks through the broker."""

from __future__ import annotations

import time

import pytest

from asm_portal.models import WorkerHeartbeat
from asm_portal.tasks import worker_heartbeat_task
from tests.conftest import worker_log


def wait_for_heartbeat(celery_worker: str, what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not WorkerHeartbeat.objects.exists():
        time.sleep(0.25)
    assert WorkerHeartbeat.objects.exists(), f"{what} within 60 s:\n{worker_log(celery_worker)}"


@pytest.mark.integration
@pytest.mark.smoke
class WorkerTests:
    def test_a_worker_process_reports_at_start_then_runs_a_queued_task(self, celery_worker) -> None:
        # A fresh worker reports at once (the home page then stops saying it is starting)…
        wait_for_heartbeat(celery_worker, "the worker did not report when it started")
        WorkerHeartbeat.objects.all().delete()
        # …and consumes the queue.
        worker_heartbeat_task.delay()
        wait_for_heartbeat(celery_worker, "the worker did not run the task")
