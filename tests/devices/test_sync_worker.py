"""Syncs in real Celery worker processes, through the configured broker (Redis in CI), against
the mock Apple service served over real HTTP, including a worker killed in the middle of a sync."""

from __future__ import annotations

import pytest
from django.db import transaction

from devices.models import Device, SyncRun
from devices.sync_requests import sync_queue, sync_request
from mock_apple.models import Device as AppleDevice
from tests.devices.conftest import apple_token_create, control, finished, live, wait_for
from tokens.models import EnrollmentProgramToken
from tokens.services import token_sync_request


@pytest.mark.integration
@live
class SyncWorkerTests:
    def test_the_token_upload_s_sync_then_a_delta_run_in_a_worker(
        self, worker_env, workers, admin_user
    ) -> None:
        apple = apple_token_create(worker_env)
        worker = workers()
        with transaction.atomic():  # as token_upload does: the task leaves on commit
            token_sync_request(actor=admin_user, token=apple.token, reason="Token uploaded")
        run = SyncRun.objects.get()
        assert (run.kind, run.trigger) == (SyncRun.Kind.FULL, SyncRun.Trigger.TOKEN_UPLOAD)
        run = wait_for(lambda: finished(run.pk), message=worker.output)
        assert run.state == SyncRun.State.SUCCEEDED, (run.error_code, worker.output())
        assert set(Device.objects.values_list("serial_number", flat=True)) == apple.apple_serials()

        # The ASM administrator assigns three more devices (the ASM portal's action, over HTTP).
        more = list(
            AppleDevice.objects.filter(mdm_server__isnull=True)
            .order_by("id")
            .values_list("serial_number", flat=True)[:3]
        )
        answer = control(
            worker_env,
            "POST",
            "assignments",
            {"action": "assign", "serials": more, "server_uuid": apple.server.server_uuid},
        )
        assert answer.status_code == 200, answer.text
        with transaction.atomic():
            delta = sync_queue(token=apple.token, trigger=SyncRun.Trigger.AUTOMATIC)
        assert delta is not None and delta.kind == SyncRun.Kind.DELTA
        delta_id = delta.pk
        delta = wait_for(lambda: finished(delta_id), message=worker.output)
        assert (delta.state, delta.added) == (SyncRun.State.SUCCEEDED, 3)
        assert set(Device.objects.values_list("serial_number", flat=True)) == apple.apple_serials()
        token = EnrollmentProgramToken.objects.get(pk=apple.token.pk)
        assert token.last_successful_sync_at is not None

    def test_apples_refusal_ends_the_run_in_the_worker(self, worker_env, workers, admin_user) -> None:
        apple = apple_token_create(worker_env)
        control(worker_env, "POST", "terms", {"action": "publish"})
        worker = workers()
        run = sync_request(actor=admin_user, token=apple.token)
        run = wait_for(lambda: finished(run.pk), message=worker.output)
        assert (run.state, run.error_code) == (SyncRun.State.FAILED, "T_C_NOT_SIGNED")
        assert EnrollmentProgramToken.objects.get(pk=apple.token.pk).last_sync_error_code == "T_C_NOT_SIGNED"

    def test_a_worker_killed_mid_sync_is_taken_over_without_loss_or_duplicate(
        self, worker_env, workers, admin_user, monkeypatch
    ) -> None:
        monkeypatch.setenv("SYNC_PAGE_SIZE", "3")
        monkeypatch.setenv("SYNC_LEASE_SECONDS", "2")
        apple = apple_token_create(worker_env, inventory=40, assigned=30)
        # Slow pages (the mock's latency fault), so that the kill lands between two pages.
        control(worker_env, "POST", "faults", {"endpoint": "fetch", "latency_ms": 300, "count": 100})
        first = workers()
        run = sync_request(actor=admin_user, token=apple.token)
        wait_for(lambda: SyncRun.objects.get(pk=run.pk).pages >= 3, message=first.output)
        first.kill()
        killed_at = SyncRun.objects.get(pk=run.pk)
        assert killed_at.is_active and 3 <= killed_at.pages < 10, killed_at.pages

        second = workers()  # picks up the run whose lease its dead owner no longer renews
        run = wait_for(lambda: finished(run.pk), message=second.output)
        assert run.state == SyncRun.State.SUCCEEDED, (run.error_code, second.output())
        assert run.attempts == 2
        serials = list(Device.objects.filter(token=apple.token).values_list("serial_number", flat=True))
        assert len(serials) == len(set(serials)) == 30
        assert set(serials) == apple.apple_serials()
        # Every device counted once across both workers: the pages written before the kill
        # were not written again, the others were not lost.
        assert (run.added, run.updated) == (30, 0)
