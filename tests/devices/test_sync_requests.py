"""Requesting a sync: the administrator's (refused inside the rules' windows) and the portal's own
(no Apple needed: no run is executed)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from asm_portal import clock
from asm_portal.models import AuditEvent
from devices.models import SyncRun, TokenSyncState
from devices.sync_requests import sync_queue, sync_request
from devices.sync_rules import SyncRefused, sync_availability
from tests.devices.conftest import run_finish, sync_state_synced, token_create
from tokens.models import EnrollmentProgramToken

pytestmark = pytest.mark.django_db


@pytest.fixture
def token() -> EnrollmentProgramToken:
    return token_create()


class SyncRequestTests:
    def test_it_queues_a_run_records_and_audits_the_request(
        self, token, admin_user, django_capture_on_commit_callbacks
    ) -> None:
        with django_capture_on_commit_callbacks() as callbacks:
            run = sync_request(actor=admin_user, token=token)
        assert len(callbacks) == 1  # the task is sent once the request is saved
        assert (run.state, run.kind, run.trigger) == (
            SyncRun.State.QUEUED,
            SyncRun.Kind.FULL,
            SyncRun.Trigger.MANUAL,
        )
        assert run.requested_by == admin_user
        assert run.deadline_at == run.requested_at + timedelta(minutes=15)
        assert EnrollmentProgramToken.objects.get(pk=token.pk).last_sync_requested_at == run.requested_at
        event = AuditEvent.objects.get(action="Request sync of enrollment program token")
        assert event.details == {"reason": "Sync requested", "kind": "full"}

    def test_a_second_request_is_refused_with_the_time_left(self, token, admin_user) -> None:
        start = clock.now()
        with clock.frozen_at(start):
            sync_request(actor=admin_user, token=token)
        with clock.frozen_at(start + timedelta(minutes=3)), pytest.raises(SyncRefused) as refused:
            sync_request(actor=admin_user, token=token)
        assert refused.value.message == "A sync is in progress. You can request another sync in 12 minutes."
        assert refused.value.available_at == start + timedelta(minutes=15)
        assert SyncRun.objects.count() == 1

    def test_a_request_that_succeeded_frees_sync_at_once(self, token, admin_user) -> None:
        run = sync_request(actor=admin_user, token=token)
        run_finish(run)
        second = sync_request(actor=admin_user, token=token)
        assert second.pk != run.pk

    def test_a_failed_request_keeps_sync_unavailable_until_its_window_ends(self, token, admin_user) -> None:
        start = clock.now()
        with clock.frozen_at(start):
            run = sync_request(actor=admin_user, token=token)
        run_finish(run, SyncRun.State.FAILED)
        with (
            clock.frozen_at(start + timedelta(minutes=14, seconds=30)),
            pytest.raises(SyncRefused) as refused,
        ):
            sync_request(actor=admin_user, token=token)
        assert "30 seconds" in str(refused.value)
        with clock.frozen_at(start + timedelta(minutes=15)):
            assert sync_request(actor=admin_user, token=token)

    def test_a_run_past_its_fifteen_minutes_fails_and_frees_sync(self, token, admin_user) -> None:
        start = clock.now()
        with clock.frozen_at(start):
            stuck = sync_request(actor=admin_user, token=token)
        with clock.frozen_at(start + timedelta(minutes=16)):
            sync_request(actor=admin_user, token=token)
        stuck.refresh_from_db()
        assert (stuck.state, stuck.error_code) == (SyncRun.State.FAILED, "TIMEOUT")
        assert EnrollmentProgramToken.objects.get(pk=token.pk).last_sync_error_code == "TIMEOUT"
        assert TokenSyncState.objects.get(token=token).next_must_be_full

    def test_the_window_is_a_setting(self, token, admin_user, settings) -> None:
        settings.SYNC_REQUEST_WINDOW_SECONDS = 60
        start = clock.now()
        with clock.frozen_at(start):
            run = sync_request(actor=admin_user, token=token)
        assert run.deadline_at == start + timedelta(seconds=60)
        run_finish(run, SyncRun.State.FAILED)
        with clock.frozen_at(start + timedelta(seconds=61)):
            assert sync_request(actor=admin_user, token=token)

    def test_an_expired_token_cannot_sync(self, admin_user) -> None:
        token = token_create()
        EnrollmentProgramToken.objects.filter(pk=token.pk).update(expires_at=clock.now() - timedelta(days=1))
        token.refresh_from_db()
        with pytest.raises(SyncRefused, match="expired"):
            sync_request(actor=admin_user, token=token)
        assert not SyncRun.objects.exists()

    def test_read_only_operators_cannot_sync(self, token, operator_user) -> None:
        with pytest.raises(PermissionDenied):
            sync_request(actor=operator_user, token=token)
        assert not SyncRun.objects.exists()
        assert EnrollmentProgramToken.objects.get(pk=token.pk).last_sync_requested_at is None

    def test_the_availability_shows_the_window_s_progress(self, token, admin_user) -> None:
        start = clock.now()
        with clock.frozen_at(start):
            sync_request(actor=admin_user, token=token)
        availability = sync_availability(token=token, now=start + timedelta(minutes=5))
        assert not availability.allowed and availability.percent == 33


class SyncQueueTests:
    def test_one_run_per_token_at_a_time(self, token) -> None:
        first = sync_queue(token=token, trigger=SyncRun.Trigger.TOKEN_UPLOAD)
        assert first is not None
        assert sync_queue(token=token, trigger=SyncRun.Trigger.AUTOMATIC) is None
        assert SyncRun.objects.count() == 1
        run_finish(first)
        assert sync_queue(token=token, trigger=SyncRun.Trigger.AUTOMATIC) is not None

    def test_the_token_upload_queues_the_first_sync(self, token, admin_user) -> None:
        from tokens.services import token_sync_request

        token_sync_request(actor=admin_user, token=token, reason="Token uploaded")
        run = SyncRun.objects.get()
        assert (run.trigger, run.kind, run.requested_by) == (
            SyncRun.Trigger.TOKEN_UPLOAD,
            SyncRun.Kind.FULL,
            admin_user,
        )

    def test_a_delta_starts_from_the_cursor_of_the_last_sync(self, token) -> None:
        sync_state_synced(token, cursor="THE-CURSOR")
        run = sync_queue(token=token, trigger=SyncRun.Trigger.AUTOMATIC)
        assert run is not None
        assert (run.kind, run.phase, run.cursor) == (SyncRun.Kind.DELTA, SyncRun.Phase.SYNC, "THE-CURSOR")
