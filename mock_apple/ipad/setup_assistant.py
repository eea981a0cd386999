"""The virtual iPad's Setup Assistant and Home Screen: power, the panes before activation,
Remote Management and enrollment, check-in, the apps, Remove Management and erase.

The device talks to Apple (this process, directly) for activation and to the MDM (the portal)
only through mock_apple.ipad.mdm.portal_post."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from django.db import transaction

from mock_apple import clock
from mock_apple.db import DB
from mock_apple.ipad import mdm
from mock_apple.ipad.activation import activation_for
from mock_apple.ipad.mdm import ticket_upn
from mock_apple.models import (
    Device,
    SharedIPadUser,
    VirtualDevice,
)
from mock_apple.setup_panes import OS_VERSION, hardware_capabilities, panes_after_activation

LANGUAGES = ("en", "fr")
REGIONS = ("FR", "US", "GB", "BE", "CA", "CH")
WIFI_NETWORKS = ("Contoso-Students", "Contoso-Staff", "eduroam")
# What the Setup Assistant shows before activation; the rest is derived from the configuration.
PANES_BEFORE_ACTIVATION = ("hello", "language", "region", "wifi")


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
    if virtual.state == VirtualDevice.State.HOME:
        # A managed device checks in with its MDM when it starts (name, apps, Reset required).
        return checkin(virtual)
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
    if virtual.activation:
        return go(virtual, "remote_management")
    if virtual.enrollment_url:
        # Assigned to an MDM server without a profile: report, so the MDM records the failure.
        return enroll(virtual)
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


def _enrollment_url(virtual: VirtualDevice) -> str:
    return str((virtual.activation or {}).get("url") or virtual.enrollment_url)


def remote_management_continue(virtual: VirtualDevice) -> VirtualDevice:
    """Modern authentication happens first, in the web view; otherwise the device enrolls."""
    if (virtual.activation or {}).get("configuration_web_url") and not virtual.auth_ticket:
        return go(virtual, "authenticate")
    return enroll(virtual)


def authentication_url(virtual: VirtualDevice, return_url: str) -> str:
    """The portal's sign-in page for the web view: the profile's configuration_web_url, or for
    legacy Setup Assistant authentication the enrollment URL's authenticate/ (amendment)."""
    base = (virtual.activation or {}).get(
        "configuration_web_url"
    ) or f"{_enrollment_url(virtual)}authenticate/"
    return f"{base}?{urlencode({'serial': virtual.device.serial_number, 'return': return_url})}"


def authenticated(virtual: VirtualDevice, ticket: str) -> VirtualDevice:
    """The web view came back with a ticket: enroll with the user it names."""
    if virtual.pane != "authenticate" or not ticket:
        return virtual
    virtual.auth_ticket = ticket
    save_fields(virtual, "auth_ticket")
    return enroll(virtual)


def enroll(virtual: VirtualDevice) -> VirtualDevice:
    """POST the enrollment to the profile's URL (contract §3) and move on by the answer."""
    configuration = virtual.activation or {}
    user = None
    if virtual.auth_ticket:
        user = {"kind": "directory", "upn": ticket_upn(virtual.auth_ticket), "ticket": virtual.auth_ticket}
    device = virtual.device
    answer = mdm.portal_post(
        virtual,
        _enrollment_url(virtual),
        {
            "serial_number": device.serial_number,
            "udid": virtual.udid,
            "model": device.model,
            "product": "iPad13,18" if device.device_family == "iPad" else "iPhone15,4",
            "os_version": OS_VERSION,
            "language": virtual.language or "en",
            "profile_uuid": configuration.get("profile_uuid"),
            "user": user,
        },
    )
    if answer.status == 200 and answer.data.get("status") == "enrolled":
        now = clock.now()
        virtual.enrolled, virtual.enrollment, virtual.enrolled_at = True, answer.data, now
        virtual.device_name = str(answer.data.get("device_name") or "")
        virtual.error_code = virtual.error_detail = ""
        save_fields(
            virtual, "enrolled", "enrollment", "enrolled_at", "device_name", "error_code", "error_detail"
        )
        return _after_panes(virtual, _panes(virtual))
    if answer.code == "AUTHENTICATION_REQUIRED" and not virtual.auth_ticket:
        # Legacy Setup Assistant authentication: the MDM asks for credentials at enrollment.
        return go(virtual, "authenticate")
    if virtual.auth_ticket and answer.code == "AUTHENTICATION_REQUIRED":
        # The ticket expired or was refused: sign in again.
        virtual.auth_ticket = ""
        save_fields(virtual, "auth_ticket")
    return go(
        virtual,
        "error",
        error_code=answer.code or f"HTTP_{answer.status}",
        error_detail=str(answer.data.get("message") or "")[:300],
    )


def retry(virtual: VirtualDevice) -> VirtualDevice:
    if virtual.pane != "error":
        return virtual
    if virtual.enrolled:
        return checkin(virtual)
    return enroll(virtual)


