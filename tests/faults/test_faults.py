"""Faults with real processes: a worker killed whole or only its pool child, Redis restarted
under a sync and under a queued assignment, the broker away at the POST, the cache away while
browsing. Each test states its bound; each ends with the job done (or failed with its reason)
and the portal's devices and profile statuses equal to Apple's."""

from __future__ import annotations

import os
import signal
import time

import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from asm_portal import roles
from asm_portal.jobs import jobs_reconcile
from devices.assignment import profile_assign
from devices.models import AssignmentDevice, Device, ProfileAssignment, SyncRun
from devices.sync_requests import sync_queue, sync_request
from mock_apple.models import Organization
from profiles.models import EnrollmentProfile
from sds.models import Person, RosterUpload
from sds.sync_profiles import sync_profile_create
from sds.uploads import roster_upload_create
from tests.conftest import PASSWORD, make_user
from tests.devices.conftest import (
    AppleToken,
    apple_token_create,
    control,
    finished,
    live,
    profile_create,
    wait_for,
)
from tests.faults.conftest import devices_equal_apple, timing
from tests.sds.conftest import edited, sample
from trainer.classroom import classroom_create
from trainer.models import Classroom, Trainee
from trainer.tasks import classroom_build_enqueue

pytestmark = [pytest.mark.faults, live]


def _synced(apple, worker) -> None:
    with transaction.atomic():
        run = sync_queue(token=apple.token, trigger=SyncRun.Trigger.TOKEN_UPLOAD)
    assert run is not None
    run_id = run.pk
    run = wait_for(lambda: finished(run_id), message=worker.output)
    assert run.state == SyncRun.State.SUCCEEDED, (run.error_code, worker.output())


def _synced_then_no_worker(worker_env, fault_workers) -> tuple[AppleToken, EnrollmentProfile, list[str]]:
    """A token of 12 devices synced by a worker that is then killed, a profile to assign and
    the serial numbers of its devices."""
    apple = apple_token_create(worker_env, inventory=40, assigned=12)
    first = fault_workers()
    _synced(apple, first)
    first.kill()
    serials = sorted(Device.objects.values_list("serial_number", flat=True))
    return apple, profile_create(apple.token), serials


def _assignment_done(pk: int) -> ProfileAssignment | None:
    assignment = ProfileAssignment.objects.get(pk=pk)
    return None if assignment.is_active else assignment


def _each_serial_once(assignment: ProfileAssignment) -> None:
    serials = list(
        AssignmentDevice.objects.filter(assignment=assignment).values_list("serial_number", flat=True)
    )
    assert len(serials) == len(set(serials)) == assignment.device_count


