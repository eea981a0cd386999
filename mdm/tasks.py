"""Celery tasks of the mdm app (each takes ids and calls one service), and how they are sent."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from asm_portal.tenancy import require_tenant, tenant_scope
from mdm.configuration import device_configuration_install


@shared_task(name="mdm.tasks.device_configure_task", acks_late=True)
def device_configure_task(tenant_id: int, device_id: int) -> bool:
    """Install an enrolled device's configuration (DEVICE_CONFIGURATION_SECONDS after enrollment)."""
    with tenant_scope(tenant_id):
        return device_configuration_install(device_id=device_id)


def device_configure_enqueue(*, device_id: int) -> None:
    """Install the configuration DEVICE_CONFIGURATION_SECONDS after the enrollment (a worker)."""
    device_configure_task.apply_async(
        (require_tenant().pk, device_id), countdown=settings.DEVICE_CONFIGURATION_SECONDS
    )
