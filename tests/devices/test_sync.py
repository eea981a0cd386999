"""The sync engine against the mock Apple service in its own process, over real HTTP.

The engine runs in the test's process (the task's body); tests/devices/test_sync_worker.py runs
it in real Celery worker processes.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from asm_portal import clock
from devices.deletion import devices_delete
from devices.models import DeletedDevice, Device, ProfileStatus, SyncRun, TokenSyncState
from devices.sync import lease_take
from devices.sync_requests import sync_queue
from mock_apple.models import Device as AppleDevice
from mock_apple.models import MdmServer
from mock_apple.services import assignments as apple_assignments
from mock_apple.services import mdm_servers as apple_servers
from profiles.services import profile_define_on_apple
from tests.devices.conftest import (
    AppleToken,
    control,
    live,
    portal_serials,
    profile_create,
    sync_now,
    token_create,
)
from tokens import apple_retry
from tokens.dep_client import DepClient
from tokens.models import EnrollmentProgramToken
from tokens.services import token_dep_client


def fault(apple_token: AppleToken, **body) -> None:
    response = control(apple_token.base_url, "POST", "faults", body)
    assert response.status_code == 201, response.text


def configure(apple_token: AppleToken, **changes) -> None:
    response = control(apple_token.base_url, "PATCH", "config", changes)
    assert response.status_code == 200, response.text


@pytest.mark.integration
@live
class FirstSyncTests:
    def test_the_first_sync_reads_every_device_apple_assigns(self, apple_token, settings) -> None:
        settings.SYNC_PAGE_SIZE = 5  # 12 devices: three fetch pages, then the change feed
        run = sync_now(apple_token.token, SyncRun.Trigger.TOKEN_UPLOAD)
        assert run.state == SyncRun.State.SUCCEEDED, run.error_code
        assert run.kind == SyncRun.Kind.FULL
        assert (run.added, run.updated, run.removed) == (12, 0, 0)
        assert run.pages == 4  # three pages of the walk, one of the feed
        assert portal_serials(apple_token.token) == apple_token.apple_serials()
        apple_device = AppleDevice.objects.filter(mdm_server=apple_token.server).get(
            serial_number=min(apple_token.apple_serials())
        )
        device = Device.objects.get(serial_number=apple_device.serial_number)
        assert device.description == apple_device.description
        assert device.model == apple_device.model
        assert device.color == apple_device.color
        assert device.os == apple_device.os and device.device_family == apple_device.device_family
        assert device.device_assigned_by == "admin@appleid.contoso.edu"
        assert device.device_assigned_date is not None
        assert device.profile_status == ProfileStatus.EMPTY
        assert device.enrollment_state == "notContacted"
        token = EnrollmentProgramToken.objects.get(pk=apple_token.token.pk)
        assert token.last_successful_sync_at is not None and token.last_sync_error_code == ""
        state = TokenSyncState.objects.get(token=token)
        assert state.cursor and not state.next_must_be_full and state.last_full_sync_at is not None

    def test_an_ipad_reports_ipados_with_our_protocol_version(self, apple_token) -> None:
        sync_now(apple_token.token)
        ipads = Device.objects.filter(device_family="iPad")
        assert ipads.exists() and set(ipads.values_list("os", flat=True)) == {"iPadOS"}


@pytest.mark.integration
@live
class DeltaSyncTests:
    def test_a_delta_reads_the_changes_made_in_apple_school_manager(self, apple_token) -> None:
        sync_now(apple_token.token)
        known = sorted(apple_token.apple_serials())
        apple_token.assign(3)
        gone = known[:2]
        apple_token.unassign(gone)
        profile = profile_create(apple_token.token)
        uuid = profile_define_on_apple(profile=profile)
        assigned = known[2]
        apple_profile = apple_token.server.profiles.get(profile_uuid=uuid)
        apple_assignments.profile_assign(
            server=apple_token.server, profile=apple_profile, serials=[assigned], throttling=False
        )

        run = sync_now(apple_token.token, SyncRun.Trigger.AUTOMATIC)
        assert run.state == SyncRun.State.SUCCEEDED, run.error_code
        assert run.kind == SyncRun.Kind.DELTA
        assert (run.added, run.updated, run.removed) == (3, 1, 2)
        assert portal_serials(apple_token.token, removed_by_apple=False) == apple_token.apple_serials()
        assert portal_serials(apple_token.token, removed_by_apple=True) == set(gone)
        device = Device.objects.get(serial_number=assigned)
        # Apple's answer names one of our profiles: the grid shows it as the assigned profile.
        assert device.profile_status == ProfileStatus.ASSIGNED
        assert device.assigned_profile == profile
        assert device.apple_profile_uuid == uuid

    def test_a_device_moved_from_another_server_arrives_as_modified(self, apple_token) -> None:
        sync_now(apple_token.token)
        other = apple_servers.mdm_server_create(
            actor=None, organization=apple_token.organization, name="Other MDM"
        )
        apple_assignments.devices_assign_unassigned(server=other, count=2)
        moved = list(AppleDevice.objects.filter(mdm_server=other).values_list("pk", flat=True))
        apple_assignments.devices_assign(
            actor=None, organization=apple_token.organization, server=apple_token.server, device_ids=moved
        )
        run = sync_now(apple_token.token, SyncRun.Trigger.AUTOMATIC)
        assert run.added == 2
        assert portal_serials(apple_token.token) == apple_token.apple_serials()

    def test_a_request_inside_seven_days_adds_only_new_serial_numbers(self, apple_token) -> None:
        first = sync_now(apple_token.token)
        known = sorted(apple_token.apple_serials())[0]
        Device.objects.filter(serial_number=known).update(description="EDITED HERE")
        apple_token.assign(2)
        second = sync_now(apple_token.token)
        assert second.kind == SyncRun.Kind.NEW_SERIALS
        assert (second.added, second.updated) == (2, 0)
        # Known serial numbers are not refreshed by such a request.
        assert Device.objects.get(serial_number=known).description == "EDITED HERE"
        assert portal_serials(apple_token.token) == apple_token.apple_serials()
        state = TokenSyncState.objects.get(token=apple_token.token)
        assert state.last_full_sync_at == first.started_at

    def test_after_seven_days_a_request_is_a_full_sync_again(self, apple_token) -> None:
        sync_now(apple_token.token)
        known = sorted(apple_token.apple_serials())[0]
        Device.objects.filter(serial_number=known).update(description="EDITED HERE")
        TokenSyncState.objects.filter(token=apple_token.token).update(
            last_full_sync_at=clock.now() - timedelta(days=7, minutes=1)
        )
        run = sync_now(apple_token.token)
        assert run.kind == SyncRun.Kind.FULL
        assert run.updated == 12
        assert Device.objects.get(serial_number=known).description != "EDITED HERE"


@pytest.mark.integration
@live
class RemovedDevicesTests:
    def test_a_full_sync_marks_removed_the_devices_apple_no_longer_lists(self, apple_token) -> None:
        sync_now(apple_token.token)
        gone = sorted(apple_token.apple_serials())[:3]
        apple_token.unassign(gone)
        TokenSyncState.objects.filter(token=apple_token.token).update(next_must_be_full=True, cursor="")
        run = sync_now(apple_token.token)
        assert run.kind == SyncRun.Kind.FULL
        assert run.removed == 3
        assert portal_serials(apple_token.token, removed_by_apple=True) == set(gone)

    def test_deleted_devices_come_back_with_the_next_full_sync_only(self, apple_token, admin_user) -> None:
        sync_now(apple_token.token)
        victims = list(Device.objects.filter(token=apple_token.token).order_by("serial_number")[:2])
        devices_delete(actor=admin_user, device_ids=[d.pk for d in victims])
        serials = {d.serial_number for d in victims}
        assert DeletedDevice.objects.count() == 2

        sync_now(apple_token.token)  # inside seven days: new serial numbers only
        assert not portal_serials(apple_token.token) & serials

        TokenSyncState.objects.filter(token=apple_token.token).update(
            last_full_sync_at=clock.now() - timedelta(days=8)
        )
        run = sync_now(apple_token.token)
        assert run.kind == SyncRun.Kind.FULL
        assert portal_serials(apple_token.token) >= serials
        assert not DeletedDevice.objects.exists()


@pytest.mark.integration
@live
class CursorTests:
    def test_exhausted_cursor_moves_on_to_the_change_feed(self, apple_token) -> None:
        # A run that wrote the walk's last page, then died before moving on: its cursor is
        # the walk's last one, which Apple refuses on fetch (EXHAUSTED_CURSOR).
        client = token_dep_client(token=apple_token.token)
        last = client.fetch_devices(limit=1000)
        assert not last.more_to_follow
        apple_token.assign(1)
        with transaction.atomic():
            queued = sync_queue(token=apple_token.token, trigger=SyncRun.Trigger.MANUAL)
            assert queued is not None
            run = queued
            # Before its task is sent (on commit): as if the walk's last page were written.
            SyncRun.objects.filter(pk=run.pk).update(cursor=last.cursor, phase=SyncRun.Phase.FETCH, pages=1)
        run.refresh_from_db()
        assert run.state == SyncRun.State.SUCCEEDED, run.error_code
        assert run.phase == SyncRun.Phase.SYNC
        assert run.added == 1  # the device assigned after the walk, from the feed

    @pytest.mark.parametrize("code", ["EXPIRED_CURSOR", "INVALID_CURSOR"])
    def test_a_refused_cursor_makes_the_delta_a_full_sync(self, apple_token, code) -> None:
        sync_now(apple_token.token)
        fault(apple_token, endpoint="sync", status=400, code=code)
        run = sync_now(apple_token.token, SyncRun.Trigger.AUTOMATIC)
        assert run.state == SyncRun.State.SUCCEEDED, run.error_code
        assert run.kind == SyncRun.Kind.FULL and run.restarted_full
        assert run.updated == 12
        assert portal_serials(apple_token.token) == apple_token.apple_serials()

    def test_a_cursor_really_older_than_seven_days_is_refused_by_apple(self, apple_token) -> None:
        sync_now(apple_token.token)
        state = TokenSyncState.objects.get(token=apple_token.token)
        control(apple_token.base_url, "PUT", "clock", {"offset_seconds": 8 * 86400})
        try:
            # Both clocks moved on, as the demo clock moves them: Apple's sessions and cursors
            # age, and the portal signs its OAuth timestamps on the moved clock.
            with clock.frozen_at(clock.now() + timedelta(days=8)):
                page_error = None
                try:
                    token_dep_client(token=apple_token.token).sync_devices(cursor=state.cursor)
                except Exception as error:  # noqa: BLE001
                    page_error = error
                assert getattr(page_error, "code", "") == "EXPIRED_CURSOR"
                run = sync_now(apple_token.token, SyncRun.Trigger.AUTOMATIC)
        finally:
            control(apple_token.base_url, "PUT", "clock", {"offset_seconds": 0})
        assert run.state == SyncRun.State.SUCCEEDED and run.restarted_full

    def test_apples_echoed_cursor_stops_the_run_instead_of_looping(self, apple_token) -> None:
        first = sync_now(apple_token.token)
        configure(apple_token, echoed_cursor_remaining=50)
        apple_token.assign(2)
        run = sync_now(apple_token.token, SyncRun.Trigger.AUTOMATIC)
        assert run.state == SyncRun.State.SUCCEEDED
        assert run.warning_code == "ECHOED_CURSOR"
        assert run.pages == 0
        state = TokenSyncState.objects.get(token=apple_token.token)
        assert state.cursor == SyncRun.objects.get(pk=first.pk).cursor  # the next sync starts there
        configure(apple_token, echoed_cursor_remaining=0)
        again = sync_now(apple_token.token, SyncRun.Trigger.AUTOMATIC)
        assert again.added == 2


@pytest.mark.integration
@live
class AppleRefusalTests:
    @pytest.mark.parametrize(
        ("setup", "code"),
        [
            ("terms", "T_C_NOT_SIGNED"),
            ("access", "ACCESS_DENIED"),
            ("revoke", "token_rejected"),
        ],
    )
    def test_the_run_fails_with_apples_code_on_the_token(self, apple_token, setup, code) -> None:
        sync_now(apple_token.token)
        uuid = apple_token.server.server_uuid
        if setup == "terms":
            control(apple_token.base_url, "POST", "terms", {"action": "publish"})
        elif setup == "access":
            control(apple_token.base_url, "PUT", f"servers/{uuid}/access", {"denied": True})
        else:
            control(apple_token.base_url, "POST", f"servers/{uuid}/revoke")
        run = sync_now(apple_token.token, SyncRun.Trigger.AUTOMATIC)
        assert run.state == SyncRun.State.FAILED
        assert run.error_code == code
        token = EnrollmentProgramToken.objects.get(pk=apple_token.token.pk)
        assert token.last_sync_error_code == code
        assert token.status == "error"
        assert run.attempts == 1  # no retry: retrying cannot help
        assert TokenSyncState.objects.get(token=token).next_must_be_full

    def test_apples_expiry_of_the_server_token(self, apple_token) -> None:
        MdmServer.objects.get(pk=apple_token.server.pk).tokens.update(
            access_token_expiry=clock.now() - timedelta(minutes=1)
        )
        run = sync_now(apple_token.token)
        assert (run.state, run.error_code) == (SyncRun.State.FAILED, "token_expired")

    def test_an_expired_token_does_not_call_apple(self, apple_token, settings) -> None:
        EnrollmentProgramToken.objects.filter(pk=apple_token.token.pk).update(
            expires_at=clock.now() - timedelta(days=1)
        )
        settings.APPLE_BASE_URL = "http://127.0.0.1:9"  # would fail as unreachable if called
        token = EnrollmentProgramToken.objects.get(pk=apple_token.token.pk)
        run = sync_now(token, SyncRun.Trigger.TOKEN_UPLOAD)
        assert (run.state, run.error_code) == (SyncRun.State.FAILED, "token_expired")
        assert EnrollmentProgramToken.objects.get(pk=token.pk).last_sync_error_code == "token_expired"

    def test_a_later_success_clears_the_error(self, apple_token) -> None:
        control(apple_token.base_url, "POST", "terms", {"action": "publish"})
        assert sync_now(apple_token.token).state == SyncRun.State.FAILED
        control(apple_token.base_url, "POST", "terms", {"action": "accept"})
        assert sync_now(apple_token.token).state == SyncRun.State.SUCCEEDED
        assert EnrollmentProgramToken.objects.get(pk=apple_token.token.pk).last_sync_error_code == ""


@pytest.mark.integration
@live
class TransientFailureTests:
    def test_429_with_retry_after_is_tried_again(self, apple_token, monkeypatch) -> None:
        slept: list[float] = []
        monkeypatch.setattr(apple_retry, "pause", slept.append)
        fault(apple_token, endpoint="fetch", status=429, code="TOO_MANY_REQUESTS", retry_after=3, count=2)
        run = sync_now(apple_token.token)
        assert run.state == SyncRun.State.SUCCEEDED, run.error_code
        assert slept == [3.0, 3.0]  # Apple's Retry-After, not our shorter back-off
        assert portal_serials(apple_token.token) == apple_token.apple_serials()

    def test_5xx_are_tried_again_with_a_growing_back_off(self, apple_token, settings, monkeypatch) -> None:
        settings.SYNC_RETRY_BACKOFF_SECONDS = 2
        slept: list[float] = []
        monkeypatch.setattr(apple_retry, "pause", slept.append)
        fault(apple_token, endpoint="fetch", status=503, count=1)
        fault(apple_token, endpoint="fetch", status=500, count=1)
        run = sync_now(apple_token.token)
        assert run.state == SyncRun.State.SUCCEEDED, run.error_code
        assert slept == [2.0, 4.0]

    def test_the_retries_are_bounded(self, apple_token, settings, monkeypatch) -> None:
        settings.SYNC_RETRY_ATTEMPTS = 3
        monkeypatch.setattr(apple_retry, "pause", lambda seconds: None)
        fault(apple_token, endpoint="*", status=503, code="SERVICE_UNAVAILABLE", count=50)
        run = sync_now(apple_token.token)
        assert (run.state, run.error_code) == (SyncRun.State.FAILED, "503 SERVICE_UNAVAILABLE")
        remaining = control(apple_token.base_url, "GET", "faults").json()
        assert sum(f["remaining"] for f in remaining["faults"]) == 47  # three calls, no storm

    def test_a_retry_after_beyond_the_request_window_fails_at_once(self, apple_token, monkeypatch) -> None:
        monkeypatch.setattr(apple_retry, "pause", lambda seconds: pytest.fail("slept"))
        fault(apple_token, endpoint="fetch", status=429, retry_after=3600)
        run = sync_now(apple_token.token)
        assert (run.state, run.error_code) == (SyncRun.State.FAILED, "429 TOO_MANY_REQUESTS")

    def test_a_timeout_is_tried_again(self, apple_token, settings, monkeypatch) -> None:
        settings.APPLE_HTTP_TIMEOUT_SECONDS = 1
        monkeypatch.setattr(apple_retry, "pause", lambda seconds: None)
        fault(apple_token, endpoint="fetch", latency_ms=1500, count=1)
        run = sync_now(apple_token.token)
        assert run.state == SyncRun.State.SUCCEEDED, run.error_code

    def test_an_expired_session_signs_in_again(self, apple_token) -> None:
        fault(apple_token, endpoint="fetch", status=401, code="UNAUTHORIZED", count=1)
        fault(apple_token, endpoint="sync", status=403, code="FORBIDDEN", count=1)  # depsim's way
        run = sync_now(apple_token.token)
        assert run.state == SyncRun.State.SUCCEEDED, run.error_code

    def test_session_rotation_is_followed(self, apple_token, settings) -> None:
        settings.SYNC_PAGE_SIZE = 4
        configure(apple_token, session_rotation=True)
        run = sync_now(apple_token.token)
        assert run.state == SyncRun.State.SUCCEEDED, run.error_code
        assert run.pages == 4


@pytest.mark.integration
@live
class DepClientDeviceCallsTests:
    def test_the_client_walks_and_follows_the_feed(self, apple_token) -> None:
        client: DepClient = token_dep_client(token=apple_token.token)
        walked, cursor = [], ""
        while True:
            page = client.fetch_devices(cursor=cursor, limit=5)
            walked += [device["serial_number"] for device in page.devices]
            cursor = page.cursor
            if not page.more_to_follow:
                break
        assert set(walked) == apple_token.apple_serials() and len(walked) == 12
        apple_token.assign(1)
        feed = client.sync_devices(cursor=cursor)
        assert [device["op_type"] for device in feed.devices] == ["added"]


@pytest.fixture
def token() -> EnrollmentProgramToken:
    return token_create()


@pytest.mark.django_db
class LeaseTests:
    def test_a_live_lease_keeps_other_workers_out_until_it_expires(self, token, settings) -> None:
        settings.SYNC_LEASE_SECONDS = 60
        run = sync_queue(token=token, trigger=SyncRun.Trigger.MANUAL)
        assert run is not None
        start = clock.now()
        with clock.frozen_at(start):
            taken = lease_take(run_id=run.pk, worker="worker-a")
            assert taken is not None and taken.state == SyncRun.State.RUNNING and taken.attempts == 1
            assert lease_take(run_id=run.pk, worker="worker-b") is None
        with clock.frozen_at(start + timedelta(seconds=61)):
            taken = lease_take(run_id=run.pk, worker="worker-b")
        assert taken is not None and taken.lease_owner == "worker-b" and taken.attempts == 2
        assert taken.started_at == start  # the run keeps its start

    def test_a_finished_run_is_not_run_again(self, token) -> None:
        run = sync_queue(token=token, trigger=SyncRun.Trigger.MANUAL)
        assert run is not None
        SyncRun.objects.filter(pk=run.pk).update(state=SyncRun.State.SUCCEEDED, finished_at=clock.now())
        assert lease_take(run_id=run.pk, worker="late-delivery") is None
