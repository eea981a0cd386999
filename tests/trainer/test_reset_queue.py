"""Queueing a preset reset for a worker: the job's first record, then the task."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from trainer import reset_queue
from trainer.reset_jobs import reset_job_get


class _Task:
    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []

    def delay(self, *args: object) -> None:
        self.calls.append(args)


@pytest.mark.django_db
class ResetJobQueueTests:
    def test_it_records_the_job_before_the_worker_takes_it(
        self, trainer_user, monkeypatch, django_capture_on_commit_callbacks
    ) -> None:
        task = _Task()
        monkeypatch.setattr(reset_queue, "preset_reset_task", task)
        with django_capture_on_commit_callbacks(execute=True):  # the message leaves on commit
            reset_id = reset_queue.reset_job_queue(actor=trainer_user, preset_key="large-district")
        job = reset_job_get(reset_id)
        assert job is not None
        assert (job["state"], job["label"], job["user_id"]) == (
            "queued",
            "Waiting for the background service…",
            trainer_user.pk,
        )
        assert task.calls == [
            (trainer_user.membership.tenant_id, reset_id, trainer_user.pk, "large-district")
        ]

    def test_only_trainers_queue(self, admin_user, monkeypatch) -> None:
        task = _Task()
        monkeypatch.setattr(reset_queue, "preset_reset_task", task)
        with pytest.raises(PermissionDenied):
            reset_queue.reset_job_queue(actor=admin_user, preset_key="token-ready")
        assert not task.calls
