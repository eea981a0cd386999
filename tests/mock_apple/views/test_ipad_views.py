"""The device pages (/ipad/) and Apple's device services (/deviceservices/)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from mock_apple.ipad import identity
from mock_apple.models import VirtualDevice
from tests.mock_apple.conftest import APPLE_DB, admin_of, signed_in
from tests.mock_apple.ipad_fake import ipad_with_profile
from tests.mock_apple.roster_records import imported, server_of


def act(client: Client, serial: str, action: str, pane: str = "", **fields: str) -> str:
    response = client.post(
        f"/ipad/{serial}/action/", {"action": action, "pane": pane, **fields}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    return response.content.decode()


def to_remote_management(client: Client, serial: str, language: str = "en") -> str:
    act(client, serial, "power_on")
    act(client, serial, "hello", "hello")
    act(client, serial, "language", "language", language=language)
    act(client, serial, "region", "region", region="FR")
    return act(client, serial, "wifi", "wifi", network="eduroam")


@pytest.mark.django_db(databases=APPLE_DB)
class DevicePagesTests:
    def test_the_list_shows_devices_with_their_server_and_profile(self, apple_settings, organization) -> None:
        virtual, server = ipad_with_profile(organization)
        body = (
            signed_in(admin_of(organization)).get("/ipad/?q=" + virtual.device.serial_number).content.decode()
        )
        assert virtual.device.serial_number in body and server.name in body and "Cart 3" in body
        assert "Power on" in body

    def test_setup_in_french_shows_the_remote_management_pane(
        self, apple_settings, organization, portal
    ) -> None:
        virtual, _ = ipad_with_profile(organization)
        serial = virtual.device.serial_number
        body = to_remote_management(signed_in(admin_of(organization)), serial, "fr")
        assert 'data-pane="remote_management"' in body
        assert "Gestion à distance" in body and "À propos de la configuration" in body
        assert "IT department" in body and "+33 1 23 45 67 89" in body and "<html" not in body

    def test_a_refreshed_post_changes_nothing(self, apple_settings, organization, portal) -> None:
        virtual, _ = ipad_with_profile(organization)
        serial = virtual.device.serial_number
        client = signed_in(admin_of(organization))
        to_remote_management(client, serial)
        act(client, serial, "remote_management", "remote_management")
        calls = len(portal.calls)
        body = act(client, serial, "remote_management", "remote_management")
        assert len(portal.calls) == calls and 'data-pane="pane:Privacy"' in body

    def test_the_refusal_is_shown_in_apples_words_with_retry(
        self, apple_settings, organization, portal
    ) -> None:
        virtual, _ = ipad_with_profile(organization, no_profile=True)
        body = to_remote_management(signed_in(admin_of(organization)), virtual.device.serial_number)
        assert f"The configuration for your iPad could not be downloaded from {organization.name}" in body
        assert 'value="retry"' in body

    def test_an_unreachable_portal_says_so(self, apple_settings, organization, portal) -> None:
        portal.down = True
        virtual, _ = ipad_with_profile(organization)
        client = signed_in(admin_of(organization))
        to_remote_management(client, virtual.device.serial_number)
        body = act(client, virtual.device.serial_number, "remote_management", "remote_management")
        assert "Could not connect to the server" in body

    def test_shared_ipad_sign_in_lists_classes_then_people(
        self, apple_settings, organization, portal
    ) -> None:
        virtual, _ = ipad_with_profile(organization, is_multi_user=True)
        imported(server_of(organization))
        serial = virtual.device.serial_number
        client = signed_in(admin_of(organization))
        to_remote_management(client, serial)
        body = act(client, serial, "remote_management", "remote_management")
        assert "Choose Your Class" in body and "Math - Algebra 1" in body and "Guest" in body
        from mock_apple.models import RosterClass

        body = act(client, serial, "class", "home", **{"class": str(RosterClass.objects.get().pk)})
        assert "Ora Klein" in body and "Craig Beane" in body

    def test_company_portal_refused_without_user_affinity(self, apple_settings, organization, portal) -> None:
        virtual, _ = ipad_with_profile(organization, skip_setup_items=[], is_multi_user=False)
        VirtualDevice.objects.filter(pk=virtual.pk).update(
            state="home", pane="home", enrolled=True, enrollment={"company_portal": False}
        )
        body = (
            signed_in(admin_of(organization))
            .get(f"/ipad/{virtual.device.serial_number}/apps/company-portal/")
            .content.decode()
        )
        assert "Company Portal isn't available without user affinity" in body
        VirtualDevice.objects.filter(pk=virtual.pk).update(enrollment={"company_portal": True})
        body = (
            signed_in(admin_of(organization))
            .get(f"/ipad/{virtual.device.serial_number}/apps/company-portal/")
            .content.decode()
        )
        assert f"/company-portal/?serial={virtual.device.serial_number}" in body

    def test_device_management_settings_hide_remove_under_locked_enrollment(
        self, apple_settings, organization, portal
    ) -> None:
        virtual, _ = ipad_with_profile(organization)
        serial = virtual.device.serial_number
        client = signed_in(admin_of(organization))
        to_remote_management(client, serial)
        act(client, serial, "remote_management", "remote_management")
        VirtualDevice.objects.filter(pk=virtual.pk).update(pane="home", state="home")
        body = act(client, serial, "open", "home", app="settings", page="device_management")
        assert f"This iPad is supervised and managed by {organization.name}" in body
        assert "Remove Management" not in body
        body = act(client, serial, "open", "home", app="settings", page="reset")
        assert "Erase All Content and Settings" in body
        body = act(client, serial, "erase", "home", app="settings")
        assert 'data-pane="hello"' in body


@pytest.mark.django_db(databases=APPLE_DB)
class DeviceServicesTests:
    def test_the_device_ca_is_public(self, apple_settings, organization) -> None:
        response = Client().get("/deviceservices/ca.pem")
        assert response["Content-Type"] == "application/x-pem-file"
        assert response.content.startswith(b"-----BEGIN CERTIFICATE-----")

    def test_activation_answers_a_signed_request_only(self, apple_settings, organization) -> None:
        virtual, _ = ipad_with_profile(organization)
        body = json.dumps({"serial_number": virtual.device.serial_number, "udid": virtual.udid}).encode()
        headers = {k: v for k, v in identity.signed_headers(virtual, body).items() if k != "Content-Type"}
        response = Client().post(
            "/deviceservices/activation", body, content_type="application/json", headers=headers
        )
        assert response.status_code == 200
        assert response.json()["cloud_configuration"]["profile_name"] == "Cart 3"
        forged = json.dumps({"serial_number": "OTHER", "udid": virtual.udid}).encode()
        response = Client().post(
            "/deviceservices/activation", forged, content_type="application/json", headers=headers
        )
        assert response.status_code == 401 and response.json()["code"] == "DEVICE_IDENTITY_INVALID"


@pytest.mark.django_db(databases=APPLE_DB)
class RestoreTests:
    def test_a_device_stuck_on_a_changed_profile_is_restored_to_hello(
        self, apple_settings, organization, portal
    ) -> None:
        virtual, _ = ipad_with_profile(organization)
        portal.answers["http://portal.test/enroll/tok-1/"] = (409, {"code": "PROFILE_CHANGED"})
        client = signed_in(admin_of(organization))
        to_remote_management(client, virtual.device.serial_number)
        body = act(client, virtual.device.serial_number, "remote_management", "remote_management")
        assert "It must be erased before it can be set up again" in body
        body = act(client, virtual.device.serial_number, "restore")
        assert 'data-pane="hello"' in body

    def test_a_mac_has_no_setup_assistant_here(self, apple_settings, organization) -> None:
        from mock_apple.models import Device

        Device.objects.filter(serial_number="DMPQ000001").update(device_family="Mac")
        assert signed_in(admin_of(organization)).get("/ipad/DMPQ000001/").status_code == 404


def change_password(client: Client, serial: str, person: Any, new: str) -> str:
    """The first sign-in's form: the temporary password, then the new one twice."""

    current = person.temporary_password
    return act(client, serial, "change_password", "home", current=current, new=new, confirm=new)