class FaultTests:
    def test_the_pool_child_killed_mid_sync_is_taken_over_at_once(
        self, worker_env, fault_workers, admin_user, monkeypatch
    ) -> None:
        """The OOM killer's SIGKILL of the pool child: the message comes back at once, and the
        lease of a process that no longer exists is taken over without waiting for it to expire."""
        monkeypatch.setenv("SYNC_PAGE_SIZE", "3")
        monkeypatch.setenv("SYNC_LEASE_SECONDS", "600")  # recovery must not wait for it
        apple = apple_token_create(worker_env, inventory=40, assigned=30)
        control(worker_env, "POST", "faults", {"endpoint": "fetch", "latency_ms": 300, "count": 100})
        worker = fault_workers()
        run = sync_request(actor=admin_user, token=apple.token)
        wait_for(lambda: SyncRun.objects.get(pk=run.pk).pages >= 3, message=worker.output)
        child = int(SyncRun.objects.get(pk=run.pk).lease_owner.split(":")[1])
        assert child != worker.process.pid
        killed = time.monotonic()
        os.kill(child, signal.SIGKILL)
        run = wait_for(lambda: finished(run.pk), timeout=60, message=worker.output)
        timing("pool child SIGKILL mid-sync -> sync done", time.monotonic() - killed, 30)
        assert run.state == SyncRun.State.SUCCEEDED and run.attempts == 2, (run.error_code, worker.output())
        assert (run.added, run.updated) == (30, 0)
        devices_equal_apple(apple)

    def test_a_worker_killed_while_apple_assigns_finishes_from_what_apple_holds(
        self, worker_env, fault_workers, admin_user
    ) -> None:
        """The whole worker killed while Apple answers an assignment (Apple assigns them all):
        the next worker resumes from Apple's device details, never re-sending blindly."""
        apple = apple_token_create(worker_env, inventory=40, assigned=30)
        first = fault_workers()
        _synced(apple, first)
        profile = profile_create(apple.token)
        serials = sorted(Device.objects.values_list("serial_number", flat=True))
        control(worker_env, "POST", "faults", {"endpoint": "profile_assign", "latency_ms": 3000, "count": 1})
        with transaction.atomic():
            assignment = profile_assign(actor=admin_user, profile=profile, serials=serials)
        wait_for(
            lambda: ProfileAssignment.objects.get(pk=assignment.pk).state == ProfileAssignment.State.RUNNING,
            message=first.output,
        )
        time.sleep(0.5)  # the call is at Apple, which takes 3 s to answer it
        first.kill()
        killed = time.monotonic()
        time.sleep(3)  # Apple assigns them all, nobody records it
        second = fault_workers()  # its start reconciles: the dead owner's lease is taken over
        done = wait_for(lambda: _assignment_done(assignment.pk), timeout=60, message=second.output)
        timing("worker killed mid-assignment -> assignment done", time.monotonic() - killed, 30)
        assert (done.state, done.succeeded) == (ProfileAssignment.State.SUCCEEDED, 30), second.output()
        assert "Apple already assigns 30 device(s)" in second.output()
        _each_serial_once(done)
        devices_equal_apple(apple)

    def test_the_worker_survives_a_redis_restart_with_a_sync_in_flight(
        self, worker_env, fault_workers, redis_server, admin_user, monkeypatch
    ) -> None:
        monkeypatch.setenv("SYNC_PAGE_SIZE", "3")
        apple = apple_token_create(worker_env, inventory=40, assigned=30)
        control(worker_env, "POST", "faults", {"endpoint": "fetch", "latency_ms": 300, "count": 100})
        worker = fault_workers()
        run = sync_request(actor=admin_user, token=apple.token)
        wait_for(lambda: SyncRun.objects.get(pk=run.pk).pages >= 2, message=worker.output)
        restarted = time.monotonic()
        redis_server.stop()
        time.sleep(1)
        redis_server.start()
        # The task in flight was stopped with the connection, its message gone with Redis:
        # beat's reconciler (every 30 s) sends the run again, its dead owner's lease is taken.
        time.sleep(2)
        jobs_reconcile()
        run = wait_for(lambda: finished(run.pk), timeout=60, message=worker.output)
        timing("Redis restarted mid-sync -> sync done", time.monotonic() - restarted, 30)
        assert run.state == SyncRun.State.SUCCEEDED, (run.error_code, worker.output())
        assert worker.process.poll() is None, worker.output()
        assert "Unrecoverable error" not in worker.output()
        assert "Error on restarting" not in worker.output()  # no Gossip step to restart
        devices_equal_apple(apple)
        # And it still takes new work from the restarted Redis.
        delta = sync_queue(token=apple.token, trigger=SyncRun.Trigger.AUTOMATIC)
        assert delta is not None
        assert wait_for(lambda: finished(delta.pk), timeout=30, message=worker.output).state == "succeeded"

    def test_an_assignment_queued_when_redis_restarts_runs_when_a_worker_starts(
        self, worker_env, fault_workers, redis_server, admin_user
    ) -> None:
        apple, profile, serials = _synced_then_no_worker(worker_env, fault_workers)
        with transaction.atomic():
            assignment = profile_assign(actor=admin_user, profile=profile, serials=serials)
        redis_server.stop()  # its message is lost with it
        redis_server.start()
        restarted = time.monotonic()
        worker = fault_workers(JOBS_RESEND_AFTER_SECONDS="0")
        done = wait_for(lambda: _assignment_done(assignment.pk), timeout=60, message=worker.output)
        timing(
            "Redis restarted with an assignment queued -> assignment done", time.monotonic() - restarted, 30
        )
        assert (done.state, done.succeeded) == (ProfileAssignment.State.SUCCEEDED, 12)
        _each_serial_once(done)
        devices_equal_apple(apple)

    def test_the_broker_away_at_the_post_answers_and_the_sync_runs_when_it_is_back(
        self, worker_env, fault_workers, redis_server, admin_user, settings
    ) -> None:
        apple = apple_token_create(worker_env, inventory=40, assigned=12)
        client = Client()
        client.force_login(admin_user)
        redis_server.stop()
        posted = time.monotonic()
        response = client.post(
            reverse("devices:sync_request", args=[apple.token.pk]), headers={"HX-Request": "true"}
        )
        assert response.status_code == 200, response.content[:500]
        assert time.monotonic() - posted < 10
        run = SyncRun.objects.get(token=apple.token)
        assert run.state == SyncRun.State.QUEUED
        page = client.get(reverse("devices:sync", args=[apple.token.pk]))
        assert "The background service is not reachable" in page.content.decode()
        redis_server.start()
        back = time.monotonic()
        worker = fault_workers()
        settings.JOBS_RESEND_AFTER_SECONDS = 0
        jobs_reconcile()  # what beat does every 30 s
        run = wait_for(lambda: finished(run.pk), timeout=60, message=worker.output)
        timing(
            "broker away at the POST -> sync done once it is back (+ up to 30 s of beat)",
            time.monotonic() - back,
            30,
        )
        assert run.state == SyncRun.State.SUCCEEDED
        assert (
            "The background service is not reachable"
            not in client.get(reverse("devices:sync", args=[apple.token.pk])).content.decode()
        )
        devices_equal_apple(apple)

    def test_the_broker_away_at_the_assign_post_answers_and_the_assignment_runs_when_it_is_back(
        self, worker_env, fault_workers, redis_server, admin_user
    ) -> None:
        """Assign while the broker is unreachable: the page answers as usual, the assignment is
        queued and its blade says the background service is not reachable; once the broker is
        back, a worker's start (or beat's next run) sends it, and it runs with no click."""
        apple, profile, serials = _synced_then_no_worker(worker_env, fault_workers)
        client = Client()
        client.force_login(admin_user)
        redis_server.stop()
        posted = time.monotonic()
        response = client.post(
            reverse("devices:profile_assign", args=[profile.pk]),
            {"serial": serials},
            headers={"HX-Request": "true"},
        )
        assert response.status_code in (200, 204, 302), response.content[:500]
        assert time.monotonic() - posted < 10
        assignment = ProfileAssignment.objects.get(profile=profile)
        assert assignment.state == ProfileAssignment.State.QUEUED
        blade = reverse("devices:assignment", args=[assignment.pk])
        assert "The background service is not reachable" in client.get(blade).content.decode()
        redis_server.start()
        back = time.monotonic()
        worker = fault_workers(JOBS_RESEND_AFTER_SECONDS="0")  # its start reconciles, as beat does
        done = wait_for(lambda: _assignment_done(assignment.pk), timeout=60, message=worker.output)
        timing(
            "broker away at the Assign POST -> assignment done once it is back (worker start or beat)",
            time.monotonic() - back,
            30,
        )
        assert (done.state, done.succeeded) == (ProfileAssignment.State.SUCCEEDED, 12), worker.output()
        assert "The background service is not reachable" not in client.get(blade).content.decode()
        _each_serial_once(done)
        devices_equal_apple(apple)

    def test_a_worker_killed_while_it_builds_a_class_is_resumed(self, worker_env, fault_workers) -> None:
        """The whole worker killed while it builds a class's trainees: the next worker's start
        takes the dead owner's leases over and sends the trainees still waiting; every trainee
        ends ready, with one organisation at Apple (an organisation made for the lost worker is
        found by its domain and made again)."""
        trainer = make_user("trainer@contoso.onmicrosoft.com", roles.ADMINISTRATOR, roles.TRAINER)
        first = fault_workers()
        with transaction.atomic():
            classroom = classroom_create(
                actor=trainer, name="CM2 F", trainees=2, preset_key="token-ready", language="fr"
            )
            classroom_build_enqueue(classroom=classroom)
        trainees = Trainee.objects.filter(classroom=classroom)
        wait_for(lambda: trainees.filter(state=Trainee.State.CREATING).exists(), message=first.output)
        time.sleep(1)  # mid-build
        first.kill()
        killed = time.monotonic()
        assert trainees.filter(state__in=[Trainee.State.PENDING, Trainee.State.CREATING]).exists()
        second = fault_workers(JOBS_RESEND_AFTER_SECONDS="0")  # its start reconciles
        wait_for(
            lambda: not trainees.filter(state__in=[Trainee.State.PENDING, Trainee.State.CREATING]).exists(),
            timeout=120,
            message=second.output,
        )
        timing("worker killed mid trainee build -> class ready", time.monotonic() - killed, 90)
        assert [t.state for t in trainees] == ["ready", "ready"], [t.error for t in trainees]
        assert Classroom.objects.get(pk=classroom.pk).state == Classroom.State.READY
        for trainee in trainees:
            at_apple = Organization.objects.filter(
                domain__startswith=f"{classroom.label}t{trainee.number:02d}."
            )
            assert list(at_apple.values_list("org_id", flat=True)) == [trainee.apple_organization_id]
            assert trainee.user is not None and trainee.asm_password

    def test_a_worker_killed_while_it_imports_a_roster_is_resumed_from_its_files(
        self, worker_env, fault_workers, admin_user
    ) -> None:
        """The whole worker killed mid-upload (a large roster): the upload stays *Validating* or
        *Importing*; the next worker's start takes the dead owner's lease over and processes it
        again from its kept files. Nothing half-written: every person once."""
        extra = 20_000
        students = "".join(
            f"{30000 + n},10001,Student,Number{n},S{30000 + n},P@ssword,WA,,{30000 + n},,9,Active,4/2/2000,2019\n"
            for n in range(extra)
        )
        files = edited(sample("v1-25-users"), "Student.csv", append=students)
        profile = sync_profile_create(
            actor=admin_user, name="Contoso large", roster_format="v1", domain_suffix="contoso.edu"
        )
        first = fault_workers()
        upload = roster_upload_create(actor=admin_user, profile=profile, files=files)
        started = RosterUpload.State.VALIDATING, RosterUpload.State.IMPORTING
        wait_for(lambda: RosterUpload.objects.get(pk=upload.pk).state in started, message=first.output)
        time.sleep(1)  # mid-job
        first.kill()
        killed = time.monotonic()
        assert RosterUpload.objects.get(pk=upload.pk).state in started, first.output()
        second = fault_workers()  # its start reconciles: the dead owner's lease is taken over
        done = wait_for(
            lambda: (found := RosterUpload.objects.get(pk=upload.pk)).state not in started and found,
            timeout=180,
            message=second.output,
        )
        timing("worker killed mid roster upload -> upload imported", time.monotonic() - killed, 120)
        assert (done.state, done.attempts) == (RosterUpload.State.SUCCEEDED, 2), second.output()
        assert done.person_count == Person.objects.filter(profile=profile).count() == 24 + extra
        assert all(file.content is None for file in done.files.all())

    def test_every_page_works_with_the_cache_away(self, worker_env, redis_server, admin_user) -> None:
        apple = apple_token_create(worker_env, inventory=20, assigned=5)
        redis_server.stop()
        dead = {
            "default": {"BACKEND": "asm_portal.cache.ForgivingRedisCache", "LOCATION": redis_server.cache_url}
        }
        started = time.monotonic()
        with override_settings(CACHES=dead):
            anonymous = Client()
            assert anonymous.get(reverse("signin")).status_code == 200
            signed_in = anonymous.post(
                reverse("signin"), {"username": admin_user.username, "password": PASSWORD}
            )
            assert signed_in.status_code == 302, signed_in.content[:500]
            for url in (
                reverse("home"),
                reverse("apple_enrollment"),
                reverse("devices:sync", args=[apple.token.pk]),
                f"/enrollment/apple/tokens/{apple.token.pk}/devices/",
            ):
                response = anonymous.get(url)
                assert response.status_code == 200, (url, response.status_code)
        timing("cache away: sign-in and four pages", time.monotonic() - started, 20)
