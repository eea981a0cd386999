"""Celery tasks of the mdm app (each takes ids and calls one service), and how they are sent."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from celery import shared_task
from django.conf import settings

from asm_portal import clock
from asm_portal.jobs import job_send
from asm_portal.tenancy import require_tenant, tenant_scope
from devices.models import ENROLLED_STATES, Device
from mdm.apns import devices_push
from mdm.configuration import device_configuration_install


@shared_task(name="mdm.tasks.device_configure_task", acks_late=True)
def device_configure_task(tenant_id: int, device_id: int) -> bool:
    """Install an enrolled device's configuration (DEVICE_CONFIGURATION_SECONDS after enrollment)."""
    with tenant_scope(tenant_id):
        return device_configuration_install(device_id=device_id)


def device_configure_enqueue(*, device_id: int) -> None:
    """Install the configuration DEVICE_CONFIGURATION_SECONDS after the enrollment (a worker)."""
    tenant_id = require_tenant().pk
    job_send(
        lambda: device_configure_task.apply_async(
            (tenant_id, device_id), countdown=settings.DEVICE_CONFIGURATION_SECONDS
        )
    )


def mdm_jobs_reconcile() -> int:
    """The reconciler's part (asm_portal.jobs), in a tenant's scope: enrolled devices whose
    configuration is overdue (its message was lost) get it sent again; the task installs it
    once."""
    tenant_id = require_tenant().pk
    overdue = clock.now() - timedelta(
        seconds=settings.DEVICE_CONFIGURATION_SECONDS + settings.JOBS_RESEND_AFTER_SECONDS
    )
    sent = 0
    for device_id in Device.objects.filter(
        enrollment_state__in=ENROLLED_STATES, configured_at__isnull=True, enrolled_at__lte=overdue
    ).values_list("pk", flat=True):
        sent += job_send(partial(device_configure_task.delay, tenant_id, device_id))
    return sent


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
