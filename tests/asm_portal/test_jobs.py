"""asm_portal.jobs: leases (taken once, taken over from a dead owner or when expired, counted),
what the reconciler sends again, and the broker's state the blades show."""

from __future__ import annotations

import os
import signal
import subprocess
from datetime import timedelta

import pytest
from kombu.exceptions import OperationalError

from asm_portal import clock, jobs
from asm_portal.celery import app as celery_app
from asm_portal.models import BackgroundService
from tests.conftest import dead_owner, live_owner
from trainer.models import PresetReset

pytestmark = pytest.mark.django_db

STATES = ("queued", "running")


def _job(reset_id: str = "r1", **fields) -> PresetReset:
    now = clock.now()
    values = {"state": "queued", "created_at": now, "updated_at": now, **fields}
    return PresetReset.objects.create(reset_id=reset_id, **values)


def _take(worker: str, **kwargs) -> int | None:
    return jobs.job_lease_take(PresetReset.objects.all(), pk="r1", worker=worker, states=STATES, **kwargs)


class LeaseTests:
    def test_one_worker_at_a_time_and_each_take_is_counted(self, settings) -> None:
        settings.JOBS_LEASE_SECONDS = 600
        _job()
        assert _take("a") == 1
        assert _take("b") is None  # a's lease is live
        jobs.job_lease_release(PresetReset.objects.all(), pk="r1", worker="b")  # not b's to release
        assert PresetReset.objects.get().lease_owner == "a"
        jobs.job_lease_release(PresetReset.objects.all(), pk="r1", worker="a")
        assert _take("b") == 2

    def test_an_expired_lease_is_taken_over(self) -> None:
        _job()
        assert _take("another-host:41:x", seconds=60) == 1
        assert _take("b") is None
        with clock.frozen_at(clock.now() + timedelta(seconds=61)):
            assert _take("b") == 2

    def test_a_live_lease_of_a_process_that_is_gone_is_taken_over_at_once(self) -> None:
        _job(lease_owner=live_owner(), lease_expires_at=clock.now() + timedelta(hours=1), attempts=1)
        assert _take("b") is None
        PresetReset.objects.update(lease_owner=dead_owner())
        assert _take("b") == 2

    def test_a_job_in_no_state_to_take_is_not_taken(self) -> None:
        _job(state="succeeded")
        assert _take("a") is None

    def test_out_of_attempts_past_the_maximum(self, settings) -> None:
        settings.JOBS_MAX_ATTEMPTS = 3
        assert not jobs.job_out_of_attempts(3) and jobs.job_out_of_attempts(4)


class OwnerGoneTests:
    def test_a_live_process_a_dead_one_a_zombie_and_another_host(self) -> None:
        assert not jobs.owner_gone(live_owner())
        assert jobs.owner_gone(dead_owner())
        zombie = subprocess.Popen(["sleep", "60"])
        try:
            os.kill(zombie.pid, signal.SIGKILL)
            os.waitid(os.P_PID, zombie.pid, os.WEXITED | os.WNOWAIT)  # dead, not reaped
            assert jobs.owner_gone(live_owner().replace(str(os.getpid()), str(zombie.pid)))
        finally:
            zombie.wait()
        assert not jobs.owner_gone(f"another-host:{dead_owner().split(':')[1]}:x")  # cannot tell
        assert not jobs.owner_gone("not an owner")


class JobsToResendTests:
    def test_what_nobody_is_doing(self) -> None:
        now = clock.now()
        _job("free")
        _job("live", lease_owner=live_owner(), lease_expires_at=now + timedelta(hours=1))
        _job("expired", lease_owner="another-host:41:x", lease_expires_at=now - timedelta(seconds=1))
        _job("dead", lease_owner=dead_owner(), lease_expires_at=now + timedelta(hours=1))
        rows = PresetReset.objects.all()
        resend = jobs.jobs_to_resend(queued=rows.none(), running=rows)
        assert sorted(resend) == ["dead", "expired", "free"]


class BrokerStateTests:
    def test_a_failed_send_is_shown_until_a_message_gets_through(self) -> None:
        celery_app.conf.task_always_eager = False  # sent for real (the autouse fixture resets it)

        def refused() -> None:
            raise OperationalError("Connection refused")

        assert jobs.job_send(refused) is False
        assert jobs.background_unreachable()
        sent: list[int] = []
        with clock.frozen_at(clock.now() + timedelta(seconds=1)):
            assert jobs.job_send(lambda: sent.append(1)) is True
        assert sent == [1] and not jobs.background_unreachable()
        assert BackgroundService.objects.count() == 1
