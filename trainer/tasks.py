"""The Celery task of large preset resets (the web request only queues it and polls its progress)."""

from __future__ import annotations

from celery import shared_task

from asm_portal.tenancy import tenant_scope
from trainer.reset_jobs import reset_job_run


@shared_task(name="trainer.tasks.preset_reset_task")
def preset_reset_task(tenant_id: int, reset_id: str, user_id: int, preset_key: str) -> str:
    with tenant_scope(tenant_id):
        return reset_job_run(reset_id=reset_id, user_id=user_id, preset_key=preset_key)
