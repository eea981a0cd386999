"""The Setup Assistant's screens over the engine: Remote Management, its failures with Try Again,
« Awaiting final configuration », the web view, the panes, the Home Screen, lock, erase."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mock_apple import clock
from mock_apple.ipad import setup_assistant
from mock_apple.ipad.enrollment import FailureCode
from mock_apple.models import VirtualDevice
from tests.mock_apple.conftest import APPLE_DB
from tests.mock_apple.ipad_fake import ENROLL_URL, ipad_with_profile, setup_to_wifi, walk_panes

COMPANY_PORTAL = {
    "bundle_id": setup_assistant.COMPANY_PORTAL_BUNDLE_ID,
    "name": "Company Portal",
    "icon": "CP",
    "color": "#0078d4",
}


@pytest.mark.django_db(databases=APPLE_DB)
class SetupAssistantTests:
    def test_enrollment_then_the_panes_not_hidden_then_home(self, organization, engine) -> None:
        virtual, _ = ipad_with_profile(organization, skip_setup_items=["Siri", "Passcode", "AppleID"])
        setup_to_wifi(virtual)
        assert virtual.pane == "remote_management"
        setup_assistant.remote_management_continue(virtual)
        assert engine.calls == ["remote_management"]
        assert virtual.enrolled and virtual.device_name == "IPAD-0001"
        panes = walk_panes(virtual)
        assert "Siri" not in panes and "Passcode" not in panes and "AppleID" not in panes
        assert panes[0] == "Privacy" and panes[-1] == "Welcome"
        # A Wi-Fi iPad (10th generation): no cellular plan to add, no Apple Intelligence.
        assert "SIMSetup" not in panes and "Intelligence" not in panes
        assert "Zoom" not in panes  # removed in iOS 17
        assert virtual.pane == "home"

    def test_awaiting_final_configuration_holds_until_device_configured(self, organization, engine) -> None:
        engine.awaiting = True
        virtual, _ = ipad_with_profile(organization, skip_setup_items=["Siri"])
        setup_to_wifi(virtual)
        setup_assistant.remote_management_continue(virtual)
        # iOS waits at Remote Management, before the panes after it.
        assert virtual.pane == "configuring" and virtual.panes_ahead
        setup_assistant.awaiting_check(virtual)
        assert virtual.pane == "configuring" and engine.calls[-1] == "check_in_now"
        engine.release(apps=[COMPANY_PORTAL])
        # Not asked again within AWAIT_CHECKIN_SECONDS: a push's session releases it meanwhile.
        VirtualDevice.objects.filter(pk=virtual.pk).update(
            last_session_at=clock.now() - timedelta(seconds=setup_assistant.AWAIT_CHECKIN_SECONDS)
        )
        virtual.refresh_from_db()
        setup_assistant.awaiting_check(virtual)
        assert virtual.pane.startswith("pane:")
        walk_panes(virtual)
        assert virtual.pane == "home" and setup_assistant.company_portal_available(virtual)

    @pytest.mark.parametrize("failure", list(FailureCode))
    def test_every_failure_shows_its_screen_and_try_again_enrolls(
        self, organization, engine, failure
    ) -> None:
        engine.failure = failure
        virtual, _ = ipad_with_profile(organization)
        setup_to_wifi(virtual)
        setup_assistant.remote_management_continue(virtual)
        assert (virtual.pane, virtual.error_code, virtual.error_detail) == ("error", failure, "HTTP 403")
        assert not virtual.enrolled
        engine.failure = ""
        setup_assistant.retry(virtual)
        assert virtual.enrolled and virtual.pane.startswith("pane:") and virtual.error_code == ""

    def test_no_profile_shows_not_assigned_and_try_again_asks_apple_again(self, organization, engine) -> None:
        virtual, server = ipad_with_profile(organization, no_profile=True)
        setup_to_wifi(virtual)
        assert (virtual.pane, virtual.error_code) == ("error", FailureCode.NOT_ASSIGNED)
        # The device reported to its MDM server's url (so that the MDM records the failure).
        assert virtual.enrollment_url == ENROLL_URL
        assert list(virtual.exchanges.values_list("request_type", flat=True)) == ["MachineInfo"]
        from mock_apple.models import Profile
        from mock_apple.services import assignments

        assignments.profile_assign(
            server=server,
            profile=Profile.objects.get(),
            serials=[virtual.device.serial_number],
            throttling=False,
        )
        setup_assistant.retry(virtual)
        assert virtual.pane == "remote_management" and not engine.calls

    def test_no_mdm_at_all_sets_up_unmanaged(self, organization, engine) -> None:
        virtual, _ = ipad_with_profile(organization, no_profile=True, known_url=False)
        setup_to_wifi(virtual)
        assert virtual.pane == "not_managed" and not engine.calls
        setup_assistant.pane_continue(virtual)
        assert walk_panes(virtual)[0] == "Privacy"

    def test_modern_authentication_opens_the_web_view(self, organization, engine) -> None:
        virtual, _ = ipad_with_profile(organization, configuration_web_url=f"{ENROLL_URL}web/")
        setup_to_wifi(virtual)
        setup_assistant.remote_management_continue(virtual)
        assert virtual.pane == "web_view" and not engine.calls  # the page gives the profile
        setup_assistant.web_view_cancel(virtual)
        assert virtual.pane == "remote_management"


@pytest.mark.django_db(databases=APPLE_DB)
class HomeScreenTests:
    def home(self, organization, engine, **values) -> VirtualDevice:
        virtual, _ = ipad_with_profile(organization, **values)
        setup_to_wifi(virtual)
        setup_assistant.remote_management_continue(virtual)
        walk_panes(virtual)
        assert virtual.pane == "home"
        return virtual

    def test_the_company_portal_opens_once_installed_and_closing_it_checks_in(
        self, organization, engine
    ) -> None:
        virtual = self.home(organization, engine)
        setup_assistant.open_app(virtual, setup_assistant.COMPANY_PORTAL_BUNDLE_ID)
        assert virtual.open_app == ""  # not installed
        engine.apps = [COMPANY_PORTAL]
        setup_assistant.checkin(virtual)
        setup_assistant.open_app(virtual, setup_assistant.COMPANY_PORTAL_BUNDLE_ID)
        assert virtual.open_app == setup_assistant.COMPANY_PORTAL_BUNDLE_ID
        engine.apps = [COMPANY_PORTAL, {"bundle_id": "com.microsoft.skype.teams", "name": "Teams"}]
        setup_assistant.close_app(virtual)  # an app installed in the Company Portal appears at once
        assert engine.calls[-1] == "check_in_now"
        assert [app["name"] for app in virtual.apps] == ["Company Portal", "Teams"]

    def test_the_lock_screen_keeps_the_mdm_message_until_unlocked(self, organization, engine) -> None:
        virtual = self.home(organization, engine)
        VirtualDevice.objects.filter(pk=virtual.pk).update(
            locked=True, lock_message="Rendez l’iPad", lock_phone_number="+33 1 23 45 67 89"
        )
        virtual.refresh_from_db()
        assert setup_assistant.blocked(virtual)
        setup_assistant.open_app(virtual, "settings")
        assert virtual.open_app == ""  # the lock screen is in front
        setup_assistant.unlock(virtual)
        assert not virtual.locked and virtual.lock_message == ""

    def test_lost_mode_cannot_be_unlocked_on_the_device(self, organization, engine) -> None:
        virtual = self.home(organization, engine)
        VirtualDevice.objects.filter(pk=virtual.pk).update(lost_mode=True, lost_mode_message="Perdu")
        virtual.refresh_from_db()
        setup_assistant.unlock(virtual)
        assert virtual.lost_mode

    def test_an_activity_shows_until_it_ends(self, organization, engine) -> None:
        virtual = self.home(organization, engine)
        virtual.activity, virtual.activity_until = "restarting", clock.now() + timedelta(seconds=5)
        assert setup_assistant.activity(virtual) == "restarting"
        virtual.activity_until = clock.now() - timedelta(seconds=1)
        assert setup_assistant.activity(virtual) == ""

    def test_remove_management_only_when_removable(self, organization, engine) -> None:
        virtual = self.home(organization, engine)
        assert not setup_assistant.remove_management(virtual)
        engine.removable = True
        assert setup_assistant.remove_management(virtual)

    def test_erase_is_the_engines_wipe_and_power_on_wakes_a_managed_device(
        self, organization, engine
    ) -> None:
        virtual = self.home(organization, engine)
        setup_assistant.power_off(virtual)
        setup_assistant.power_on(virtual)
        assert engine.calls[-1] == "power_on_wake"
        udid = virtual.udid
        setup_assistant.erase(virtual)
        assert engine.calls[-1] == "wipe"
        virtual = VirtualDevice.objects.get(pk=virtual.pk)
        assert (virtual.pane, virtual.enrolled, virtual.udid) == ("hello", False, udid)
