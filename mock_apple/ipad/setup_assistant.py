"""The virtual iPad's screens: power, Setup Assistant's panes, Remote Management and its
failures, « Awaiting final configuration », the Home Screen, the lock screen, Settings.

The screens own the pane moves a person makes; the MDM protocol is the engine's
(mock_apple.ipad.enrollment, session, device, wake: docs/virtual-ipad-engine.md), which these
functions call. Nothing here speaks HTTP to an MDM server; the web view of modern
authentication is mock_apple.ipad.web_view."""

from __future__ import annotations

from typing import Any

from mock_apple import clock
from mock_apple.ipad import device as engine_device
from mock_apple.ipad import enrollment, session, wake, web_view
from mock_apple.ipad.activation import activation_for
from mock_apple.ipad.enrollment import EnrollmentOutcome, FailureCode
from mock_apple.models import Device, VirtualDevice
from mock_apple.setup_panes import hardware_capabilities, panes_after_activation

LANGUAGES = ("en", "fr")
REGIONS = ("FR", "US", "GB", "BE", "CA", "CH")
WIFI_NETWORKS = ("Contoso-Students", "Contoso-Staff", "eduroam")
# What the Setup Assistant shows before activation; the rest is derived from the configuration.
PANES_BEFORE_ACTIVATION = ("hello", "language", "region", "wifi")
# The Intune Company Portal's bundle identifier: the home screen opens it as the portal's app.
COMPANY_PORTAL_BUNDLE_ID = "com.microsoft.CompanyPortal"
# While awaiting final configuration, the device also asks its MDM itself this often (servers
# that cannot push to the mock APNs still release it).
AWAIT_CHECKIN_SECONDS = 10


def save_fields(virtual: VirtualDevice, *fields: str) -> None:
    virtual.save(update_fields=list(fields))


def power_on(virtual: VirtualDevice) -> VirtualDevice:
    if virtual.state != VirtualDevice.State.OFF:
        return virtual
    virtual.pane = virtual.pane or "hello"
    virtual.state = VirtualDevice.State.HOME if virtual.pane == "home" else VirtualDevice.State.SETUP
    virtual.powered_on_at = clock.now()
    # A restart ends the Shared iPad session: the sign-in screen comes back.
    virtual.session_kind, virtual.session_user = VirtualDevice.Session.NONE, None
    virtual.open_app = ""
    save_fields(virtual, "pane", "state", "powered_on_at", "session_kind", "session_user", "open_app")
    if virtual.enrolled:
        # A managed device gets the push it missed while off (or checks in as it starts).
        wake.power_on_wake(virtual)
    return virtual


def power_off(virtual: VirtualDevice) -> VirtualDevice:
    virtual.state = VirtualDevice.State.OFF
    save_fields(virtual, "state")
    return virtual


def go(virtual: VirtualDevice, pane: str, **fields: Any) -> VirtualDevice:
    virtual.pane = pane
    virtual.state = VirtualDevice.State.HOME if pane == "home" else VirtualDevice.State.SETUP
    for name, value in fields.items():
        setattr(virtual, name, value)
    save_fields(virtual, "pane", "state", *fields)
    return virtual


def choose_language(virtual: VirtualDevice, language: str) -> VirtualDevice:
    if language not in LANGUAGES:
        return virtual
    return go(virtual, "region", language=language)


def choose_region(virtual: VirtualDevice, region: str) -> VirtualDevice:
    if region not in REGIONS:
        return virtual
    return go(virtual, "wifi", region=region)


def join_wifi(virtual: VirtualDevice, network: str) -> VirtualDevice:
    """Joining a network lets the device activate: Apple answers with the cloud configuration."""
    if network not in WIFI_NETWORKS:
        return virtual
    virtual.wifi_network = network
    save_fields(virtual, "wifi_network")
    return activate(virtual)


def activate(virtual: VirtualDevice) -> VirtualDevice:
    """Activation; an activated device keeps the configuration it got until it is erased."""
    if virtual.activated_at is None:
        answer = activation_for(virtual.device)
        virtual.activation = answer.configuration
        virtual.enrollment_url = answer.enrollment_url
        virtual.activated_at = clock.now()
        save_fields(virtual, "activation", "enrollment_url", "activated_at")
        if not virtual.activation:
            enrollment.report_without_configuration(virtual)
    if virtual.activation:
        return go(virtual, "remote_management")
    if virtual.enrollment_url:
        # Assigned to an MDM server that has no profile for it: Apple has no configuration to
        # give, and Setup Assistant says so (Try again asks Apple again).
        return go(virtual, "error", error_code=FailureCode.NOT_ASSIGNED, error_detail="")
    return go(virtual, "not_managed", panes_ahead=_panes(virtual))


def _panes(virtual: VirtualDevice) -> list[str]:
    device = virtual.device
    return panes_after_activation(
        virtual.activation,
        family=device.device_family,
        language=virtual.language or "en",
        capabilities=device_capabilities(device),
    )


def device_capabilities(device: Device) -> frozenset[str]:
    return hardware_capabilities(
        model=device.model, description=device.description, family=device.device_family
    )


def remote_management_continue(virtual: VirtualDevice) -> VirtualDevice:
    """Remote Management's button: modern authentication opens the web view (the profile comes
    from the page, mock_apple.ipad.web_view); otherwise the engine enrolls at the profile's url."""
    if (virtual.activation or {}).get("configuration_web_url"):
        web_view.web_view_open(virtual)
        return go(virtual, "web_view", error_code="", error_detail="")
    return enrolled(virtual, enrollment.remote_management(virtual))


