"""Assigning a profile: the administrator's request (checked before anything is recorded) and the
token's default profile for synced devices that have none (Intune's setDefaultProfile)."""

from __future__ import annotations

import pytest
from django.db import transaction

from devices.assignment import default_profile_assign, profile_assign
from devices.models import ProfileAssignment, SyncRun
from devices.selection import DeviceActionRefused
from devices.sync_requests import sync_queue
from profiles.services import profile_set_default
from tests.devices.conftest import devices_create, profile_create
from tests.profiles.conftest import token_create


def sync(token) -> SyncRun:
    with transaction.atomic():
        run = sync_queue(token=token, trigger=SyncRun.Trigger.MANUAL)
    assert run is not None
    run.refresh_from_db()
    return run


class DefaultProfileAssignTests:
    def test_nothing_without_a_default_profile(self, db) -> None:
        token = token_create()
        devices_create(token, 3)
        assert default_profile_assign(token_id=token.pk) == []

    def test_only_devices_without_a_profile_in_batches_of_1000(self, admin_user) -> None:
        token = token_create()
        other = profile_create(token, name="Other")
        default = profile_create(token, name="Default")
        devices_create(token, 1001)
        devices_create(token, 2, prefix="ASSG", assigned_profile=other)
        profile_set_default(actor=admin_user, profile=default)
        assignments = ProfileAssignment.objects.filter(source=ProfileAssignment.Source.DEFAULT_PROFILE)
        assert sorted(a.device_count for a in assignments) == [1, 1000]
        assert {a.profile_id for a in assignments} == {default.pk}
        assert not assignments.filter(items__serial_number__startswith="ASSG").exists()


@pytest.mark.django_db
class ProfileAssignRulesTests:
    def test_serials_are_checked_before_anything_is_recorded(self, admin_user) -> None:
        token = token_create()
        profile = profile_create(token)
        devices_create(token, 2)
        with pytest.raises(DeviceActionRefused, match="UNKNOWN1 is not a device"):
            profile_assign(actor=admin_user, profile=profile, serials=["DMPQ000000", "unknown1"])
        with pytest.raises(DeviceActionRefused, match="Select at least one device"):
            profile_assign(actor=admin_user, profile=profile, serials=[" ", ""])
        assert not ProfileAssignment.objects.exists()

    def test_read_only_operators_cannot_assign(self, operator_user) -> None:
        from django.core.exceptions import PermissionDenied

        token = token_create()
        devices_create(token, 1)
        with pytest.raises(PermissionDenied):
            profile_assign(actor=operator_user, profile=profile_create(token), serials=["DMPQ000000"])
