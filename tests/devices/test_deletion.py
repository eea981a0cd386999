"""Deleting devices from Intune, and the purge of the devices Apple removed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from asm_portal import clock
from asm_portal.models import AuditEvent
from devices.deletion import devices_delete, removed_devices_purge
from devices.models import DeletedDevice, Device, SyncRun
from devices.selection import DeviceActionRefused
from tests.devices.conftest import devices_create, live, portal_serials, sync_now, token_create


@pytest.mark.integration
@live
class RemovedDevicesTests:
    def test_removed_devices_are_purged_after_the_retention(self, apple_token, settings) -> None:
        sync_now(apple_token.token)
        gone = sorted(apple_token.apple_serials())[:1]
        apple_token.unassign(gone)
        sync_now(apple_token.token, SyncRun.Trigger.AUTOMATIC)
        assert removed_devices_purge() == 0
        later = clock.now() + timedelta(days=settings.SYNC_REMOVED_RETENTION_DAYS, minutes=1)
        assert removed_devices_purge(now=later) == 1
        assert not portal_serials(apple_token.token) & set(gone)


@pytest.mark.django_db
class DevicesDeleteTests:
    def test_it_deletes_remembers_and_audits(self, admin_user) -> None:
        token = token_create()
        devices = devices_create(token, 3)
        assert devices_delete(actor=admin_user, device_ids=[devices[0].pk, str(devices[1].pk), "x"]) == 2
        assert list(Device.objects.values_list("serial_number", flat=True)) == ["DMPQ000002"]
        assert set(DeletedDevice.objects.values_list("serial_number", flat=True)) == {
            "DMPQ000000",
            "DMPQ000001",
        }
        assert AuditEvent.objects.filter(action="Delete enrollment program devices").exists()

    def test_it_refuses_an_empty_or_too_large_selection(self, admin_user) -> None:
        with pytest.raises(DeviceActionRefused, match="Select at least one device"):
            devices_delete(actor=admin_user, device_ids=[])
        with pytest.raises(DeviceActionRefused, match="at most 1,000"):
            devices_delete(actor=admin_user, device_ids=range(1, 1002))
        with pytest.raises(DeviceActionRefused, match="no longer exist"):
            devices_delete(actor=admin_user, device_ids=[424242])
