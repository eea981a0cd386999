"""A preset reset run by a worker (large presets): its progress record and the task's body.

The web process follows the job through the default cache, which every process of a setup
shares (Redis, or files under VAR_DIR on the embedded defaults): the reset is one transaction,
so a progress row written inside it would stay invisible to the page until the very end.
The queueing side lives in `trainer.reset_queue`, so that `trainer.tasks` (which runs
`reset_job_run`) and the code that enqueues it never import each other.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext as _

from trainer.scenario_reset import ResetFailed, scenario_reset

JOB_TTL_SECONDS = 3600


def _job_key(reset_id: str) -> str:
    return f"trainer:preset-reset:{reset_id}"


def reset_job_get(reset_id: str) -> dict[str, Any] | None:
    job: dict[str, Any] | None = cache.get(_job_key(reset_id))
    return job


def reset_job_update(reset_id: str, **changes: Any) -> None:
    job = reset_job_get(reset_id) or {}
    job.update(changes)
    cache.set(_job_key(reset_id), job, JOB_TTL_SECONDS)


def reset_job_run(*, reset_id: str, user_id: int, preset_key: str) -> str:
    """The task's body: the reset, its progress and its outcome written where the page polls."""
    job = reset_job_get(reset_id) or {}
    user = User.objects.get(pk=user_id)
    with translation.override(job.get("language") or settings.LANGUAGE_CODE):
        reset_job_update(reset_id, state="running", label=_("Starting…"))
        try:
            outcome = scenario_reset(
                actor=user,
                preset_key=preset_key,
                progress=lambda label: reset_job_update(reset_id, label=label),
            )
        except ResetFailed as error:
            reset_job_update(reset_id, state="failed", message=str(error))
            return "failed"
        except Exception:
            reset_job_update(
                reset_id,
                state="failed",
                message=_("The reset stopped unexpectedly; nothing was changed in the portal. Try again."),
            )
            raise
        reset_job_update(
            reset_id, state="succeeded", message=outcome.message, seconds=round(outcome.seconds, 2)
        )
    return "succeeded"
