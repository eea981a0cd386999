"""A real Celery worker process consumes tasks through the configured broker."""

from __future__ import annotations

import time

import pytest

from asm_portal.models import WorkerHeartbeat
from asm_portal.tasks import worker_heartbeat_task
from tests.conftest import worker_log


@pytest.mark.integration
@pytest.mark.smoke
class WorkerTests:
    def test_a_worker_process_runs_a_queued_task(self, celery_worker) -> None:
        assert not WorkerHeartbeat.objects.exists()
        worker_heartbeat_task.delay()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not WorkerHeartbeat.objects.exists():
            time.sleep(0.25)
        assert WorkerHeartbeat.objects.exists(), (
            f"the worker did not run the task within 60 s:\n{worker_log(celery_worker)}"
        )
