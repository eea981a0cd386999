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
