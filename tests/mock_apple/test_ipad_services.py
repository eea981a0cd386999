"""The virtual iPad's services: identity, activation, Setup Assistant, enrollment, Shared iPad, erase."""

from __future__ import annotations

import pytest
from cryptography import x509

from mock_apple.ipad import activation, identity, mdm, setup_assistant, shared_ipad
from mock_apple.models import Device, DeviceEvent, Person, SharedIPadUser, VirtualDevice
from mock_apple.roster import passwords
from tests.mock_apple.conftest import APPLE_DB, stored
from tests.mock_apple.ipad_fake import CHECKIN_URL, ENROLL_URL, FakePortal, ipad_with_profile
from tests.mock_apple.roster_records import imported, server_of


@pytest.fixture
def portal(monkeypatch) -> FakePortal:
    fake = FakePortal()
    monkeypatch.setattr(mdm, "portal_post", fake.post)
    return fake


def setup_to_wifi(virtual: VirtualDevice, language: str = "en") -> VirtualDevice:
    setup_assistant.power_on(virtual)
    setup_assistant.go(virtual, "language")
    setup_assistant.choose_language(virtual, language)
    setup_assistant.choose_region(virtual, "FR")
    return setup_assistant.join_wifi(virtual, "Contoso-Students")


def walk_panes(virtual: VirtualDevice) -> list[str]:
    seen = []
    while virtual.pane.startswith("pane:"):
        seen.append(virtual.pane[5:])
        setup_assistant.pane_continue(virtual)
    return seen


@pytest.mark.django_db(databases=APPLE_DB)
class IdentityTests:
    def test_a_device_gets_a_certificate_from_the_device_ca_with_its_serial_and_udid(
        self, organization
    ) -> None:
        virtual, _ = ipad_with_profile(organization)
        certificate = x509.load_pem_x509_certificate(virtual.certificate_pem.encode())
        subject = certificate.subject
        assert subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == virtual.udid
        assert (
            subject.get_attributes_for_oid(x509.NameOID.SERIAL_NUMBER)[0].value
            == virtual.device.serial_number
        )
        assert "PRIVATE KEY" not in stored(virtual, "private_key")  # encrypted at rest
        assert "PRIVATE KEY" in virtual.private_key
        assert identity.virtual_device_of(virtual.device).pk == virtual.pk  # made once

    def test_a_tampered_body_fails_verification(self, organization) -> None:
        virtual, _ = ipad_with_profile(organization)
        headers = identity.signed_headers(virtual, b'{"a": 1}')
        with pytest.raises(identity.DeviceIdentityError):
            identity.device_identity_verify(
                certificate_b64=headers["X-Apple-Device-Certificate"],
                signature_b64=headers["X-Apple-Device-Signature"],
                body=b'{"a": 2}',
            )


@pytest.mark.django_db(databases=APPLE_DB)
class ActivationTests:
    def test_activation_returns_the_profile_and_marks_it_pushed(self, organization) -> None:
        virtual, server = ipad_with_profile(organization, department="Maths")
        answer = activation.activation_for(virtual.device)
        assert answer.configuration is not None
        assert answer.configuration["department"] == "Maths"
        assert answer.configuration["organization_name"] == organization.name
        device = Device.objects.get(pk=virtual.device.pk)
        assert device.profile_status == Device.ProfileStatus.PUSHED and device.profile_push_time is not None
        assert DeviceEvent.objects.filter(device=device, op_type="modified").exists()

    def test_a_server_without_profile_gives_its_last_enrollment_url(self, organization) -> None:
        virtual, server = ipad_with_profile(organization, no_profile=True)
        answer = activation.activation_for(virtual.device)
        assert (answer.configuration, answer.reason, answer.enrollment_url) == (
            None,
            "NO_PROFILE",
            ENROLL_URL,
        )

    def test_an_activated_device_keeps_its_configuration_until_erased(self, organization, portal) -> None:
        virtual, server = ipad_with_profile(organization, department="Before")
        setup_to_wifi(virtual)
        from mock_apple.models import Profile
        from mock_apple.services import assignments

        newer = assignments.profile_define(
            server=server, data={**Profile.objects.get().data, "department": "After"}
        )
        assignments.profile_assign(
            server=server, profile=newer, serials=[virtual.device.serial_number], throttling=False
        )
        setup_assistant.activate(virtual)
        assert (virtual.activation or {})["department"] == "Before"
        setup_assistant.erase(VirtualDevice.objects.get(pk=virtual.pk))
        virtual = setup_to_wifi(VirtualDevice.objects.get(pk=virtual.pk))
        assert (virtual.activation or {})["department"] == "After"


