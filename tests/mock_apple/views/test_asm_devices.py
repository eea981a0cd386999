"""The device inventory: search by serial prefix, filters, keyset pages, detail."""

from __future__ import annotations

import pytest

from mock_apple import inventory
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

    def test_models_and_colours_follow_the_reader_s_language(self, asm_admin, organization) -> None:
        """Apple's pages name models and colours in the reader's language; the API keeps English."""
        Device.objects.filter(serial_number="DMPQ000001").update(
            model="iPad mini (6th generation)", color="SPACE GRAY"
        )
        Device.objects.filter(serial_number="DMPQ000002").update(
            model="iPad Air (5th generation)", color="STARLIGHT"
        )
        french = asm_admin.get(
            "/asm/devices/?q=DMPQ00000", headers={"Accept-Language": "fr"}
        ).content.decode()
        english = asm_admin.get(
            "/asm/devices/?q=DMPQ00000", headers={"Accept-Language": "en"}
        ).content.decode()
        assert (
            "iPad mini (6ᵉ génération)" in french
            and "Gris sidéral" in french
            and "Lumière stellaire" in french
        )
        assert "iPad mini (6th generation)" in english and "Space Gray" in english and "Starlight" in english
        assert Device.objects.get(serial_number="DMPQ000001").color == "SPACE GRAY"
        asm_admin.post("/asm/language/", {"language": "fr"})  # the Language menu wins over the browser
        chosen = asm_admin.get("/asm/devices/dmpq000001/", headers={"Accept-Language": "en"}).content.decode()
        assert "iPad mini (6ᵉ génération)" in chosen and "Gris sidéral" in chosen


class InventoryNamesTests:
    def test_unknown_names_are_shown_as_stored(self) -> None:
        assert inventory.model_label("iPad (42nd generation)") == "iPad (42nd generation)"
        assert inventory.color_label("ROSE GOLD") == "Rose Gold"

    def test_every_catalogue_model_and_colour_has_a_name(self) -> None:
        for item in inventory.CATALOGUE:
            assert item.model in inventory.MODEL_NAMES or item.model == "iPhone 15"
            assert set(item.colors) <= set(inventory.COLOR_NAMES)
