"""The token's default profile goes to synced devices that have none (Intune's setDefaultProfile)."""

from __future__ import annotations

import pytest
from django.db import transaction

from devices.assignment import default_profile_assign
from devices.models import Device, ProfileAssignment, SyncRun
from devices.sync_requests import sync_queue
from profiles.services import profile_set_default
from tests.devices.conftest import AppleToken, devices_create, live, profile_create
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


@pytest.mark.integration
@live
class DefaultProfileAfterSyncTests:
    def test_a_sync_gives_new_devices_the_default_profile(self, apple_token: AppleToken, admin_user) -> None:
        default = profile_create(apple_token.token, name="Default")
        default.is_default = True
        default.save(update_fields=["is_default"])
        run = sync(apple_token.token)
        assert run.state == SyncRun.State.SUCCEEDED, run.error_code
        # The assignment ran (eagerly here): Apple now holds the default profile for all 12.
        assert Device.objects.filter(token=apple_token.token, assigned_profile=default).count() == 12
        assignment = ProfileAssignment.objects.get(source=ProfileAssignment.Source.DEFAULT_PROFILE)
        assert assignment.succeeded == 12