@pytest.mark.django_db(databases=APPLE_DB)
class SetupAssistantTests:
    def test_enrollment_then_the_panes_not_hidden_then_home(self, organization, portal) -> None:
        virtual, _ = ipad_with_profile(organization, skip_setup_items=["Siri", "Passcode", "AppleID"])
        setup_to_wifi(virtual)
        assert virtual.pane == "remote_management"
        setup_assistant.remote_management_continue(virtual)
        url, payload = portal.calls[-1]
        assert url == ENROLL_URL and payload["user"] is None and payload["profile_uuid"]
        assert virtual.enrolled and virtual.device_name == "IPAD-0001"
        panes = walk_panes(virtual)
        assert "Siri" not in panes and "Passcode" not in panes and "AppleID" not in panes
        assert panes[0] == "Privacy" and panes[-1] == "Welcome"
        # A Wi-Fi iPad (10th generation): no cellular plan to add, no Apple Intelligence.
        assert "SIMSetup" not in panes and "Intelligence" not in panes
        assert "Zoom" not in panes  # removed in iOS 17
        assert virtual.pane == "home"

    def test_await_configuration_holds_until_the_check_in_releases(self, organization, portal) -> None:
        portal.enrollment["await_configuration"] = True
        virtual, _ = ipad_with_profile(organization, skip_setup_items=[], is_multi_user=True)
        setup_to_wifi(virtual)
        setup_assistant.remote_management_continue(virtual)
        assert virtual.pane == "configuring"
        portal.checkin["await_configuration"] = True
        setup_assistant.checkin(virtual)
        assert virtual.pane == "configuring"
        portal.checkin.update(
            await_configuration=False, apps=[{"bundle_id": "com.contoso.notes", "name": "Notes"}]
        )
        setup_assistant.checkin(virtual)
        assert virtual.pane == "home" and virtual.apps[0]["name"] == "Notes"
        assert portal.calls[-1][0] == CHECKIN_URL

    def test_apps_keep_their_colour_and_closing_the_company_portal_checks_in(
        self, organization, portal
    ) -> None:
        portal.enrollment["company_portal"] = True
        virtual, _ = ipad_with_profile(organization)
        setup_to_wifi(virtual)
        setup_assistant.remote_management_continue(virtual)
        walk_panes(virtual)
        setup_assistant.open_app(virtual, "company_portal")
        portal.checkin.update(
            apps=[
                {"bundle_id": "com.microsoft.skype.teams", "name": "Teams", "icon": "T", "color": "#5059C9"},
                {"bundle_id": "com.evil", "name": "Evil", "icon": "E", "color": "red; background: url(x)"},
            ]
        )
        setup_assistant.close_app(virtual)  # an app installed in the Company Portal appears at once
        assert portal.calls[-1][0] == CHECKIN_URL
        assert [(app["name"], app["color"]) for app in virtual.apps] == [("Teams", "#5059C9"), ("Evil", "")]

    def test_no_profile_reports_to_the_mdm_and_shows_the_refusal(self, organization, portal) -> None:
        virtual, _ = ipad_with_profile(organization, no_profile=True)
        setup_to_wifi(virtual)
        assert portal.calls[-1][1]["profile_uuid"] is None
        assert (virtual.pane, virtual.error_code, virtual.enrolled) == ("error", "NO_PROFILE", False)

    def test_no_mdm_at_all_sets_up_unmanaged(self, organization, portal) -> None:
        virtual, _ = ipad_with_profile(organization, no_profile=True, known_url=False)
        setup_to_wifi(virtual)
        assert virtual.pane == "not_managed" and not portal.calls
        setup_assistant.pane_continue(virtual)
        assert walk_panes(virtual)[0] == "Privacy"

    def test_an_unreachable_portal_is_retried(self, organization, portal) -> None:
        portal.down = True
        virtual, _ = ipad_with_profile(organization)
        setup_to_wifi(virtual)
        setup_assistant.remote_management_continue(virtual)
        assert (virtual.pane, virtual.error_code) == ("error", "UNREACHABLE")
        portal.down = False
        setup_assistant.retry(virtual)
        assert virtual.enrolled and virtual.pane.startswith("pane:")

    def test_modern_authentication_goes_to_the_web_view_then_enrolls_with_the_ticket(
        self, organization, portal
    ) -> None:
        virtual, _ = ipad_with_profile(organization, configuration_web_url=f"{ENROLL_URL}authenticate/")
        setup_to_wifi(virtual)
        setup_assistant.remote_management_continue(virtual)
        assert virtual.pane == "authenticate" and not portal.calls
        assert setup_assistant.authentication_url(virtual, "http://apple/ret/").startswith(
            f"{ENROLL_URL}authenticate/?serial="
        )
        from django.core import signing

        ticket = signing.dumps({"serial": virtual.device.serial_number, "upn": "adele@contoso.com"}, salt="x")
        setup_assistant.authenticated(virtual, ticket)
        assert portal.calls[-1][1]["user"] == {
            "kind": "directory",
            "upn": "adele@contoso.com",
            "ticket": ticket,
        }

    def test_legacy_authentication_is_asked_by_the_mdm(self, organization, portal) -> None:
        portal.answers[ENROLL_URL] = (403, {"code": "AUTHENTICATION_REQUIRED", "message": "Sign in."})
        virtual, _ = ipad_with_profile(organization)
        setup_to_wifi(virtual)
        setup_assistant.remote_management_continue(virtual)
        assert virtual.pane == "authenticate"
        assert setup_assistant.authentication_url(virtual, "http://apple/ret/").startswith(
            f"{ENROLL_URL}authenticate/?"
        )