def _after_panes(virtual: VirtualDevice, ahead: list[str]) -> VirtualDevice:
    if ahead:
        return go(virtual, f"pane:{ahead[0]}", panes_ahead=ahead[1:])
    if virtual.enrolled and (virtual.enrollment or {}).get("await_configuration"):
        return go(virtual, "configuring", panes_ahead=[])
    return go(virtual, "home", panes_ahead=[])


def pane_continue(virtual: VirtualDevice) -> VirtualDevice:
    """Continue on a pane after Remote Management (or on the not-managed notice)."""
    if not (virtual.pane.startswith("pane:") or virtual.pane == "not_managed"):
        return virtual
    return _after_panes(virtual, list(virtual.panes_ahead))


def checkin(virtual: VirtualDevice) -> VirtualDevice:
    """Check in with the MDM (contract §5): name, apps, state; releases « Configuring »."""
    url = (virtual.enrollment or {}).get("checkin_url")
    if not virtual.enrolled or not url:
        return virtual
    answer = mdm.portal_post(
        virtual, str(url), {"serial_number": virtual.device.serial_number, "udid": virtual.udid}
    )
    if answer.status != 200:
        if virtual.pane in ("configuring", "error"):
            return go(virtual, "error", error_code=answer.code or f"HTTP_{answer.status}", error_detail="")
        return virtual
    virtual.last_checkin_at = clock.now()
    virtual.device_name = str(answer.data.get("device_name") or virtual.device_name)
    apps = answer.data.get("apps")
    virtual.apps = (
        [_home_screen_app(app) for app in apps if isinstance(app, dict)] if isinstance(apps, list) else []
    )
    virtual.mdm_state = str(answer.data.get("state") or "")
    save_fields(virtual, "last_checkin_at", "device_name", "apps", "mdm_state")
    if virtual.pane in ("configuring", "error") and not answer.data.get("await_configuration"):
        return go(virtual, "home", error_code="", error_detail="")
    return virtual


# --- Home screen ----------------------------------------------------------------------------

_COLOR = re.compile(r"#[0-9a-fA-F]{3,8}")


def _home_screen_app(app: dict[str, Any]) -> dict[str, str]:
    """An app the MDM installed, as the home screen draws it: its glyph on its colour (a colour
    that is not a plain hex value is dropped: it goes into a style attribute)."""
    color = str(app.get("color") or "")
    return {
        "bundle_id": str(app.get("bundle_id") or "")[:200],
        "name": str(app.get("name") or "")[:100],
        "icon": str(app.get("icon") or "")[:2],
        "color": color if _COLOR.fullmatch(color) else "",
    }


def company_portal_available(virtual: VirtualDevice) -> bool:
    return bool(virtual.enrolled and (virtual.enrollment or {}).get("company_portal"))


def open_app(virtual: VirtualDevice, app: str) -> VirtualDevice:
    known = {"settings", "company_portal"} | {str(a.get("bundle_id")) for a in virtual.apps}
    if virtual.pane != "home" or app not in known:
        return virtual
    virtual.open_app = app
    save_fields(virtual, "open_app")
    return virtual


def close_app(virtual: VirtualDevice) -> VirtualDevice:
    """Back to the Home Screen; leaving the Company Portal checks in, so that an app installed
    there appears now (Intune pushes the install at once) rather than at the next check-in."""
    leaving = virtual.open_app
    virtual.open_app = ""
    save_fields(virtual, "open_app")
    if leaving == "company_portal":
        return checkin(virtual)
    return virtual


def remove_management(virtual: VirtualDevice) -> VirtualDevice:
    """Settings › Device Management › Remove Management: refused under locked enrollment."""
    if not virtual.enrolled or not (virtual.enrollment or {}).get("removable"):
        return virtual
    virtual.enrolled = False
    save_fields(virtual, "enrolled")
    return virtual


def erase(virtual: VirtualDevice) -> VirtualDevice:
    """Erase All Content and Settings (contract §7): the hardware identity stays, everything else
    goes; the MDM is told (best effort: an unreachable MDM does not stop the erase)."""
    url = (virtual.enrollment or {}).get("checkin_url")
    if virtual.enrolled and url:
        mdm.portal_post(
            virtual, f"{url}erased/", {"serial_number": virtual.device.serial_number, "udid": virtual.udid}
        )
    with transaction.atomic(using=DB):
        SharedIPadUser.objects.filter(virtual_device=virtual).delete()
        for name, value in ERASED.items():
            setattr(virtual, name, value)
        virtual.erased_at = clock.now()
        virtual.save()
    return virtual


ERASED: dict[str, Any] = {
    "state": VirtualDevice.State.SETUP,
    "pane": "hello",
    "panes_ahead": [],
    "language": "",
    "region": "",
    "wifi_network": "",
    "activated_at": None,
    "activation": None,
    "enrollment_url": "",
    "enrolled": False,
    "enrollment": None,
    "auth_ticket": "",
    "device_name": "",
    "apps": [],
    "mdm_state": "",
    "error_code": "",
    "error_detail": "",
    "session_kind": VirtualDevice.Session.NONE,
    "session_user": None,
    "signin_class": None,
    "signin_person": None,
    "open_app": "",
    "enrolled_at": None,
    "last_checkin_at": None,
}
