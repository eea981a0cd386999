from __future__ import annotations

import logging
import socket
from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.db import connections

from asm_portal.jobs import jobs_reconcile
from asm_portal.services import worker_heartbeat_record

logger = logging.getLogger(__name__)


@shared_task(name="asm_portal.tasks.worker_heartbeat_task")
def worker_heartbeat_task() -> str:
    """Proves that a worker consumes the queue; the shell warns when it goes quiet."""
    hostname = socket.gethostname()
    worker_heartbeat_record(hostname=hostname)
    return hostname


@shared_task(name="asm_portal.tasks.jobs_reconcile_task")
def jobs_reconcile_task() -> dict[str, int]:
    """Celery beat, every JOBS_RECONCILE_SECONDS: the jobs nobody is doing are sent again."""
    return jobs_reconcile()


@worker_ready.connect
def _reconcile_at_start(sender: Any = None, **_kwargs: Any) -> None:
    """A worker that starts reports at once, and picks up what a killed worker or a lost message left."""
    try:
        worker_heartbeat_record(hostname=socket.gethostname())
        jobs_reconcile()
    except Exception:  # the worker must start even if the database is not there yet
        logger.exception("Could not reconcile the jobs left by a previous worker")
    finally:
        connections.close_all()
