"""Assign profile from the devices grid: select, choose a profile of their token, Assign."""

from __future__ import annotations

import pytest

from devices.models import AssignmentDevice, ProfileAssignment
from tests.conftest import HTMX
from tests.devices.conftest import devices_create, profile_create, token_create

pytestmark = pytest.mark.django_db
URL = "/enrollment/apple/devices/assign/"


@pytest.fixture
def token():
    return token_create()


class DeviceAssignTests:
    def test_htmx_opens_the_pane_with_the_token_s_profiles(self, admin_client, token) -> None:
        profile_create(token, name="Élèves")
        profile_create(token_create("Other"), name="Not this one")
        devices = devices_create(token, 2)
        response = admin_client.get(URL, {"device": [d.pk for d in devices]}, **HTMX)
        body = response.content.decode()
        assert response.status_code == 200 and "<html" not in body and 'class="pane-panel"' in body
        assert "2 devices selected" in body and "Élèves" in body and "Not this one" not in body

    def test_without_javascript_it_is_a_page(self, admin_client, token) -> None:
        devices = devices_create(token, 1)
        assert "<html" in admin_client.get(URL, {"device": devices[0].pk}).content.decode()

    def test_assign_creates_the_assignment_and_opens_its_result(
        self, admin_client, token, django_capture_on_commit_callbacks
    ) -> None:
        profile = profile_create(token)
        devices = devices_create(token, 3)
        with django_capture_on_commit_callbacks() as callbacks:
            response = admin_client.post(
                URL, {"device": [d.pk for d in devices[:2]], "profile": profile.pk}, **HTMX
            )
        assignment = ProfileAssignment.objects.get()
        assert response.status_code == 204
        assert f'"path": "/enrollment/apple/assignments/{assignment.pk}/"' in response["HX-Location"]
        assert len(callbacks) == 1  # the task leaves once saved
        assert assignment.source == ProfileAssignment.Source.DEVICES and assignment.device_count == 2
        assert set(AssignmentDevice.objects.values_list("serial_number", flat=True)) == {
            "DMPQ000000",
            "DMPQ000001",
        }

    def test_devices_of_several_tokens_are_refused(self, admin_client, token) -> None:
        profile = profile_create(token)
        mine = devices_create(token, 1)
        theirs = devices_create(token_create("Other"), 1, prefix="OTH")
        response = admin_client.post(
            URL, {"device": [mine[0].pk, theirs[0].pk], "profile": profile.pk}, **HTMX
        )
        assert "belong to several tokens" in response.content.decode()
        assert not ProfileAssignment.objects.exists()

    def test_a_profile_must_be_chosen(self, admin_client, token) -> None:
        profile_create(token)
        devices = devices_create(token, 1)
        response = admin_client.post(URL, {"device": devices[0].pk, "profile": "nope"}, **HTMX)
        assert response.status_code == 200 and "Choose a profile." in response.content.decode()

    def test_read_only_operators_are_refused(self, operator_client, token) -> None:
        profile = profile_create(token)
        devices = devices_create(token, 1)
        assert operator_client.get(URL, {"device": devices[0].pk}).status_code == 403
        assert operator_client.post(URL, {"device": devices[0].pk, "profile": profile.pk}).status_code == 403
        assert not ProfileAssignment.objects.exists()

    def test_other_methods(self, admin_client) -> None:
        assert admin_client.delete(URL).status_code == 405
