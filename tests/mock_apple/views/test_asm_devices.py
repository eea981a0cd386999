"""The device inventory: search by serial prefix, filters, keyset pages, detail."""

from __future__ import annotations

import pytest

from mock_apple.models import Device
from mock_apple.services import assignments, mdm_servers
from tests.mock_apple.conftest import APPLE_DB, admin_of


@pytest.mark.django_db(databases=APPLE_DB)
class AsmDevicesTests:
    def test_it_lists_pages_of_fifty_with_next_and_previous(self, asm_admin, organization) -> None:
        Device.objects.bulk_create(
            Device(
                organization=organization,
                order_id=Device.objects.all()[0].order_id,
                serial_number=f"ZZ{i:08d}",
                model="iPad",
                description="IPAD",
                color="SILVER",
                device_family="iPad",
                os="iPadOS",
            )
            for i in range(40)
        )
        first = asm_admin.get("/asm/devices/")
        assert first.status_code == 200 and b"70 devices" in first.content
        rows = first.context["rows"]
        assert len(rows) == 50 and first.context["has_next"] and not first.context["has_previous"]
        second = asm_admin.get(f"/asm/devices/?after={rows[-1].serial_number}")
        assert len(second.context["rows"]) == 20 and not second.context["has_next"]
        back = asm_admin.get(f"/asm/devices/?before={second.context['rows'][0].serial_number}")
        assert [d.serial_number for d in back.context["rows"]] == [d.serial_number for d in rows]

    def test_search_and_filters(self, asm_admin, organization) -> None:
        server = mdm_servers.mdm_server_create(actor=None, organization=organization, name="Intune")
        assignments.devices_assign_unassigned(server=server, count=3)
        response = asm_admin.get("/asm/devices/?q=dmpq00001")
        assert [d.serial_number for d in response.context["rows"]] == [f"DMPQ00001{i}" for i in range(10)]
        assert response.context["total"] == 10
        assert asm_admin.get(f"/asm/devices/?server={server.server_uuid}").context["total"] == 3
        assert asm_admin.get("/asm/devices/?server=none").context["total"] == 27
        assert asm_admin.get("/asm/devices/?order=MX10000001").context["total"] == 30

    def test_htmx_gets_the_grid_only(self, asm_admin, organization) -> None:
        response = asm_admin.get("/asm/devices/?fragment=grid&q=DMPQ", HTTP_HX_REQUEST="true")
        assert b"<html" not in response.content and b"apple-table" in response.content

    def test_a_device_page(self, asm_admin, organization) -> None:
        response = asm_admin.get("/asm/devices/dmpq000001/")
        assert response.status_code == 200 and b"MX10000001" in response.content
        assert asm_admin.get("/asm/devices/NOPE/").status_code == 404

    def test_staff_see_the_inventory(self, asm_staff, organization) -> None:
        assert asm_staff.get("/asm/devices/").status_code == 200
        assert admin_of(organization).role == "administrator"

    def test_it_refuses_other_methods(self, asm_admin) -> None:
        assert asm_admin.post("/asm/devices/").status_code == 405