@pytest.mark.django_db(databases=APPLE_DB)
class SharedIPadTests:
    def shared(self, organization, portal, **values) -> VirtualDevice:
        virtual, server = ipad_with_profile(organization, is_multi_user=True, **values)
        setup_to_wifi(virtual)
        setup_assistant.remote_management_continue(virtual)
        assert virtual.pane == "home"  # every pane after activation skipped
        return virtual

    def people(self, organization) -> list[Person]:
        imported(server_of(organization))
        return list(Person.objects.order_by("last_name"))

    def test_first_sign_in_changes_the_temporary_password(self, organization, portal) -> None:
        virtual = self.shared(organization, portal)
        person = self.people(organization)[0]
        shared_ipad.pick_person(virtual, person.pk)
        temporary = person.temporary_password
        assert not shared_ipad.sign_in(virtual, "wrong").ok
        assert shared_ipad.sign_in(virtual, temporary).must_change_password
        assert virtual.session_kind == ""
        assert shared_ipad.change_password(
            virtual, current=temporary, new="Blue-Sky-77", confirm="Blue-Sky-77"
        ).ok
        assert virtual.session_user is not None and virtual.session_user.person == person
        shared_ipad.sign_out(virtual)
        shared_ipad.pick_person(virtual, person.pk)
        assert shared_ipad.sign_in(virtual, "Blue-Sky-77").ok

    def test_the_oldest_cached_user_is_evicted_beyond_the_maximum(self, organization, portal) -> None:
        virtual = self.shared(organization, portal, shared_ipad_maximum_user_count=2)
        people = self.people(organization)
        for person in people:
            passwords.person_password_change(person=person, password="Blue-Sky-77")
        evicted = []
        for person in people:
            shared_ipad.pick_person(virtual, person.pk)
            evicted.append(shared_ipad.sign_in(virtual, "Blue-Sky-77").evicted)
            shared_ipad.sign_out(virtual)
        assert evicted == [(), (), (people[0].display_name,)]
        assert set(SharedIPadUser.objects.values_list("person_id", flat=True)) == {people[1].pk, people[2].pk}

    def test_temporary_session_only_allows_the_guest_alone(self, organization, portal) -> None:
        virtual = self.shared(organization, portal, shared_ipad_temporary_session_only=True)
        person = self.people(organization)[0]
        shared_ipad.pick_person(virtual, person.pk)
        assert not shared_ipad.sign_in(virtual, person.temporary_password).ok
        shared_ipad.guest_session(virtual)
        assert virtual.session_kind == "guest"


