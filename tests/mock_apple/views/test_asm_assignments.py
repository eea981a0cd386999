"""Device Assignments page: choose devices by serial, order or CSV; assign or unassign."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from mock_apple.models import Device, DeviceEvent
from mock_apple.services import mdm_servers
from tests.mock_apple.conftest import APPLE_DB


@pytest.mark.django_db(databases=APPLE_DB)
class AsmAssignmentsTests:
    @pytest.fixture
    def server(self, organization):
        return mdm_servers.mdm_server_create(actor=None, organization=organization, name="Intune")

    def test_it_shows_the_form(self, asm_admin, server) -> None:
        response = asm_admin.get("/asm/assignments/")
        assert response.status_code == 200 and b'name="choose_by"' in response.content

    def test_assign_by_serial_numbers(self, asm_admin, server) -> None:
        response = asm_admin.post(
            "/asm/assignments/",
            {
                "choose_by": "serial",
                "serials": "dmpq000001 DMPQ000002",
                "action": "assign",
                "server": server.server_uuid,
            },
            follow=True,
        )
        assert "2 devices were assigned to Intune." in response.content.decode()
        assert Device.objects.filter(mdm_server=server).count() == 2
        assert DeviceEvent.objects.filter(op_type="added").count() == 2
        assert (
            Device.objects.get(serial_number="DMPQ000001").device_assigned_by == "admin@appleid.contoso.edu"
        )

    def test_assign_by_order_and_unassign_by_csv(self, asm_admin, server) -> None:
        asm_admin.post(
            "/asm/assignments/",
            {
                "choose_by": "order",
                "order_number": "MX10000001",
                "action": "assign",
                "server": server.server_uuid,
            },
        )
        assert Device.objects.filter(mdm_server=server).count() == 30
        upload = SimpleUploadedFile(
            "devices.csv", b"Serial Number\nDMPQ000003\nDMPQ000004\n", content_type="text/csv"
        )
        response = asm_admin.post(
            "/asm/assignments/", {"choose_by": "csv", "csv_file": upload, "action": "unassign"}, follow=True
        )
        assert "2 devices were unassigned" in response.content.decode()
        assert Device.objects.filter(mdm_server=server).count() == 28

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"Serial\nDMPQ000001\n", "header"),
            (b"Serial Number\nDMPQ000001\nNOPE0000001\n", "not in your organisation"),
            (b"Serial Number\nDMPQ000001\nDMPQ000001\n", "more than once"),
            ("Serial Number\nDMPQ000001\né\n".encode("latin-1"), "UTF-8"),
        ],
    )
    def test_bad_csv_files_change_nothing(self, asm_admin, server, content, message) -> None:
        upload = SimpleUploadedFile("devices.csv", content, content_type="text/csv")
        response = asm_admin.post(
            "/asm/assignments/",
            {"choose_by": "csv", "csv_file": upload, "action": "assign", "server": server.server_uuid},
        )
        assert response.status_code == 200
        assert message in response.content.decode()
        assert "Nothing was changed." in response.content.decode()
        assert not Device.objects.filter(mdm_server__isnull=False).exists()
        assert not DeviceEvent.objects.exists()

    def test_a_too_large_csv_is_refused(self, asm_admin, server, settings) -> None:
        settings.ASM_MAX_CSV_UPLOAD_BYTES = 20
        upload = SimpleUploadedFile(
            "devices.csv", b"Serial Number\n" + b"DMPQ000001\n" * 5, content_type="text/csv"
        )
        response = asm_admin.post(
            "/asm/assignments/",
            {"choose_by": "csv", "csv_file": upload, "action": "assign", "server": server.server_uuid},
        )
        assert "too large" in response.content.decode()

    def test_assign_needs_a_server(self, asm_admin, server) -> None:
        response = asm_admin.post(
            "/asm/assignments/", {"choose_by": "serial", "serials": "DMPQ000001", "action": "assign"}
        )
        assert "Choose the MDM server" in response.content.decode()

    def test_staff_cannot_change_assignments(self, asm_staff, server) -> None:
        response = asm_staff.post(
            "/asm/assignments/",
            {
                "choose_by": "serial",
                "serials": "DMPQ000001",
                "action": "assign",
                "server": server.server_uuid,
            },
        )
        assert response.status_code == 403
        assert not Device.objects.filter(mdm_server__isnull=False).exists()

    def test_it_refuses_other_methods(self, asm_admin) -> None:
        assert asm_admin.put("/asm/assignments/").status_code == 405

    def test_the_server_list_offers_a_worded_placeholder_not_dashes(self, asm_admin, server) -> None:
        html = asm_admin.get("/asm/assignments/").content.decode()
        assert "---------" not in html and '<option value="" selected>Select a server</option>' in html