@pytest.mark.django_db(databases=APPLE_DB)
class SharedIpadSignInViewTests:
    def test_sign_in_change_password_eviction_and_sign_out(
        self, apple_settings, organization, portal
    ) -> None:
        from mock_apple.models import Person, RosterClass

        virtual, _ = ipad_with_profile(organization, is_multi_user=True, shared_ipad_maximum_user_count=1)
        imported(server_of(organization))
        serial = virtual.device.serial_number
        client = signed_in(admin_of(organization))
        to_remote_management(client, serial)
        act(client, serial, "remote_management", "remote_management")
        act(client, serial, "class", "home", **{"class": str(RosterClass.objects.get().pk)})
        ora, beulah = Person.objects.get(first_name="Ora"), Person.objects.get(first_name="Beulah")

        body = act(client, serial, "person", "home", person=str(ora.pk))
        assert "ora.klein@appleid" in body.lower() and 'name="password"' in body
        assert "Incorrect Managed Apple Account or password." in act(
            client, serial, "password", "home", password="x"
        )
        body = act(client, serial, "password", "home", password=ora.temporary_password)
        assert "You must change your password." in body
        body = change_password(client, serial, ora, "Blue-Sky-77")
        assert 'value="settings"' in body and "Ora Klein" in body  # home, signed in
        body = act(client, serial, "lock", "home")
        assert "Sign Out" in body
        body = act(client, serial, "sign_out", "home")
        assert "On This iPad" in body and "Choose Your Class" in body

        act(client, serial, "class", "home", **{"class": str(RosterClass.objects.get().pk)})
        act(client, serial, "person", "home", person=str(beulah.pk))
        body = change_password(client, serial, beulah, "Red-Moon-88")
        assert "Ora Klein was removed from this iPad to make room." in body


@pytest.mark.django_db(databases=APPLE_DB)
class DeviceFrameLanguageTests:
    """The frame around the screen speaks the reader's language from the first page; the screen
    speaks the device's (chosen in Setup Assistant)."""

    def test_a_french_browser_gets_a_french_frame_on_the_first_page(
        self, apple_settings, organization
    ) -> None:
        virtual, _ = ipad_with_profile(organization)
        serial = virtual.device.serial_number
        client = signed_in(admin_of(organization))
        body = client.get(f"/ipad/{serial}/", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).content.decode()
        assert '<html lang="fr">' in body
        assert (
            "Appareils virtuels" in body and "Allumer" in body and "Restaurer avec Apple Configurator" in body
        )
        assert "Virtual devices" not in body and "Restore with Apple Configurator" not in body

    def test_the_screen_keeps_the_device_s_language(self, apple_settings, organization, portal) -> None:
        virtual, _ = ipad_with_profile(organization)
        serial = virtual.device.serial_number
        client = signed_in(admin_of(organization))
        to_remote_management(client, serial, "fr")
        body = client.get(f"/ipad/{serial}/", headers={"Accept-Language": "en"}).content.decode()
        assert "Gestion à distance" in body  # the screen, in the device's French
        assert "Restore with Apple Configurator" in body  # the frame, in the reader's English
