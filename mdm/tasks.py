"""Celery tasks of the mdm app (each takes ids and calls one service), and how they are sent."""

from __future__ import annotations

from functools import partial

from celery import shared_task

from asm_portal.jobs import job_send
from asm_portal.tenancy import require_tenant, tenant_scope
from mdm.apns import devices_push

# --- APNs pushes -----------------------------------------------------------------------------------

# Back-off of a push APNs did not take (429, 5xx, unreachable): 30 s, 2 min, 8 min, 32 min.
PUSH_RETRY_DELAYS = (30, 120, 480, 1920)


@shared_task(name="mdm.tasks.devices_push_task", acks_late=True)
def devices_push_task(tenant_id: int, device_ids: list[int], attempt: int = 0) -> int:
    """Wake devices through APNs; the ones APNs did not take are pushed again later."""
    with tenant_scope(tenant_id):
        final = attempt >= len(PUSH_RETRY_DELAYS)
        results = devices_push(device_ids=device_ids, final_attempt=final)
    retry = [result.device_id for result in results if result.retry]
    if retry and not final:
        job_send(
            partial(
                devices_push_task.apply_async,
                (tenant_id, retry, attempt + 1),
                countdown=PUSH_RETRY_DELAYS[attempt],
            )
        )
    return sum(1 for result in results if result.status == 200)


def devices_push_enqueue(*, device_ids: list[int]) -> None:
    """Push the devices from a worker (after the commands' transaction committed)."""
    tenant_id = require_tenant().pk
    for start in range(0, len(device_ids), PUSH_BATCH):
        job_send(partial(devices_push_task.delay, tenant_id, device_ids[start : start + PUSH_BATCH]))


PUSH_BATCH = 500
