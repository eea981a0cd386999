"""A preset reset run by a worker (large presets): its job row and the task's body.

The row (`PresetReset`) is the truth: queued, running, succeeded or failed with its message,
written outside the reset's transaction so the page sees each change at once, and the
reconciler can send a queued job again or end one whose worker was lost. The label of the step
in progress is written to the cache as well (best effort): the reset is one transaction, so a
label written to the row inside it would stay invisible until the end.
The queueing side lives in `trainer.reset_queue`, so that `trainer.tasks` (which runs
`reset_job_run`) and the code that enqueues it never import each other.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext as _

from asm_portal import clock
from asm_portal.jobs import job_lease_release, job_lease_take, job_out_of_attempts, worker_id
from trainer.models import PresetReset
from trainer.scenario_reset import ResetFailed, scenario_reset

LABEL_TTL_SECONDS = 3600
_FIELDS = ("user_id", "preset", "state", "label", "message", "seconds", "language")


def _label_key(reset_id: str) -> str:
    return f"trainer:preset-reset-label:{reset_id}"


def reset_job_get(reset_id: str) -> dict[str, Any] | None:
    if not re.fullmatch(r"[\w-]{1,64}", reset_id, flags=re.ASCII):
        return None  # not an id this module gives (a NUL would be a database error)
    job: dict[str, Any] | None = PresetReset.objects.filter(reset_id=reset_id).values(*_FIELDS).first()
    if job is None:
        return None
    if job["state"] == "running":
        job["label"] = cache.get(_label_key(reset_id)) or job["label"]
    return job


def reset_job_update(reset_id: str, **changes: Any) -> None:
    """Create or change the job's row (outside the reset's transaction)."""
    now = clock.now()
    values = {key: value for key, value in changes.items() if key in _FIELDS}
    updated = PresetReset.objects.filter(reset_id=reset_id).update(**values, updated_at=now)
    if not updated:
        # In the scope of the tenant being reset: the row is that tenant's.
        PresetReset.objects.create(
            reset_id=reset_id,
            created_at=now,
            updated_at=now,
            **values,
        )


def reset_job_progress(reset_id: str, label: str) -> None:
    """The step in progress, for the page (the cache: see the module's docstring)."""
    cache.set(_label_key(reset_id), label, LABEL_TTL_SECONDS)


def reset_job_run(*, reset_id: str, user_id: int, preset_key: str, worker: str | None = None) -> str:
    """The task's body: the reset, its progress and its outcome written where the page polls.

    One worker at a time holds the job's lease (asm_portal.jobs). The reset is one transaction:
    a worker lost in the middle changed nothing, so the next one runs it again from the start;
    one lost JOBS_MAX_ATTEMPTS times fails with its reason."""
    worker = worker or worker_id()
    rows = PresetReset.objects.all()
    attempt = job_lease_take(rows, pk=reset_id, worker=worker, states=("queued", "running"))
    job = reset_job_get(reset_id) or {}
    if attempt is None:
        return str(job.get("state", ""))  # done (a message delivered twice), or another worker's
    try:
        with translation.override(job.get("language") or settings.LANGUAGE_CODE):
            if job_out_of_attempts(attempt):
                reset_job_update(reset_id, state="failed", message=reset_job_lost_message())
                return "failed"
            return _reset_job_run(reset_id, user_id=user_id, preset_key=preset_key)
    finally:
        job_lease_release(rows, pk=reset_id, worker=worker)


def _reset_job_run(reset_id: str, *, user_id: int, preset_key: str) -> str:
    user = User.objects.get(pk=user_id)
    reset_job_update(reset_id, state="running", label=_("Starting…"))
    try:
        outcome = scenario_reset(
            actor=user,
            preset_key=preset_key,
            progress=lambda label: reset_job_progress(reset_id, label),
        )
    except ResetFailed as error:
        reset_job_update(reset_id, state="failed", message=str(error))
        return "failed"
    except Exception:
        reset_job_update(reset_id, state="failed", message=reset_job_lost_message())
        raise
    reset_job_update(reset_id, state="succeeded", message=outcome.message, seconds=round(outcome.seconds, 2))
    return "succeeded"


def reset_job_lost_message() -> str:
    return _("The reset stopped unexpectedly; nothing was changed in the portal. Try again.")
