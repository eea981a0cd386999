"""The trainer's Celery tasks: large preset resets and building a class's trainees (the web
request only queues them and polls their progress). Each takes the tenant id with its ids."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from asm_portal.tenancy import require_tenant, tenant_scope
from trainer.classroom import classroom_trainee_build
from trainer.models import Classroom, Trainee
from trainer.reset_jobs import reset_job_run


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

    def send() -> None:
        for trainee_id in waiting:
            classroom_trainee_build_task.delay(tenant_id, trainee_id)

    transaction.on_commit(send)
