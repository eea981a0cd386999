"""Delete, with the article's warning (the devices come back with the next full sync)."""

from __future__ import annotations

import pytest

from asm_portal.models import AuditEvent
from devices.models import DeletedDevice, Device
from tests.conftest import HTMX
from tests.devices.conftest import devices_create, token_create

pytestmark = pytest.mark.django_db
URL = "/enrollment/apple/devices/delete/"


@pytest.fixture
def devices():
    token = token_create()
    return devices_create(token, 3)


class DeviceDeleteTests:
    def test_without_confirmation_it_shows_the_warning(self, admin_client, devices) -> None:
        response = admin_client.post(URL, {"device": [devices[0].pk, devices[1].pk]})
        body = response.content.decode()
        assert response.status_code == 200 and "Delete confirmation" in body
        assert "they come back at the next full sync" in body
        assert "DMPQ000000, DMPQ000001" in body
        assert Device.objects.count() == 3

    def test_confirmed_it_deletes_remembers_and_audits(self, admin_client, admin_user, devices) -> None:
        back = f"/enrollment/apple/tokens/{devices[0].token_id}/devices/?q=DMPQ"
        response = admin_client.post(
            URL, {"device": [devices[0].pk, devices[2].pk], "confirm": "yes", "next": back}
        )
        assert response.status_code == 302 and response["Location"] == back
        assert list(Device.objects.values_list("serial_number", flat=True)) == ["DMPQ000001"]
        assert set(DeletedDevice.objects.values_list("serial_number", flat=True)) == {
            "DMPQ000000",
            "DMPQ000002",
        }
        event = AuditEvent.objects.get(action="Delete enrollment program devices")
        assert event.actor == admin_user and event.details["count"] == 2

    def test_htmx_navigates_back_to_the_grid(self, admin_client, devices) -> None:
        response = admin_client.post(
            URL, {"device": [devices[0].pk], "confirm": "yes", "next": "/enrollment/apple/devices/"}, **HTMX
        )
        assert (
            response.status_code == 204 and '"path": "/enrollment/apple/devices/"' in response["HX-Location"]
        )

    def test_only_local_paths_are_followed(self, admin_client, devices) -> None:
        response = admin_client.post(
            URL, {"device": [devices[0].pk], "confirm": "yes", "next": "https://evil.example/"}
        )
        assert response["Location"] == "/enrollment/apple/devices/"

    def test_no_selection_says_so_and_changes_nothing(self, admin_client, devices) -> None:
        response = admin_client.post(URL, {"device": ["x"], "confirm": "yes"})
        assert "Select at least one device." in response.content.decode()
        assert Device.objects.count() == 3

    def test_read_only_operators_are_refused(self, operator_client, devices) -> None:
        assert operator_client.post(URL, {"device": [devices[0].pk], "confirm": "yes"}).status_code == 403
        assert operator_client.get(URL).status_code == 403
        assert Device.objects.count() == 3 and not AuditEvent.objects.exists()

    def test_other_methods(self, admin_client) -> None:
        assert admin_client.put(URL).status_code == 405
