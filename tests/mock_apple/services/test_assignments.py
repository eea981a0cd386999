"""Device assignment services: input checks (serials, orders, CSV) and the sync events they write."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from mock_apple.models import AppleAccount, Device, DeviceEvent
from mock_apple.services import assignments, mdm_servers
from tests.mock_apple.conftest import APPLE_DB, account_create, admin_of


@pytest.mark.django_db(databases=APPLE_DB)
class AssignmentServiceTests:
    def test_it_reads_serials_from_text_and_csv(self) -> None:
        assert assignments.serials_from_text("dmpq000001, DMPQ000002\nDMPQ000003 ") == [
            "DMPQ000001",
            "DMPQ000002",
            "DMPQ000003",
        ]
        data = "\ufeffSerial Number,Note\ndmpq000001,a\nDMPQ000002,b\n\n".encode()
        assert assignments.serials_from_csv(data) == ["DMPQ000001", "DMPQ000002"]

    @pytest.mark.parametrize(
        ("data", "code"),
        [(b"Serial,Note\nX,1\n", "header"), ("S\xe9rial".encode("latin-1"), "encoding"), (b"", "empty")],
    )
    def test_bad_csv_files_are_refused(self, data, code) -> None:
        with pytest.raises(assignments.AssignmentInputError) as error:
            assignments.serials_from_csv(data)
        assert error.value.code == code

    def test_a_csv_file_too_large_is_refused(self, settings) -> None:
        settings.ASM_MAX_CSV_UPLOAD_BYTES = 10
        with pytest.raises(assignments.AssignmentInputError, match="too large"):
            assignments.serials_from_csv(b"Serial Number\nDMPQ000001\n")

    def test_unknown_and_repeated_serials_are_all_reported(self, organization) -> None:
        with pytest.raises(assignments.AssignmentInputError) as error:
            assignments.serials_resolve(
                organization=organization, serials=["DMPQ000001", "DMPQ000001", "NOPE1", "NOPE2"]
            )
        assert len(error.value.messages) == 2
        assert "NOPE1, NOPE2" in error.value.messages[1]
        assert "DMPQ000001" in error.value.messages[0]

    def test_assign_move_and_unassign_write_the_feed(self, organization) -> None:
        admin = admin_of(organization)
        first = mdm_servers.mdm_server_create(actor=admin, organization=organization, name="First")
        second = mdm_servers.mdm_server_create(actor=admin, organization=organization, name="Second")
        ids = assignments.serials_resolve(organization=organization, serials=["DMPQ000001", "DMPQ000002"])
        result = assignments.devices_assign(
            actor=admin, organization=organization, server=first, device_ids=ids
        )
        assert (result.added, result.moved) == (2, 0)
        assert set(DeviceEvent.objects.values_list("mdm_server__name", "op_type")) == {("First", "added")}
        result = assignments.devices_assign(
            actor=admin, organization=organization, server=second, device_ids=ids[:1]
        )
        assert (result.added, result.moved) == (0, 1)
        assert DeviceEvent.objects.filter(mdm_server=first, op_type="deleted").count() == 1
        assert DeviceEvent.objects.filter(mdm_server=second, op_type="modified").count() == 1
        result = assignments.devices_assign(
            actor=admin, organization=organization, server=second, device_ids=ids[:1]
        )
        assert result.unchanged == 1
        result = assignments.devices_unassign(actor=admin, organization=organization, device_ids=ids)
        assert result.unassigned == 2
        assert DeviceEvent.objects.filter(op_type="deleted").count() == 3
        device = Device.objects.get(serial_number="DMPQ000001")
        assert device.mdm_server is None and device.device_assigned_by == ""
        assert DeviceEvent.objects.filter(device=device)[0].actor == "admin@appleid.contoso.edu"

    def test_orders_choose_their_devices(self, organization) -> None:
        assert len(assignments.order_device_ids(organization=organization, order_number="mx10000001")) == 30
        with pytest.raises(assignments.AssignmentInputError):
            assignments.order_device_ids(organization=organization, order_number="MX0")

    def test_staff_cannot_assign(self, organization) -> None:
        staff = account_create(organization, "staff@appleid.contoso.edu", AppleAccount.Role.STAFF)
        server = mdm_servers.mdm_server_create(
            actor=admin_of(organization), organization=organization, name="First"
        )
        with pytest.raises(PermissionDenied):
            assignments.devices_assign(
                actor=staff, organization=organization, server=server, device_ids=[Device.objects.all()[0].pk]
            )
        assert not DeviceEvent.objects.exists()
