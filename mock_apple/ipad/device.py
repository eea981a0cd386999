"""What the virtual iPad does by itself, without the screens: erase (and Return to Service),
restart, shut down, and Setup Assistant run unattended (issue 23)."""

from __future__ import annotations

import base64
import time
from datetime import timedelta
from typing import Any

from django.db import transaction

from mock_apple import clock
from mock_apple.db import DB
from mock_apple.ipad import profiles
from mock_apple.ipad.activation import activation_for
from mock_apple.ipad.commands import identity_common_name
from mock_apple.ipad.enrollment import (
    UNENROLLED,
    EnrollmentOutcome,
    FailureCode,
    install_enrollment_profile,
    remote_management,
)
from mock_apple.ipad.session import check_in_now
from mock_apple.models import InstalledProfile, MdmExchange, SharedIPadUser, VirtualDevice

# How long the screens show an erase, a restart, a shut-down (the engine is done at once).
ACTIVITY_SECONDS = {"erasing": 4, "restarting": 3, "shutting_down": 2}
# How long setup_unattended waits for DeviceConfigured, checking in every POLL_SECONDS.
AWAIT_CONFIGURATION_SECONDS = 120.0
POLL_SECONDS = 0.5

# What an erase forgets (the hardware identity, the command log and created_at stay).
ERASED: dict[str, Any] = {
    **UNENROLLED,
    "state": VirtualDevice.State.SETUP,
    "pane": "hello",
    "panes_ahead": [],
    "language": "",
    "region": "",
    "wifi_network": "",
    "activated_at": None,
    "activation": None,
    "enrollment_url": "",
    "device_name": "",
    "apps": [],
    "error_code": "",
    "error_detail": "",
    "session_kind": VirtualDevice.Session.NONE,
    "session_user": None,
    "signin_class": None,
    "signin_person": None,
    "open_app": "",
    "enrolled_at": None,
    "last_checkin_at": None,
    "enrollment_failure": "",
    "enrollment_failure_detail": "",
    "locked": False,
    "lock_message": "",
    "lock_phone_number": "",
    "passcode_present": False,
    "lost_mode": False,
    "lost_mode_message": "",
    "lost_mode_phone_number": "",
    "lost_mode_footnote": "",
    "lost_mode_sound_at": None,
    "return_to_service": None,
}


def _activity(virtual: VirtualDevice, activity: str) -> None:
    virtual.activity = activity
    virtual.activity_until = clock.now() + timedelta(seconds=ACTIVITY_SECONDS[activity])


def wipe(virtual: VirtualDevice) -> VirtualDevice:
    """Erase All Content and Settings: the hardware identity (UDID, device certificate) stays;
    profiles, apps, the MDM identity, Shared iPad users, lock and Lost Mode go; the device is at
    Setup Assistant's first pane. The command log stays (for developers). No message to the MDM
    (an erased device just stops answering)."""
    with transaction.atomic(using=DB):
        SharedIPadUser.objects.filter(virtual_device=virtual).delete()
        InstalledProfile.objects.filter(virtual_device=virtual).delete()
        for name, value in ERASED.items():
            setattr(virtual, name, value)
        _activity(virtual, "erasing")
        virtual.erased_at = clock.now()
        virtual.save()
    return virtual


def restart(virtual: VirtualDevice) -> VirtualDevice:
    """RestartDevice: the Shared iPad session ends, open apps close; the lock screen stays."""
    virtual.refresh_from_db()
    _activity(virtual, "restarting")
    virtual.session_kind, virtual.session_user, virtual.open_app = VirtualDevice.Session.NONE, None, ""
    virtual.powered_on_at = clock.now()
    virtual.save(
        update_fields=[
            "activity",
            "activity_until",
            "session_kind",
            "session_user",
            "open_app",
            "powered_on_at",
        ]
    )
    return virtual


def shut_down(virtual: VirtualDevice) -> VirtualDevice:
    """ShutDownDevice: off until someone powers it on (pushes wait undelivered)."""
    virtual.refresh_from_db()
    _activity(virtual, "shutting_down")
    virtual.state = VirtualDevice.State.OFF
    virtual.session_kind, virtual.session_user, virtual.open_app = VirtualDevice.Session.NONE, None, ""
    virtual.save(
        update_fields=["activity", "activity_until", "state", "session_kind", "session_user", "open_app"]
    )
    return virtual


def erase_and_return(virtual: VirtualDevice, plan: dict[str, Any] | None) -> VirtualDevice:
    """EraseDevice: wipe; with ReturnToService, set up again by itself (Wi-Fi profile, the MDM
    profile data or the cloud configuration's url) and end on the home screen."""
    virtual.refresh_from_db()
    wipe(virtual)
    if not plan:
        return virtual
    virtual.return_to_service = plan
    virtual.save(update_fields=["return_to_service"])
    wifi = _install_wifi(virtual, plan.get("wifi_profile") or "")
    mdm_profile = base64.b64decode(plan["mdm_profile"]) if plan.get("mdm_profile") else None
    setup_unattended(
        virtual,
        language=str(plan.get("language") or "en"),
        region=str(plan.get("region") or "US"),
        wifi_network=wifi,
        mdm_profile=mdm_profile,
    )
    return virtual


def _install_wifi(virtual: VirtualDevice, data: str) -> str:
    """Return to Service's Wi-Fi profile: installed before anything else; its SSID joined."""
    if not data:
        return ""
    try:
        profile = profiles.profile_parse(base64.b64decode(data))
    except profiles.InvalidProfile:
        return ""
    profiles.profile_record(virtual, profile, is_enrollment=False)
    wifi = profile.payloads_of("com.apple.wifi.managed")
    return str(wifi[0].get("SSID_STR") or "")[:64] if wifi else ""


