"""The Celery task of large preset resets (the web request only queues it and polls its progress)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="asm_portal.trainer.preset_reset")
def preset_reset_task(reset_id: str, user_id: int, preset_key: str) -> str:
    from asm_portal.trainer import presets

    return presets.reset_job_run(reset_id=reset_id, user_id=user_id, preset_key=preset_key)
