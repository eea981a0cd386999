"""The mock's plain-SQL bulk writes: the inventory a seed buys and the change-feed lines of an
assignment, with every column the caller does not set at its default."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import FieldDoesNotExist

from mock_apple.bulk import rows_insert
from mock_apple.models import Device, DeviceEvent, MdmServer
from mock_apple.services import assignments, mdm_servers
from mock_apple.services import organization as organization_services
from tests.mock_apple.conftest import organization_create

pytestmark = pytest.mark.django_db(databases=["default", "apple"])


class InventoryTopUpTests:
    def test_it_buys_the_missing_devices_with_apple_defaults(self) -> None:
        organization = organization_create(devices=5)

        added = organization_services.inventory_top_up(organization=organization, devices=120, seed=7)

        assert added == 115
        bought = Device.objects.filter(organization=organization).exclude(serial_number__startswith="DMPQ")
        assert bought.count() == 115
        device = bought.order_by("serial_number").first()
        assert device is not None
        assert device.order.organization_id == organization.pk
        assert (device.mdm_server_id, device.profile_status, device.asset_tag) == (None, "empty", "")
        assert device.activation_locked is False and device.disowned_at is None
        assert device.model and device.description and device.color and device.os

    def test_a_second_top_up_to_the_same_count_buys_nothing(self) -> None:
        organization = organization_create(devices=0)
        organization_services.inventory_top_up(organization=organization, devices=40, seed=1)

        assert organization_services.inventory_top_up(organization=organization, devices=40, seed=1) == 0
        assert Device.objects.filter(organization=organization).count() == 40


class RowsInsertTests:
    def test_event_lines_keep_their_date_and_get_ids_in_order(self) -> None:
        organization = organization_create(devices=3)
        server = mdm_servers.mdm_server_create(actor=None, organization=organization, name="Intune")
        devices = list(Device.objects.order_by("serial_number"))
        when = datetime(2026, 11, 27, 9, 30, 15, 123456, tzinfo=UTC)

        rows_insert(
            DeviceEvent,
            assignments.EVENT_FIELDS,
            [(server.pk, device.pk, "added", when, "admin@appleid.contoso.edu") for device in devices],
        )

        events = list(DeviceEvent.objects.filter(mdm_server=server).order_by("id"))
        assert [event.device_id for event in events] == [device.pk for device in devices]
        assert {event.op_date for event in events} == {when}
        assert {event.actor for event in events} == {"admin@appleid.contoso.edu"}

    def test_a_name_that_is_not_a_column_is_refused(self) -> None:
        with pytest.raises(FieldDoesNotExist, match="no_such_field"):
            rows_insert(MdmServer, ["no_such_field"], [("x",)])
