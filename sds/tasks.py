from __future__ import annotations

from celery import shared_task

from asm_portal.tenancy import tenant_scope
from sds.apple_roster_sync import apple_roster_sync_fail, apple_roster_sync_run
from sds.roster_import import roster_upload_fail, roster_upload_process


@shared_task(name="sds.tasks.roster_upload_process_task")
def roster_upload_process_task(tenant_id: int, upload_id: int) -> None:
    """Validate and import a roster upload; progress and the report live in its own rows."""
    with tenant_scope(tenant_id):
        try:
            roster_upload_process(upload_id=upload_id)
        except Exception:
            # A crash or the time limit: the upload must not stay "importing" for ever.
            roster_upload_fail(upload_id=upload_id)
            raise


@shared_task(name="sds.tasks.apple_roster_sync_task")
def apple_roster_sync_task(tenant_id: int, sync_id: int) -> None:
    """Send a sync profile's roster to Apple School Manager; progress lives in its own row."""
    with tenant_scope(tenant_id):
        try:
            apple_roster_sync_run(sync_id=sync_id)
        except Exception:
            apple_roster_sync_fail(sync_id=sync_id)
            raise
