"""Profile assignment against the mock Apple service over real HTTP: Apple's answer per serial."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.db import transaction

from asm_portal import clock
from asm_portal.models import Notification
from devices import assignment_rounds
from devices.assignment import profile_assign
from devices.assignment_rounds import assignment_run, profile_reassign_after_edit
from devices.models import (
    AssignmentDevice,
    Device,
    EnrollmentState,
    ProfileAssignment,
    ProfileStatus,
    SyncRun,
)
from devices.sync_requests import sync_queue
from mock_apple.models import Device as AppleDevice
from profiles import services as profile_services
from tests.devices.conftest import control, devices_create, live, profile_create, token_create
from tokens.dep_client import AssignmentAnswer
from tokens.models import EnrollmentProgramToken


def synced(apple_token) -> list[str]:
    with transaction.atomic():
        sync_queue(token=apple_token.token, trigger=SyncRun.Trigger.TOKEN_UPLOAD)
    return sorted(Device.objects.filter(token=apple_token.token).values_list("serial_number", flat=True))


def assign(actor, profile, serials) -> ProfileAssignment:
    """As the blade does: the task runs on commit (here, inline)."""
    with transaction.atomic():
        assignment = profile_assign(actor=actor, profile=profile, serials=serials)
    assignment.refresh_from_db()
    return assignment


def apple_profile_of(serial: str) -> str:
    return AppleDevice.objects.get(serial_number=serial).profile_uuid


@pytest.mark.integration
@live
class ProfileAssignOnAppleTests:
    def test_it_defines_the_profile_then_assigns_it(self, apple_token, admin_user) -> None:
        serials = synced(apple_token)
        profile = profile_create(apple_token.token)
        assert not profile.apple_profile_uuid
        assignment = assign(admin_user, profile, serials[:5])
        profile.refresh_from_db()
        assert profile.apple_profile_uuid  # defined on Apple on the way
        assert assignment.state == ProfileAssignment.State.SUCCEEDED
        assert (assignment.device_count, assignment.succeeded) == (5, 5)
        assert assignment.apple_profile_uuid == profile.apple_profile_uuid
        for serial in serials[:5]:
            assert apple_profile_of(serial) == profile.apple_profile_uuid
            device = Device.objects.get(serial_number=serial)
            assert device.assigned_profile == profile and device.profile_status == ProfileStatus.ASSIGNED
            assert device.profile_assigned_at is not None
        assert Device.objects.get(serial_number=serials[5]).assigned_profile is None
        toast = Notification.objects.get(user=admin_user, title="Profile assigned")
        assert "5 of 5 devices were assigned" in toast.body

    def test_apple_s_refusals_are_recorded_per_serial(self, apple_token, admin_user) -> None:
        serials = synced(apple_token)
        apple_token.unassign([serials[0]])  # released in ASM after the sync: not accessible
        control(apple_token.base_url, "PATCH", "config", {"failed_serials": [serials[1]]})
        assignment = assign(admin_user, profile_create(apple_token.token), serials[:4])
        assert assignment.state == ProfileAssignment.State.COMPLETED_WITH_ERRORS
        assert (assignment.succeeded, assignment.not_accessible, assignment.failed) == (2, 1, 1)
        statuses = dict(AssignmentDevice.objects.values_list("serial_number", "status"))
        assert statuses[serials[0]] == "NOT_ACCESSIBLE" and statuses[serials[1]] == "FAILED"
        assert Device.objects.get(serial_number=serials[1]).profile_status == ProfileStatus.FAILED

    def test_throttled_serials_are_tried_again_after_apple_s_delay(self, apple_token, admin_user) -> None:
        serials = synced(apple_token)
        control(
            apple_token.base_url,
            "PATCH",
            "config",
            {"throttle_serials": serials[:2], "retry_after_seconds": 120},
        )
        start = clock.now()
        with clock.frozen_at(start):
            assignment = assign(admin_user, profile_create(apple_token.token), serials[:3])
        assert assignment.state == ProfileAssignment.State.WAITING
        assert (assignment.succeeded, assignment.throttled) == (1, 2)
        assert assignment.retry_at == start + timedelta(seconds=120)
        assert Device.objects.get(serial_number=serials[0]).profile_status == ProfileStatus.PENDING
        # Delivered early (e.g. a redelivery): nothing is sent, the rest of the delay is asked.
        with clock.frozen_at(start + timedelta(seconds=20)):
            assert assignment_run(assignment_id=assignment.pk) == 100
        control(apple_token.base_url, "PATCH", "config", {"throttle_serials": []})
        with clock.frozen_at(start + timedelta(seconds=121)):
            assert assignment_run(assignment_id=assignment.pk) is None
        assignment.refresh_from_db()
        assert assignment.state == ProfileAssignment.State.SUCCEEDED and assignment.rounds == 2
        assert {apple_profile_of(s) for s in serials[:3]} == {assignment.apple_profile_uuid}

    def test_throttling_that_never_ends_gives_up(self, apple_token, admin_user, settings) -> None:
        settings.ASSIGNMENT_THROTTLED_RETRIES = 1
        serials = synced(apple_token)
        control(
            apple_token.base_url,
            "PATCH",
            "config",
            {"throttle_serials": serials[:1], "retry_after_seconds": 1},
        )
        assignment = assign(admin_user, profile_create(apple_token.token), serials[:2])
        assert assignment.state == ProfileAssignment.State.WAITING
        with clock.frozen_at(clock.now() + timedelta(seconds=2)):
            assert assignment_run(assignment_id=assignment.pk) is None
        assignment.refresh_from_db()
        assert assignment.state == ProfileAssignment.State.COMPLETED_WITH_ERRORS and assignment.throttled == 1

    def test_re_assigning_an_enrolled_device_requires_a_reset(self, apple_token, admin_user) -> None:
        serials = synced(apple_token)
        first = profile_create(apple_token.token, name="Élèves")
        second = profile_create(apple_token.token, name="Professeurs")
        Device.objects.filter(serial_number__in=serials[:2]).update(
            enrollment_state=EnrollmentState.ENROLLED, enrolled_profile=first, assigned_profile=first
        )
        assignment = assign(admin_user, second, serials[:3])
        assert assignment.reset_required == 2
        assert set(
            Device.objects.filter(serial_number__in=serials[:3]).values_list("enrollment_state", flat=True)
        ) == {
            EnrollmentState.PENDING_RESET,
            EnrollmentState.NOT_CONTACTED,
        }
        # Assigning back the profile it enrolled with does not ask for a reset.
        Device.objects.filter(serial_number=serials[0]).update(enrollment_state=EnrollmentState.ENROLLED)
        again = assign(admin_user, first, serials[:1])
        assert again.reset_required == 0
        assert Device.objects.get(serial_number=serials[0]).enrollment_state == EnrollmentState.ENROLLED

    def test_an_edited_profile_s_devices_follow_its_new_apple_uuid(self, apple_token, admin_user) -> None:
        serials = synced(apple_token)
        profile = profile_create(apple_token.token)
        first = assign(admin_user, profile, serials[:3])
        old_uuid = first.apple_profile_uuid
        with transaction.atomic():  # the edit commits, then its task re-assigns the devices
            profile_services.profile_update(
                actor=admin_user, profile=profile, values=replace(profile.values(), department="Bibliothèque")
            )
        profile.refresh_from_db()
        assert profile.apple_profile_uuid != old_uuid
        reassigned = ProfileAssignment.objects.get(source=ProfileAssignment.Source.PROFILE_EDIT)
        assert reassigned.state == ProfileAssignment.State.SUCCEEDED and reassigned.device_count == 3
        assert {apple_profile_of(s) for s in serials[:3]} == {profile.apple_profile_uuid}

    def test_a_long_retry_after_waits_for_the_next_round(self, apple_token, admin_user) -> None:
        serials = synced(apple_token)
        profile = profile_create(apple_token.token)
        control(
            apple_token.base_url,
            "POST",
            "faults",
            {"endpoint": "profile_assign", "status": 503, "retry_after": 120},
        )
        start = clock.now()
        with clock.frozen_at(start):
            assignment = assign(admin_user, profile, serials[:2])
        assert assignment.state == ProfileAssignment.State.WAITING
        assert assignment.retry_at == start + timedelta(seconds=120)
        with clock.frozen_at(start + timedelta(seconds=121)):
            assert assignment_run(assignment_id=assignment.pk) is None
        assignment.refresh_from_db()
        assert assignment.state == ProfileAssignment.State.SUCCEEDED

    def test_apple_s_refusal_fails_the_assignment_with_its_code(self, apple_token, admin_user) -> None:
        serials = synced(apple_token)
        profile = profile_create(apple_token.token)
        control(apple_token.base_url, "POST", "terms", {"action": "publish"})
        assignment = assign(admin_user, profile, serials[:2])
        assert (assignment.state, assignment.error_code) == (ProfileAssignment.State.FAILED, "T_C_NOT_SIGNED")
        assert (
            EnrollmentProgramToken.objects.get(pk=apple_token.token.pk).last_sync_error_code
            == "T_C_NOT_SIGNED"
        )
        assert Notification.objects.filter(user=admin_user, title="Profile assignment failed").exists()

    def test_a_profile_apple_lost_is_defined_again(self, apple_token, admin_user) -> None:
        serials = synced(apple_token)
        profile = profile_create(apple_token.token)
        from profiles.services import profile_define_on_apple

        lost = profile_define_on_apple(profile=profile)
        apple_token.server.profiles.filter(profile_uuid=lost).delete()
        assignment = assign(admin_user, profile, serials[:1])
        assert assignment.state == ProfileAssignment.State.SUCCEEDED
        profile.refresh_from_db()
        assert profile.apple_profile_uuid != lost


@pytest.mark.django_db
class ProfileAssignRulesTests:
    def test_apple_gets_at_most_one_thousand_serials_per_call(self, admin_user, monkeypatch) -> None:
        token = token_create()
        profile = profile_create(token)
        devices_create(token, 2500, assigned_profile=profile)
        batches: list[int] = []

        class Client:
            def assign_profile(self, *, profile_uuid, serials):
                batches.append(len(serials))
                return AssignmentAnswer(devices=dict.fromkeys(serials, "SUCCESS"), retry_after_seconds=None)

        monkeypatch.setattr(
            assignment_rounds, "profile_define_on_apple", lambda profile, force=False: "UUID-2"
        )
        monkeypatch.setattr(assignment_rounds, "token_dep_client", lambda token: Client())
        assignment = profile_reassign_after_edit(profile_id=profile.pk)
        assert assignment is not None
        assert assignment_run(assignment_id=assignment.pk) is None
        assert batches == [1000, 1000, 500]
        assignment.refresh_from_db()
        assert assignment.succeeded == 2500 and assignment.state == ProfileAssignment.State.SUCCEEDED
