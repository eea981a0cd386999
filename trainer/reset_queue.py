"""Queue a preset reset for a worker (the web side of `trainer.reset_jobs`)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import translation
from django.utils.translation import gettext as _

from asm_portal import roles
from asm_portal.jobs import job_send_on_commit
from asm_portal.roles import Actor
from asm_portal.tenancy import require_tenant
from trainer.presets import preset_get
from trainer.reset_jobs import reset_job_update
from trainer.tasks import preset_reset_task


def reset_job_queue(*, actor: Actor, preset_key: str) -> str:
    """Queue the reset for a worker; returns the id its progress is followed by."""
    roles.require_trainer(actor)
    assert isinstance(actor, User)
    preset = preset_get(preset_key)
    reset_id = uuid.uuid4().hex
    reset_job_update(
        reset_id,
        user_id=actor.pk,
        preset=preset.key,
        state="queued",
        label=_("Waiting for the background service…"),
        message="",
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    tenant_id = require_tenant().pk
    # The row is the job; the message only wakes a worker (asm_portal.jobs).
    job_send_on_commit(lambda: preset_reset_task.delay(tenant_id, reset_id, actor.pk, preset.key))
    return reset_id
