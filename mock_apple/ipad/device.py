"""What the virtual iPad does by itself, without the screens: erase (and Return to Service),
restart, shut down, and Setup Assistant run unattended (issue 23)."""

from __future__ import annotations

from typing import Any

from mock_apple.ipad.enrollment import EnrollmentOutcome
from mock_apple.models import VirtualDevice


def wipe(virtual: VirtualDevice) -> VirtualDevice:
    """Erase All Content and Settings: the hardware identity (UDID, device certificate) stays;
    profiles, apps, the MDM identity, Shared iPad users, lock and Lost Mode go; the device is at
    Setup Assistant's first pane. The command log stays (for developers). No message to the MDM
    (an erased device just stops answering)."""
    raise NotImplementedError


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
    raise NotImplementedError


def device_state(virtual: VirtualDevice, *, log_limit: int = 50) -> dict[str, Any]:
    """The device as JSON for the control API: power, pane, identity, enrollment, installed
    profiles, apps, lock / Lost Mode, and the last `log_limit` exchanges with their plists."""
    raise NotImplementedError