def setup_unattended(
    virtual: VirtualDevice,
    *,
    language: str = "en",
    region: str = "US",
    wifi_network: str = "",
    mdm_profile: bytes | None = None,
) -> EnrollmentOutcome:
    """Go through Setup Assistant without a touch, as Return to Service does and as the
    headless fleet does: language, region, Wi-Fi, activation, Remote Management (the cloud
    configuration's `url`, or `mdm_profile` when given), the check-in sessions until
    DeviceConfigured when the profile awaits it, then the home screen (or the Shared iPad
    sign-in). On failure the device stays at Remote Management with the failure recorded."""
    virtual.refresh_from_db()
    if virtual.state == VirtualDevice.State.OFF:
        virtual.powered_on_at = clock.now()
    virtual.state = VirtualDevice.State.SETUP
    virtual.language, virtual.region = language, region
    virtual.wifi_network = wifi_network or virtual.wifi_network or "Wi-Fi"
    if virtual.activated_at is None:
        answer = activation_for(virtual.device)
        virtual.activation = answer.configuration
        virtual.enrollment_url = answer.enrollment_url
        virtual.activated_at = clock.now()
    virtual.pane = "remote_management"
    virtual.save()
    if virtual.enrolled:
        outcome = EnrollmentOutcome(awaiting_configuration=virtual.awaiting_configuration)
    elif mdm_profile is not None:
        outcome = install_enrollment_profile(virtual, mdm_profile)
    elif virtual.activation:
        outcome = remote_management(virtual)
    else:
        outcome = EnrollmentOutcome(failure=str(FailureCode.NOT_ASSIGNED))
        virtual.enrollment_failure = outcome.failure
        virtual.save(update_fields=["enrollment_failure"])
    if not outcome.ok:
        return outcome
    deadline = time.monotonic() + AWAIT_CONFIGURATION_SECONDS
    virtual.refresh_from_db()
    while virtual.awaiting_configuration and virtual.enrolled and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        check_in_now(virtual)
    if virtual.awaiting_configuration or not virtual.enrolled:
        virtual.pane = "configuring"
        virtual.save(update_fields=["pane"])
        return EnrollmentOutcome(awaiting_configuration=True)
    virtual.pane, virtual.state, virtual.panes_ahead = "home", VirtualDevice.State.HOME, []
    virtual.save(update_fields=["pane", "state", "panes_ahead"])
    return EnrollmentOutcome()


def _exchange_json(exchange: MdmExchange) -> dict[str, Any]:
    return {
        "kind": exchange.kind,
        "request_type": exchange.request_type,
        "command_uuid": exchange.command_uuid,
        "status": exchange.status,
        "http_status": exchange.http_status,
        "received_at": exchange.received_at.isoformat(),
        "replied_at": exchange.replied_at.isoformat() if exchange.replied_at else None,
        "request": exchange.request_plist,
        "reply": exchange.reply_plist,
    }


def device_state(virtual: VirtualDevice, *, log_limit: int = 50) -> dict[str, Any]:
    """The device as JSON for the control API: power, pane, identity, enrollment, installed
    profiles, apps, lock / Lost Mode, and the last `log_limit` exchanges with their plists."""
    virtual.refresh_from_db()
    payload = virtual.mdm_payload or {}
    return {
        "serial_number": virtual.device.serial_number,
        "udid": virtual.udid,
        "state": virtual.state,
        "pane": virtual.pane,
        "activity": virtual.activity
        if virtual.activity_until and virtual.activity_until > clock.now()
        else "",
        "language": virtual.language,
        "device_name": virtual.device_name,
        "identity": {
            "device_certificate": virtual.certificate_pem,
            "mdm_certificate": virtual.mdm_certificate_pem,
            "mdm_common_name": identity_common_name(virtual),
        },
        "enrollment": {
            "enrolled": virtual.enrolled,
            "enrolled_at": virtual.enrolled_at.isoformat() if virtual.enrolled_at else None,
            "awaiting_configuration": virtual.awaiting_configuration,
            "failure": virtual.enrollment_failure,
            "failure_detail": virtual.enrollment_failure_detail,
            "server_url": payload.get("ServerURL", ""),
            "checkin_url": payload.get("CheckInURL", ""),
            "topic": payload.get("Topic", ""),
            "push_token": virtual.push_token,
            "push_magic": virtual.push_magic,
            "last_session_at": virtual.last_session_at.isoformat() if virtual.last_session_at else None,
        },
        "profiles": [
            {
                "identifier": each.identifier,
                "uuid": each.uuid,
                "display_name": each.display_name,
                "organization": each.organization,
                "is_enrollment": each.is_enrollment,
                "removal_disallowed": each.removal_disallowed,
                "signed": bool(each.signer_certificates),
                "payloads": each.payloads,
            }
            for each in virtual.installed_profiles.all()
        ],
        "apps": virtual.apps,
        "settings": virtual.mdm_settings,
        "lock": {
            "locked": virtual.locked,
            "message": virtual.lock_message,
            "phone_number": virtual.lock_phone_number,
        },
        "lost_mode": {
            "enabled": virtual.lost_mode,
            "message": virtual.lost_mode_message,
            "phone_number": virtual.lost_mode_phone_number,
            "footnote": virtual.lost_mode_footnote,
        },
        "log": [_exchange_json(each) for each in virtual.exchanges.all()[:log_limit]],
    }
