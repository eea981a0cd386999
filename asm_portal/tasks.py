from __future__ import annotations

import socket

from celery import shared_task


@shared_task(name="asm_portal.tasks.worker_heartbeat")
def worker_heartbeat() -> str:
    """Proves that a worker consumes the queue; the shell warns when it goes quiet."""
    from asm_portal import clock
    from asm_portal.models import WorkerHeartbeat

    hostname = socket.gethostname()
    WorkerHeartbeat.objects.update_or_create(hostname=hostname, defaults={"last_seen": clock.now()})
    return hostname


# Trainer mode's package is not an app of its own: its tasks are registered from here.
from asm_portal.trainer import preset_tasks  # noqa: E402, F401
