"""The trainer's Celery tasks: large preset resets and building a class's trainees (the web
request only queues them and polls their progress). Each takes the tenant id with its ids."""

from __future__ import annotations

from functools import partial

from celery import shared_task

from asm_portal.jobs import job_send, job_send_on_commit, jobs_to_resend, stale_before
from asm_portal.tenancy import require_tenant, tenant_scope
from trainer.classroom import classroom_trainee_build
from trainer.models import Classroom, PresetReset, Trainee
from trainer.reset_jobs import reset_job_run


@shared_task(name="trainer.tasks.preset_reset_task", acks_late=True)
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
    """The reconciler's part (asm_portal.jobs), in a tenant's scope: trainees waiting to be
    built and preset resets queued that nobody started, and those a worker started (a trainee
    *Creating*, a reset running) whose lease expired or whose owner process is gone, are sent
    again. The task takes the lease over and resumes (a trainee from what its row and Apple
    hold, a reset from its start: its transaction was rolled back), or ends the job failed with
    its reason once it has been lost JOBS_MAX_ATTEMPTS times."""
    tenant_id = require_tenant().pk
    stale = stale_before()
    trainees = Trainee.objects.all()
    sent = 0
    for trainee_id in jobs_to_resend(
        queued=trainees.filter(state=Trainee.State.PENDING, classroom__created_at__lte=stale),
        running=trainees.filter(state=Trainee.State.CREATING),
    ):
        sent += job_send(partial(classroom_trainee_build_task.delay, tenant_id, trainee_id))
    resets = PresetReset.objects.filter(user_id__isnull=False)  # this tenant's
    resend = set(
        jobs_to_resend(
            queued=resets.filter(state="queued", created_at__lte=stale),
            running=resets.filter(state="running"),
        )
    )
    for reset_id, user_id, preset in resets.filter(pk__in=resend).values_list(
        "reset_id", "user_id", "preset"
    ):
        assert user_id is not None
        sent += job_send(partial(preset_reset_task.delay, tenant_id, reset_id, user_id, preset))
    return sent