@pytest.mark.django_db(databases=APPLE_DB)
class EraseTests:
    def test_erase_forgets_everything_but_the_identity_and_tells_the_mdm(self, organization, portal) -> None:
        virtual, _ = ipad_with_profile(organization, is_multi_user=True)
        setup_to_wifi(virtual)
        setup_assistant.remote_management_continue(virtual)
        udid, certificate = virtual.udid, virtual.certificate_pem
        setup_assistant.erase(virtual)
        assert portal.calls[-1][0] == f"{CHECKIN_URL}erased/"
        virtual = VirtualDevice.objects.get(pk=virtual.pk)
        assert (virtual.pane, virtual.activation, virtual.enrolled, virtual.language) == (
            "hello",
            None,
            False,
            "",
        )
        assert (virtual.udid, virtual.certificate_pem) == (udid, certificate)

    def test_remove_management_only_when_removable(self, organization, portal) -> None:
        virtual, _ = ipad_with_profile(organization)
        setup_to_wifi(virtual)
        setup_assistant.remote_management_continue(virtual)
        setup_assistant.remove_management(virtual)
        assert virtual.enrolled  # locked enrollment
        virtual.enrollment = {**(virtual.enrollment or {}), "removable": True}
        setup_assistant.remove_management(virtual)
        assert not virtual.enrolled


@pytest.mark.django_db(databases=APPLE_DB)
class PortalHttpTests:
    """The real HTTP boundary (requests, mocked with `responses`): headers, signature, failures."""

    def test_the_request_is_signed_and_verifiable_with_the_device_ca(self, organization) -> None:
        import responses

        virtual, _ = ipad_with_profile(organization)
        with responses.RequestsMock() as mock:
            mock.post(ENROLL_URL, json={"status": "enrolled"}, status=200)
            answer = mdm.portal_post(virtual, ENROLL_URL, {"serial_number": virtual.device.serial_number})
            request = mock.calls[0].request
        assert answer.status == 200
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["User-Agent"].startswith("MDM-Device/1.0 (iPad; iPadOS 18.1)")
        serial, udid = identity.device_identity_verify(
            certificate_b64=request.headers["X-Apple-Device-Certificate"],
            signature_b64=request.headers["X-Apple-Device-Signature"],
            body=request.body if isinstance(request.body, bytes) else str(request.body).encode(),
        )
        assert (serial, udid) == (virtual.device.serial_number, virtual.udid)

    def test_network_errors_server_errors_and_html_are_unreachable(self, organization) -> None:
        import requests
        import responses

        virtual, _ = ipad_with_profile(organization)
        with responses.RequestsMock() as mock:
            mock.post(ENROLL_URL, body=requests.ConnectionError("refused"))
            assert mdm.portal_post(virtual, ENROLL_URL, {}).code == "UNREACHABLE"
            mock.replace(responses.POST, ENROLL_URL, status=502, body="Bad gateway")
            assert mdm.portal_post(virtual, ENROLL_URL, {}).code == "UNREACHABLE"
            mock.replace(responses.POST, ENROLL_URL, status=200, body="<html>")
            assert mdm.portal_post(virtual, ENROLL_URL, {}).code == "UNREACHABLE"
            mock.replace(responses.POST, ENROLL_URL, status=403, json={"code": "NO_PROFILE"})
            assert mdm.portal_post(virtual, ENROLL_URL, {}).code == "NO_PROFILE"

    def test_a_managed_device_checks_in_when_it_starts(self, organization, portal) -> None:
        virtual, _ = ipad_with_profile(organization)
        setup_to_wifi(virtual)
        setup_assistant.remote_management_continue(virtual)
        walk_panes(virtual)
        setup_assistant.power_off(virtual)
        portal.checkin["state"] = "pendingReset"
        setup_assistant.power_on(virtual)
        assert portal.calls[-1][0] == CHECKIN_URL
        assert virtual.pane == "home" and virtual.mdm_state == "pendingReset"

    def test_the_pending_reset_state_is_shown_in_settings(self, organization, portal) -> None:
        virtual, _ = ipad_with_profile(organization)
        setup_to_wifi(virtual)
        setup_assistant.remote_management_continue(virtual)
        portal.checkin["state"] = "pendingReset"
        setup_assistant.checkin(virtual)
        assert virtual.mdm_state == "pendingReset"
