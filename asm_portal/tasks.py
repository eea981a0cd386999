from __future__ import annotations

import socket

from celery import shared_task

from asm_portal import clock
from asm_portal.models import WorkerHeartbeat


@shared_task(name="asm_portal.tasks.worker_heartbeat_task")
def worker_heartbeat_task() -> str:
    """Proves that a worker consumes the queue; the shell warns when it goes quiet."""
    hostname = socket.gethostname()
    WorkerHeartbeat.objects.update_or_create(hostname=hostname, defaults={"last_seen": clock.now()})
    return hostname
