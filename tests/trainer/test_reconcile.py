"""The reconciler's part for the trainer's jobs (a trainee's build, a preset reset): what nobody
is doing is sent again, and the task resumes it or fails it with its reason. Tasks run inline
(eager), so each `trainer_jobs_reconcile()` also runs what it sends; the served mock Apple
service answers over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from asm_portal import clock
from mock_apple.models import Organization
from tests.conftest import dead_owner, live_owner
from tests.mock_apple.conftest import live
from trainer import apple_control, reset_queue
from trainer import classroom as classroom_services
from trainer.models import Classroom, PresetReset, Trainee
from trainer.tasks import trainer_jobs_reconcile

pytestmark = live


@pytest.fixture(autouse=True)
def _jobs(settings) -> None:
    settings.JOBS_RESEND_AFTER_SECONDS = 60
    settings.JOBS_LEASE_SECONDS = 600
    settings.JOBS_MAX_ATTEMPTS = 3


class Killed(BaseException):
    """What a SIGKILL does to a job: it stops where it is, no except nor finally of ours runs
    after it that matters (the lease is then written back as the dead process left it)."""


def _class(trainer) -> Trainee:
    """A class of one, whose message never reached a worker (the test's transaction never
    commits, so its on-commit send never happens)."""
    classroom = classroom_services.classroom_create(
        actor=trainer, name="CM2 A", trainees=1, preset_key="token-ready", language="fr"
    )
    return Trainee.objects.get(classroom=classroom)


def _lost(rows, pk, *, owner: str, attempts: int = 1, expires_in: int = 600) -> None:
    rows.filter(pk=pk).update(
        lease_owner=owner, lease_expires_at=clock.now() + timedelta(seconds=expires_in), attempts=attempts
    )


def _apple_organizations(domain: str) -> int:
    return Organization.objects.using("apple").filter(domain__iexact=domain).count()


class TraineeBuildReconcileTests:
    def test_a_trainee_nobody_started_is_sent_again_and_built(self, apple, trainer_user) -> None:
        trainee = _class(trainer_user)
        assert trainer_jobs_reconcile() == 0  # its message may still be on its way
        Classroom.objects.filter(pk=trainee.classroom_id).update(
            created_at=clock.now() - timedelta(seconds=61)
        )
        assert trainer_jobs_reconcile() == 1
        trainee.refresh_from_db()
        assert (trainee.state, trainee.attempts, trainee.lease_owner) == (Trainee.State.READY, 1, "")
        assert Classroom.objects.get(pk=trainee.classroom_id).state == Classroom.State.READY
        assert trainer_jobs_reconcile() == 0

    def test_a_worker_killed_after_apple_made_the_organisation_is_resumed_from_what_apple_holds(
        self, apple, trainer_user, monkeypatch
    ) -> None:
        """Killed between Apple's answer and the row's update: the trainee stays *Creating*,
        Apple holds an organisation whose administrator's password nobody kept. The next worker
        takes the dead owner's lease, finds that organisation by its domain, deletes it and
        makes it again: the trainee ends ready, with one organisation at Apple."""
        trainee = _class(trainer_user)
        made: list[str] = []
        real = apple_control.organization_create

        def killed_after_apple_answers(**arguments):
            made.append(real(**arguments)["domain"])
            raise Killed

        monkeypatch.setattr(apple_control, "organization_create", killed_after_apple_answers)
        with pytest.raises(Killed):
            classroom_services.classroom_trainee_build(trainee_id=trainee.pk)
        monkeypatch.setattr(apple_control, "organization_create", real)
        _lost(Trainee.objects.all(), trainee.pk, owner=live_owner())
        trainee.refresh_from_db()
        assert (trainee.state, trainee.apple_organization_id) == (Trainee.State.CREATING, "")
        assert trainee.trainee_tenant_id is not None and _apple_organizations(made[0]) == 1

        assert trainer_jobs_reconcile() == 0  # its holder is alive
        _lost(Trainee.objects.all(), trainee.pk, owner=dead_owner())
        assert trainer_jobs_reconcile() == 1

        trainee.refresh_from_db()
        assert (trainee.state, trainee.attempts, trainee.error) == (Trainee.State.READY, 2, "")
        assert _apple_organizations(made[0]) == 1
        organization = Organization.objects.using("apple").get(domain__iexact=made[0])
        assert organization.org_id == trainee.apple_organization_id
        assert trainee.asm_password and trainee.user is not None
        assert Classroom.objects.get(pk=trainee.classroom_id).state == Classroom.State.READY

    def test_a_trainee_whose_lease_expired_is_resumed(self, apple, trainer_user) -> None:
        trainee = _class(trainer_user)
        Trainee.objects.filter(pk=trainee.pk).update(state=Trainee.State.CREATING)
        _lost(Trainee.objects.all(), trainee.pk, owner="another-host:41:x")
        assert trainer_jobs_reconcile() == 0  # a live lease (another host's): left to its holder
        _lost(Trainee.objects.all(), trainee.pk, owner="another-host:41:x", expires_in=-1)
        assert trainer_jobs_reconcile() == 1
        trainee.refresh_from_db()
        assert (trainee.state, trainee.attempts) == (Trainee.State.READY, 2)

    def test_a_trainee_lost_too_many_times_fails_with_its_reason_in_the_class_s_language(
        self, apple, trainer_user
    ) -> None:
        trainee = _class(trainer_user)
        Trainee.objects.filter(pk=trainee.pk).update(state=Trainee.State.CREATING)
        _lost(Trainee.objects.all(), trainee.pk, owner=dead_owner(), attempts=3)
        assert trainer_jobs_reconcile() == 1
        trainee.refresh_from_db()
        assert trainee.state == Trainee.State.FAILED
        assert "s’est arrêtée" in trainee.error, trainee.error  # the class is in French
        assert Classroom.objects.get(pk=trainee.classroom_id).state == Classroom.State.FAILED
        assert trainer_jobs_reconcile() == 0


class PresetResetReconcileTests:
    @pytest.fixture(autouse=True)
    def _message_lost(self, monkeypatch) -> None:
        """The queued reset's message never reaches a worker (the broker lost it)."""
        monkeypatch.setattr(reset_queue, "job_send_on_commit", lambda send: None)

    def test_a_queued_reset_nobody_started_is_sent_again(self, apple, trainer_user) -> None:
        reset_id = reset_queue.reset_job_queue(actor=trainer_user, preset_key="token-ready")
        assert trainer_jobs_reconcile() == 0
        PresetReset.objects.filter(pk=reset_id).update(created_at=clock.now() - timedelta(seconds=61))
        assert trainer_jobs_reconcile() == 1
        job = PresetReset.objects.get(pk=reset_id)
        assert (job.state, job.attempts, job.lease_owner) == ("succeeded", 1, "")

    def test_a_running_reset_whose_lease_expired_runs_again_from_its_start(self, apple, trainer_user) -> None:
        reset_id = reset_queue.reset_job_queue(actor=trainer_user, preset_key="token-ready")
        PresetReset.objects.filter(pk=reset_id).update(state="running")
        _lost(PresetReset.objects.all(), reset_id, owner="another-host:41:x")
        assert trainer_jobs_reconcile() == 0
        _lost(PresetReset.objects.all(), reset_id, owner="another-host:41:x", expires_in=-1)
        assert trainer_jobs_reconcile() == 1
        job = PresetReset.objects.get(pk=reset_id)
        assert (job.state, job.attempts) == ("succeeded", 2), job.message

    def test_a_live_lease_of_a_process_that_is_gone_is_taken_over(self, apple, trainer_user) -> None:
        reset_id = reset_queue.reset_job_queue(actor=trainer_user, preset_key="token-ready")
        PresetReset.objects.filter(pk=reset_id).update(state="running")
        _lost(PresetReset.objects.all(), reset_id, owner=live_owner())
        assert trainer_jobs_reconcile() == 0
        _lost(PresetReset.objects.all(), reset_id, owner=dead_owner())
        assert trainer_jobs_reconcile() == 1
        assert PresetReset.objects.get(pk=reset_id).state == "succeeded"

    def test_a_reset_lost_too_many_times_fails_with_its_reason(self, apple, trainer_user) -> None:
        reset_id = reset_queue.reset_job_queue(actor=trainer_user, preset_key="token-ready")  # in French
        PresetReset.objects.filter(pk=reset_id).update(state="running", language="fr")
        _lost(PresetReset.objects.all(), reset_id, owner=dead_owner(), attempts=3)
        assert trainer_jobs_reconcile() == 1
        job = PresetReset.objects.get(pk=reset_id)
        assert job.state == "failed"
        assert "s’est arrêtée de façon inattendue" in job.message, job.message
        assert trainer_jobs_reconcile() == 0
