"""The Setup Assistant: enrollment, the panes, authentication, the Home Screen, erase."""

from __future__ import annotations

import pytest

from mock_apple.ipad import setup_assistant
from mock_apple.models import VirtualDevice
from tests.mock_apple.conftest import APPLE_DB
from tests.mock_apple.ipad_fake import (
    CHECKIN_URL,
    ENROLL_URL,
    ipad_with_profile,
    setup_to_wifi,
    walk_panes,
)


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