def enrolled(virtual: VirtualDevice, outcome: EnrollmentOutcome) -> VirtualDevice:
    """After an enrollment attempt: iOS's failure screen with Try Again, or « Awaiting final
    configuration » while the MDM has not sent DeviceConfigured, then the panes ahead."""
    virtual.refresh_from_db()
    if not outcome.ok:
        return go(virtual, "error", error_code=outcome.failure, error_detail=outcome.detail[:300])
    virtual.error_code = virtual.error_detail = ""
    save_fields(virtual, "error_code", "error_detail")
    ahead = _panes(virtual)
    if virtual.awaiting_configuration:
        return go(virtual, "configuring", panes_ahead=ahead)
    return _after_panes(virtual, ahead)


def web_view_cancel(virtual: VirtualDevice) -> VirtualDevice:
    """Back from the web view to Remote Management (nothing was installed)."""
    web_view.web_view_close(virtual)
    return go(virtual, "remote_management")


def retry(virtual: VirtualDevice) -> VirtualDevice:
    """Try Again on a failure screen: ask Apple again when it had no configuration, else enroll
    again (through the web view when the configuration has one)."""
    if virtual.pane != "error":
        return virtual
    if not virtual.activation:
        virtual.activated_at = None
        save_fields(virtual, "activated_at")
        return activate(virtual)
    return remote_management_continue(virtual)


def _after_panes(virtual: VirtualDevice, ahead: list[str]) -> VirtualDevice:
    if ahead:
        return go(virtual, f"pane:{ahead[0]}", panes_ahead=ahead[1:])
    return go(virtual, "home", panes_ahead=[])


def pane_continue(virtual: VirtualDevice) -> VirtualDevice:
    """Continue on a pane after Remote Management (or on the not-managed notice)."""
    if not (virtual.pane.startswith("pane:") or virtual.pane == "not_managed"):
        return virtual
    return _after_panes(virtual, list(virtual.panes_ahead))


def awaiting_check(virtual: VirtualDevice) -> VirtualDevice:
    """« Awaiting final configuration »: move on once DeviceConfigured came (a push ran the
    session in the background); ask the MDM now and then meanwhile."""
    if virtual.pane != "configuring":
        return virtual
    last = virtual.last_session_at
    if virtual.awaiting_configuration and (
        last is None or (clock.now() - last).total_seconds() >= AWAIT_CHECKIN_SECONDS
    ):
        session.check_in_now(virtual)
        virtual.refresh_from_db()
    if virtual.awaiting_configuration:
        return virtual
    return _after_panes(virtual, list(virtual.panes_ahead))


def checkin(virtual: VirtualDevice) -> VirtualDevice:
    """*Check in now*: one session with the MDM's ServerURL."""
    if virtual.enrolled:
        session.check_in_now(virtual)
        virtual.refresh_from_db()
    return virtual


# --- Home screen ----------------------------------------------------------------------------


def company_portal_available(virtual: VirtualDevice) -> bool:
    """The MDM installed the Company Portal (InstallApplication)."""
    return bool(virtual.enrolled) and any(
        isinstance(app, dict) and app.get("bundle_id") == COMPANY_PORTAL_BUNDLE_ID for app in virtual.apps
    )


def open_app(virtual: VirtualDevice, app: str) -> VirtualDevice:
    known = {"settings"} | {str(a.get("bundle_id")) for a in virtual.apps if isinstance(a, dict)}
    if virtual.pane != "home" or app not in known or blocked(virtual):
        return virtual
    virtual.open_app = app
    save_fields(virtual, "open_app")
    return virtual


def close_app(virtual: VirtualDevice) -> VirtualDevice:
    """Back to the Home Screen. Leaving the Company Portal checks in: an app installed there
    is on the home screen at once even when the MDM cannot push to the mock."""
    leaving = virtual.open_app
    virtual.open_app = ""
    save_fields(virtual, "open_app")
    if leaving == COMPANY_PORTAL_BUNDLE_ID:
        return checkin(virtual)
    return virtual


def lock(virtual: VirtualDevice) -> VirtualDevice:
    """The top button pressed briefly (the Home Screen's Lock): the lock screen, no message."""
    virtual.locked = True
    save_fields(virtual, "locked")
    return virtual


def unlock(virtual: VirtualDevice) -> VirtualDevice:
    """Swipe up on the lock screen (no passcode on these iPads): the MDM's lock message goes
    with the lock screen. Lost Mode cannot be left this way: only DisableLostMode ends it."""
    if virtual.lost_mode or activity(virtual):
        return virtual
    virtual.locked = False
    virtual.lock_message = virtual.lock_phone_number = ""
    save_fields(virtual, "locked", "lock_message", "lock_phone_number")
    return virtual


def activity(virtual: VirtualDevice) -> str:
    """What the device is busy with (erasing, restarting, shutting down), while it lasts."""
    if virtual.activity and virtual.activity_until and clock.now() < virtual.activity_until:
        return str(virtual.activity)
    return ""


def blocked(virtual: VirtualDevice) -> bool:
    """The lock screen, Lost Mode or an activity is in front of everything."""
    return bool(virtual.locked or virtual.lost_mode or activity(virtual))


def remove_management(virtual: VirtualDevice) -> bool:
    """Settings › VPN & Device Management › Remove Management (the engine refuses it when the
    profile is not removable)."""
    if not virtual.enrolled:
        return False
    return enrollment.remove_management(virtual)


def erase(virtual: VirtualDevice) -> VirtualDevice:
    """Erase All Content and Settings (and Restore from a Mac): the engine's wipe."""
    web_view.web_view_close(virtual)
    return engine_device.wipe(virtual)
