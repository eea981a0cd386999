"""Who opens a virtual device: someone signed in to its organisation, or the holder of its link
(?key=…); anyone else gets a 404, as for a serial that does not exist."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from django.conf import settings
from django.test import Client

from mock_apple.ipad import links
from mock_apple.models import Device, Organization
from mock_apple.services import organization as organization_services
from tests.mock_apple.conftest import APPLE_DB, admin_of, signed_in
from tests.mock_apple.ipad_fake import ipad_with_profile


def trainee() -> Organization:
    created = organization_services.organization_create(
        name="Trainee 01 School",
        domain="trainee01.contoso-school.example",
        admin_first_name="Megan",
        admin_last_name="Bowen",
        language="en",
    )
    organization_services.inventory_top_up(organization=created.organization, devices=6, seed=7)
    return created.organization


def an_ipad(organization: Organization) -> str:
    device = Device.objects.filter(organization=organization, device_family="iPad").order_by("serial_number")[
        0
    ]
    return device.serial_number


def key_of(serial: str) -> str:
    """Computed here as the portal computes it, independently of the mock's code."""
    secret = settings.MOCK_APPLE_CONTROL_TOKEN.encode()
    return hmac.new(secret, b"ipad-link:" + serial.encode(), hashlib.sha256).hexdigest()[:32]


@pytest.mark.django_db(databases=APPLE_DB)
class IpadAccessTests:
    def test_the_list_shows_only_the_signed_in_organisations_devices(
        self, apple_settings, organization
    ) -> None:
        other = trainee()
        mine = signed_in(admin_of(organization)).get("/ipad/").content.decode()
        theirs = signed_in(admin_of(other)).get("/ipad/").content.decode()
        assert an_ipad(organization) in mine and an_ipad(other) not in mine
        assert an_ipad(other) in theirs and an_ipad(organization) not in theirs
        # A search cannot reach another organisation's serial either.
        found = signed_in(admin_of(organization)).get(f"/ipad/?q={an_ipad(other)}").content.decode()
        assert f'<td class="mono">{an_ipad(other)}</td>' not in found and "No devices match." in found

    def test_without_a_sign_in_the_list_shows_none_and_a_sign_in_link(
        self, apple_settings, organization
    ) -> None:
        response = Client().get("/ipad/")
        body = response.content.decode()
        assert response.status_code == 200
        assert an_ipad(organization) not in body
        assert 'href="/asm/signin/?next=%2Fipad%2F"' in body
        french = Client(headers={"Accept-Language": "fr"})
        french.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
        assert (
            "Connectez-vous avec votre compte Apple School Manager" in french.get("/ipad/").content.decode()
        )

    def test_a_device_page_needs_its_organisation(self, apple_settings, organization) -> None:
        other = trainee()
        serial = an_ipad(organization)
        assert signed_in(admin_of(organization)).get(f"/ipad/{serial}/").status_code == 200
        for client in (Client(), signed_in(admin_of(other))):
            assert client.get(f"/ipad/{serial}/").status_code == 404
            assert client.post(f"/ipad/{serial}/action/", {"action": "power_on"}).status_code == 404
            assert client.get(f"/ipad/{serial}/poll/?v=x").status_code == 404
            assert client.get(f"/ipad/{serial}/web/anything/?url=http://x/").status_code == 404
            assert client.get(f"/ipad/{serial}/apps/company-portal/").status_code == 404

    def test_the_link_key_opens_the_device_and_is_remembered(
        self, apple_settings, organization, engine
    ) -> None:
        virtual, _ = ipad_with_profile(organization)
        serial = virtual.device.serial_number
        assert links.device_link_key(serial) == key_of(serial)
        client = Client()
        response = client.get(f"/ipad/{serial}/?key={key_of(serial)}")
        assert response.status_code == 200 and 'data-pane="off"' in response.content.decode()
        # The page's own requests carry no key: the session remembers the serial.
        answer = client.post(
            f"/ipad/{serial}/action/", {"action": "power_on"}, headers={"HX-Request": "true"}
        )
        assert answer.status_code == 200 and 'data-pane="hello"' in answer.content.decode()
        assert client.get(f"/ipad/{serial}/").status_code == 200
        # Only that serial: another device of the organisation still needs its own link.
        other_serial = (
            Device.objects.filter(organization=organization).exclude(pk=virtual.device.pk)[0].serial_number
        )
        assert client.get(f"/ipad/{other_serial}/").status_code == 404
        assert Client().get(f"/ipad/{serial}/").status_code == 404

    def test_a_wrong_key_is_a_404_like_an_unknown_serial(self, apple_settings, organization) -> None:
        serial = an_ipad(organization)
        client = Client()
        for key in ("", "0" * 32, key_of(serial)[:-1], key_of("OTHER"), key_of(serial) + "00"):
            assert client.get(f"/ipad/{serial}/", {"key": key}).status_code == 404
        assert client.get(f"/ipad/{serial}/").status_code == 404
        assert client.get("/ipad/NOSUCHSERIAL/", {"key": key_of("NOSUCHSERIAL")}).status_code == 404

    def test_no_control_secret_no_link(self, apple_settings, organization) -> None:
        serial = an_ipad(organization)
        key = key_of(serial)
        apple_settings.MOCK_APPLE_CONTROL_TOKEN = ""
        assert links.device_link_key(serial) == ""
        assert Client().get(f"/ipad/{serial}/", {"key": key}).status_code == 404

    def test_device_services_stay_open(self, apple_settings, organization) -> None:
        assert Client().get("/deviceservices/ca.pem").status_code == 200
