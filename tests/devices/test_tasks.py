"""What the tasks do: the automatic deltas, the runs sent again, the default profile after a sync."""

from __future__ import annotations

import os
import socket
import subprocess
from datetime import timedelta

import pytest

from asm_portal import clock
from devices import tasks
from devices.models import Device, ProfileAssignment, SyncRun
from devices.sync import lease_take
from devices.sync_requests import sync_queue
from devices.tasks import devices_jobs_reconcile, syncs_due_queue
from tests.devices.conftest import (
    AppleToken,
    live,
    profile_create,
    run_finish,
    sync_now,
    sync_state_synced,
    token_create,
)
from tokens.models import EnrollmentProgramToken

pytestmark = pytest.mark.django_db


@pytest.fixture
def token() -> EnrollmentProgramToken:
    return token_create()


class SyncsDueTests:
    def test_it_queues_a_delta_every_twelve_hours(self, token) -> None:
        sync_state_synced(token)
        other = token_create("Collège Victor Hugo")
        sync_state_synced(other)
        expired = token_create("Expired")
        EnrollmentProgramToken.objects.filter(pk=expired.pk).update(
            expires_at=clock.now() - timedelta(days=1)
        )
        now = clock.now()
        SyncRun.objects.create(
            token=other,
            kind="delta",
            trigger="automatic",
            state="succeeded",
            requested_at=now - timedelta(hours=2),
            deadline_at=now,
        )
        assert syncs_due_queue() == 1  # `token`: never synced through a run; `other`: 2 h ago
        run = SyncRun.objects.get(token=token)
        assert (run.trigger, run.kind) == (SyncRun.Trigger.AUTOMATIC, SyncRun.Kind.DELTA)
        assert syncs_due_queue() == 0
        with clock.frozen_at(now + timedelta(hours=12, minutes=1)):
            run_finish(run)
            assert syncs_due_queue() == 2


class ReconcileTests:
    def test_it_sends_again_the_runs_nobody_is_doing(self, token, monkeypatch, settings) -> None:
        sent: list[int] = []
        monkeypatch.setattr(tasks, "sync_run_enqueue", lambda run_id, **_: sent.append(run_id))
        settings.JOBS_RESEND_AFTER_SECONDS = 60
        run = sync_queue(token=token, trigger=SyncRun.Trigger.MANUAL)
        assert run is not None
        start = clock.now()
        with clock.frozen_at(start):
            assert devices_jobs_reconcile() == 0  # just queued: its message is on its way
        with clock.frozen_at(start + timedelta(seconds=61)):
            assert devices_jobs_reconcile() == 1  # nobody started it: sent again
            lease_take(run_id=run.pk, worker="elsewhere:1:x")
            assert devices_jobs_reconcile() == 0  # a live lease: left to its holder
        with clock.frozen_at(start + timedelta(seconds=61 + settings.SYNC_LEASE_SECONDS + 1)):
            assert devices_jobs_reconcile() == 1  # the lease expired: sent again
        assert sent == [run.pk, run.pk]

    def test_a_lease_held_by_a_process_that_is_gone_is_taken_over(self, token) -> None:
        gone = subprocess.Popen(["true"])
        gone.wait()
        run = sync_queue(token=token, trigger=SyncRun.Trigger.MANUAL)
        assert run is not None
        assert lease_take(run_id=run.pk, worker=f"{socket.gethostname()}:{os.getpid()}:x") is not None
        # A live process of this host keeps its lease; a dead one loses it at once.
        assert lease_take(run_id=run.pk, worker="other") is None
        SyncRun.objects.filter(pk=run.pk).update(lease_owner=f"{socket.gethostname()}:{gone.pid}:x")
        taken = lease_take(run_id=run.pk, worker="other")
        assert taken is not None and taken.lease_owner == "other" and taken.attempts == 2


@pytest.mark.integration
@live
class DefaultProfileAfterSyncTests:
    def test_a_sync_gives_new_devices_the_default_profile(self, apple_token: AppleToken, admin_user) -> None:
        default = profile_create(apple_token.token, name="Default")
        default.is_default = True
        default.save(update_fields=["is_default"])
        run = sync_now(apple_token.token)
        assert run.state == SyncRun.State.SUCCEEDED, run.error_code
        # The assignment ran (eagerly here): Apple now holds the default profile for all 12.
        assert Device.objects.filter(token=apple_token.token, assigned_profile=default).count() == 12
        assignment = ProfileAssignment.objects.get(source=ProfileAssignment.Source.DEFAULT_PROFILE)
        assert assignment.succeeded == 12
