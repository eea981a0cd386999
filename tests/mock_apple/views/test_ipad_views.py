"""The device pages (/ipad/) and Apple's device services (/deviceservices/)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

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
        self, apple_settings, organization, engine
    ) -> None:
        virtual, _ = ipad_with_profile(organization)
        serial = virtual.device.serial_number
        body = to_remote_management(signed_in(admin_of(organization)), serial, "fr")
        assert 'data-pane="remote_management"' in body
        assert "Gestion à distance" in body and "À propos de la configuration" in body
        assert "IT department" in body and "+33 1 23 45 67 89" in body and "<html" not in body

    def test_a_refreshed_post_changes_nothing(self, apple_settings, organization, engine) -> None:
        virtual, _ = ipad_with_profile(organization)
        serial = virtual.device.serial_number
        client = signed_in(admin_of(organization))
        to_remote_management(client, serial)
        act(client, serial, "remote_management", "remote_management")
        calls = len(engine.calls)
        body = act(client, serial, "remote_management", "remote_management")
        assert len(engine.calls) == calls and 'data-pane="pane:Privacy"' in body

    def test_the_refusal_is_shown_in_apples_words_with_retry(
        self, apple_settings, organization, engine
    ) -> None:
        engine.failure = "profile_download_failed"
        virtual, _ = ipad_with_profile(organization)
        client = signed_in(admin_of(organization))
        to_remote_management(client, virtual.device.serial_number)
        body = act(client, virtual.device.serial_number, "remote_management", "remote_management")
        assert "The configuration for your iPad could not be downloaded" in body
        assert f"could not be downloaded from {organization.name}" in body
        assert 'value="retry"' in body and "Try Again" in body and "HTTP 403" in body

    def test_an_unreachable_server_says_so(self, apple_settings, organization, engine) -> None:
        engine.failure = "server_unreachable"
        virtual, _ = ipad_with_profile(organization)
        client = signed_in(admin_of(organization))
        to_remote_management(client, virtual.device.serial_number)
        body = act(client, virtual.device.serial_number, "remote_management", "remote_management")
        assert "Could not connect to the server" in body

    def test_shared_ipad_sign_in_lists_classes_then_people(
        self, apple_settings, organization, engine
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

    def test_company_portal_opens_only_once_installed(self, apple_settings, organization, engine) -> None:
        virtual, _ = ipad_with_profile(organization, skip_setup_items=[], is_multi_user=False)
        VirtualDevice.objects.filter(pk=virtual.pk).update(state="home", pane="home", enrolled=True)
        body = (
            signed_in(admin_of(organization))
            .get(f"/ipad/{virtual.device.serial_number}/apps/company-portal/")
            .content.decode()
        )
        assert "Company Portal isn't available without user affinity" in body
        VirtualDevice.objects.filter(pk=virtual.pk).update(
            apps=[
                {
                    "bundle_id": "com.microsoft.CompanyPortal",
                    "name": "Company Portal",
                    "icon": "",
                    "color": "",
                }
            ]
        )
        body = (
            signed_in(admin_of(organization))
            .get(f"/ipad/{virtual.device.serial_number}/apps/company-portal/")
            .content.decode()
        )
        assert f"/company-portal/?serial={virtual.device.serial_number}" in body

    def test_device_management_settings_hide_remove_under_locked_enrollment(
        self, apple_settings, organization, engine
    ) -> None:
        virtual, _ = ipad_with_profile(organization)
        serial = virtual.device.serial_number
        client = signed_in(admin_of(organization))
        to_remote_management(client, serial)
        act(client, serial, "remote_management", "remote_management")
        VirtualDevice.objects.filter(pk=virtual.pk).update(pane="home", state="home")
        body = act(client, serial, "open", "home", app="settings", page="device_management")
        assert f"This iPad is supervised and managed by {organization.name}" in body
        assert "Management Profile" in body and 'data-profile="com.example.mdm.enrollment"' in body
        from mock_apple.models import InstalledProfile

        profile = InstalledProfile.objects.get(virtual_device=virtual)
        body = act(client, serial, "open", "home", app="settings", profile=str(profile.pk))
        assert "com.apple.mdm" in body and "Remove Management" not in body  # locked enrollment
        InstalledProfile.objects.filter(pk=profile.pk).update(removal_disallowed=False)
        body = act(client, serial, "open", "home", app="settings", profile=str(profile.pk))
        assert 'value="remove_management"' in body
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


@pytest.mark.django_db(databases=APPLE_DB)
class RestoreTests:
    def test_a_device_stuck_in_setup_assistant_is_restored_to_hello(
        self, apple_settings, organization, engine
    ) -> None:
        virtual, _ = ipad_with_profile(organization)
        engine.failure = "profile_download_failed"
        client = signed_in(admin_of(organization))
        to_remote_management(client, virtual.device.serial_number)
        body = act(client, virtual.device.serial_number, "remote_management", "remote_management")
        assert 'data-pane="error"' in body
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
        self, apple_settings, organization, engine
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

    def test_the_screen_keeps_the_device_s_language(self, apple_settings, organization, engine) -> None:
        virtual, _ = ipad_with_profile(organization)
        serial = virtual.device.serial_number
        client = signed_in(admin_of(organization))
        to_remote_management(client, serial, "fr")
        body = client.get(f"/ipad/{serial}/", headers={"Accept-Language": "en"}).content.decode()
        assert "Gestion à distance" in body  # the screen, in the device's French
        assert "Restore with Apple Configurator" in body  # the frame, in the reader's English


@pytest.mark.django_db(databases=APPLE_DB)
class ManagedScreenTests:
    """What the MDM's commands put on the screen (the engine sets the fields), and the poll."""

    def home(self, organization) -> tuple[Client, VirtualDevice]:
        virtual, _ = ipad_with_profile(organization)
        VirtualDevice.objects.filter(pk=virtual.pk).update(
            state="home", pane="home", enrolled=True, language="fr", device_name="Chariot-3-07"
        )
        virtual.refresh_from_db()
        return signed_in(admin_of(organization)), virtual

    def test_the_poll_answers_204_until_the_screen_changes(self, apple_settings, organization) -> None:
        client, virtual = self.home(organization)
        serial = virtual.device.serial_number
        body = client.get(f"/ipad/{serial}/", headers={"HX-Request": "true"}).content.decode()
        fingerprint = body.split(f"/ipad/{serial}/poll/?v=")[1].split('"')[0]
        poll = f"/ipad/{serial}/poll/?v={fingerprint}"
        assert client.get(poll, headers={"HX-Request": "true"}).status_code == 204
        VirtualDevice.objects.filter(pk=virtual.pk).update(
            locked=True, lock_message="Rendez l’iPad à l’accueil", lock_phone_number="+33 1 23 45 67 89"
        )
        response = client.get(poll, headers={"HX-Request": "true"})
        body = response.content.decode()
        assert response.status_code == 200 and 'data-screen="lock"' in body
        assert "Rendez l’iPad à l’accueil" in body and "Appeler le +33 1 23 45 67 89" in body
        assert Client().get(poll).status_code == 404  # someone else's device

    def test_lost_mode_and_activities_in_the_device_s_language(self, apple_settings, organization) -> None:
        from datetime import timedelta

        from mock_apple import clock

        client, virtual = self.home(organization)
        serial = virtual.device.serial_number
        VirtualDevice.objects.filter(pk=virtual.pk).update(
            lost_mode=True, lost_mode_message="iPad perdu", lost_mode_phone_number="0102030405"
        )
        body = client.get(f"/ipad/{serial}/", headers={"HX-Request": "true"}).content.decode()
        assert 'data-screen="lost-mode"' in body and "Mode Perdu" in body and "iPad perdu" in body
        assert 'value="unlock"' not in body
        VirtualDevice.objects.filter(pk=virtual.pk).update(
            lost_mode=False, activity="erasing", activity_until=clock.now() + timedelta(seconds=30)
        )
        body = client.get(f"/ipad/{serial}/", headers={"HX-Request": "true"}).content.decode()
        assert 'data-screen="erasing"' in body and "Effacement…" in body

    def test_the_device_name_and_check_in_now(self, apple_settings, organization, engine) -> None:
        client, virtual = self.home(organization)
        serial = virtual.device.serial_number
        body = client.get(f"/ipad/{serial}/").content.decode()
        assert 'data-device-name="Chariot-3-07"' in body and "Check in now" in body
        act(client, serial, "checkin")
        assert engine.calls[-1] == "check_in_now"
