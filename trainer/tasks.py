"""The trainer's Celery tasks: large preset resets and building a class's trainees (the web
request only queues them and polls their progress). Each takes the tenant id with its ids."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from celery import shared_task
from django.conf import settings

from asm_portal import clock
from asm_portal.jobs import job_send, job_send_on_commit, stale_before
from asm_portal.tenancy import require_tenant, tenant_scope
from trainer.classroom import classroom_trainee_build
from trainer.models import Classroom, PresetReset, Trainee
from trainer.reset_jobs import reset_job_lost_message, reset_job_run, reset_job_update


@shared_task(name="trainer.tasks.preset_reset_task")
def preset_reset_task(tenant_id: int, reset_id: str, user_id: int, preset_key: str) -> str:
    with tenant_scope(tenant_id):
        return reset_job_run(reset_id=reset_id, user_id=user_id, preset_key=preset_key)


@shared_task(name="trainer.tasks.classroom_trainee_build_task", acks_late=True)
def classroom_trainee_build_task(tenant_id: int, trainee_id: int) -> str:
    """Build one trainee's tenant and organisation (`tenant_id` is the trainer's)."""
    with tenant_scope(tenant_id):
        return classroom_trainee_build(trainee_id=trainee_id).state


def classroom_build_enqueue(*, classroom: Classroom) -> None:
    """One task per trainee waiting to be built, sent once the class is committed: the workers
    build them side by side."""
    tenant_id = require_tenant().pk
    waiting = list(
        Trainee.objects.filter(classroom=classroom, state=Trainee.State.PENDING).values_list("pk", flat=True)
    )

    for trainee_id in waiting:
        job_send_on_commit(partial(classroom_trainee_build_task.delay, tenant_id, trainee_id))


def trainer_jobs_reconcile() -> int:
    """The reconciler's part (asm_portal.jobs), in a tenant's scope: trainees still waiting to
    be built and preset resets still queued are sent again (each task does nothing for what is
    done already); a reset that has been running longer than a task may run lost its worker
    (its transaction rolled back): it fails with its reason."""
    tenant_id = require_tenant().pk
    stale = stale_before()
    sent = 0
    for trainee_id in Trainee.objects.filter(
        state=Trainee.State.PENDING, classroom__created_at__lte=stale
    ).values_list("pk", flat=True):
        sent += job_send(partial(classroom_trainee_build_task.delay, tenant_id, trainee_id))
    resets = PresetReset.objects.all()  # this tenant's
    for reset_id, user_id, preset in resets.filter(
        state="queued", created_at__lte=stale, user_id__isnull=False
    ).values_list("reset_id", "user_id", "preset"):
        assert user_id is not None
        sent += job_send(partial(preset_reset_task.delay, tenant_id, reset_id, user_id, preset))
    lost = clock.now() - timedelta(
        seconds=settings.CELERY_TASK_TIME_LIMIT + settings.JOBS_RESEND_AFTER_SECONDS
    )
    for reset_id in resets.filter(state="running", updated_at__lte=lost).values_list("reset_id", flat=True):
        reset_job_update(reset_id, state="failed", message=reset_job_lost_message())
    return sent
