"""Apple's Setup Assistant panes after activation, keyed by their skip keys, in Apple's order.

"Android" (Move from Android) is not a pane: it is an option of Apps & Data (Restore), shown
unless skipped. This is Apple's knowledge (what the device shows), not the portal's: the portal's catalogue in
profiles.screens is Intune's labels for the same keys, and the mock never imports it. OS ranges
follow Apple's skip-key reference (min inclusive, `until` = the release that removed the pane).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# What every virtual device runs: an iPad on iPadOS 18.1 (iPhones on iOS 18.1).
OS_VERSION = "18.1"
# Terms of Address is asked only in languages with grammatical gender of address.
TERMS_OF_ADDRESS_LANGUAGES = frozenset({"fr", "de", "es", "it", "pt"})


@dataclass(frozen=True)
class Pane:
    key: str  # Apple's skip key
    title: str | Promise
    text: str | Promise
    min_os: str
    until: str | None = None  # the release that removed the pane
    families: frozenset[str] = frozenset({"iPad", "iPhone"})
    needs: str = ""  # a hardware capability (CELLULAR, INTELLIGENCE) the pane needs
    button: str | Promise = _("Continue")
    secondary: str | Promise | None = None


IPHONE = frozenset({"iPhone"})
CELLULAR = "cellular"
INTELLIGENCE = "intelligence"
# Models of the mock's catalogue whose chip runs Apple Intelligence (M1 and later, A17 Pro):
# Setup Assistant offers it on those only. Every iPad of the catalogue is Wi-Fi only; iPhones
# have a cellular radio, so only they are asked to add a cellular plan.
_INTELLIGENCE_MODELS = frozenset({"iPad Air (5th generation)", "iPad Pro 11-inch (4th generation)"})


def hardware_capabilities(*, model: str, description: str, family: str) -> frozenset[str]:
    """What the hardware can do, from Apple's model name and description."""
    found = set()
    if family == "iPhone" or "CELLULAR" in description.upper():
        found.add(CELLULAR)
    if model in _INTELLIGENCE_MODELS:
        found.add(INTELLIGENCE)
    return frozenset(found)


ALL_CAPABILITIES = frozenset({CELLULAR, INTELLIGENCE})

PANES: tuple[Pane, ...] = (
    Pane(
        "Privacy",
        _("Data & Privacy"),
        _("This icon appears when an Apple feature asks to use your personal information."),
        "11.3",
    ),
    Pane(
        "Biometric",
        _("Touch ID"),
        _("Use your fingerprint instead of your passcode to unlock your device."),
        "8.1",
        secondary=_("Set Up Later"),
    ),
    Pane(
        "Passcode",
        _("Create a Passcode"),
        _("A passcode protects your data. It is needed to unlock your device."),
        "7.0",
        secondary=_("Passcode Options"),
    ),
    Pane(
        "DeviceToDeviceMigration",
        _("Transfer Your Data"),
        _("Bring your apps and data directly from another device."),
        "12.4",
        secondary=_("Don't Transfer"),
    ),
    Pane(
        "Restore",
        _("Apps & Data"),
        _("Restore from an iCloud backup, or set up as a new device."),
        "7.0",
        button=_("Don't Transfer Apps & Data"),
    ),
    Pane(
        "AppleID",
        _("Apple Account"),
        _("Sign in to use iCloud, the App Store and other Apple services."),
        "7.0",
        secondary=_("Set Up Later in Settings"),
    ),
    Pane(
        "TOS",
        _("Terms and Conditions"),
        _("To continue, you must agree to the terms and conditions."),
        "7.0",
        button=_("Agree"),
    ),
    Pane(
        "SoftwareUpdate",
        _("Keep Your Device Up to Date"),
        _("Updates are installed automatically overnight."),
        "12.0",
        secondary=_("Only Download Automatically"),
    ),
    Pane(
        "Location",
        _("Location Services"),
        _("Location Services lets apps such as Maps use your location."),
        "7.0",
        button=_("Enable Location Services"),
        secondary=_("Disable Location Services"),
    ),
    Pane(
        "Safety",
        _("Emergency SOS"),
        _("Call emergency services quickly when you need help."),
        "16.0",
        families=IPHONE,
    ),
    Pane(
        "SIMSetup",
        _("Cellular Setup"),
        _("Add a cellular plan to use mobile data."),
        "12.0",
        needs=CELLULAR,
        secondary=_("Set Up Later in Settings"),
    ),
    Pane("WatchMigration", _("Apple Watch"), _("Move data from your Apple Watch."), "11.0", families=IPHONE),
    Pane(
        "iMessageAndFaceTime",
        _("iMessage & FaceTime"),
        _("Use your Apple Account for iMessage and FaceTime."),
        "9.0",
    ),
    Pane(
        "Siri",
        _("Siri"),
        _("Siri helps you get things done just by asking."),
        "7.0",
        secondary=_("Set Up Later in Settings"),
    ),
    Pane(
        "ScreenTime",
        _("Screen Time"),
        _("Get weekly reports about your screen time and set limits."),
        "12.0",
        secondary=_("Set Up Later in Settings"),
    ),
    Pane(
        "Diagnostics",
        _("Analytics"),
        _("Help Apple improve its products by sharing analytics data."),
        "7.0",
        button=_("Share with Apple"),
        secondary=_("Don't Share"),
    ),
    Pane(
        "Payment",
        _("Apple Pay"),
        _("Add a card to pay with your device."),
        "8.1",
        secondary=_("Set Up Later in Wallet"),
    ),
    Pane(
        "Intelligence",
        _("Apple Intelligence"),
        _("The personal intelligence system that helps you write and express yourself."),
        "18.0",
        needs=INTELLIGENCE,
        secondary=_("Set Up Later in Settings"),
    ),
    Pane(
        "ActionButton", _("Action Button"), _("Choose what the Action button does."), "17.0", families=IPHONE
    ),
    Pane(
        "CameraButton",
        _("Camera Control"),
        _("Open the camera quickly with Camera Control."),
        "18.0",
        families=IPHONE,
    ),
    Pane("Appearance", _("Appearance"), _("Choose a Light or Dark appearance."), "13.0"),
    Pane("Zoom", _("Display Zoom"), _("Choose a view for your device."), "8.3", until="17"),
    Pane(
        "DisplayTone",
        _("True Tone Display"),
        _("The display adapts to the ambient light."),
        "9.3.2",
        until="15",
    ),
    Pane("TermsOfAddress", _("Terms of Address"), _("Choose how you would like to be addressed."), "16.0"),
    Pane(
        "OnBoarding",
        _("Go Home"),
        _("Swipe up from the bottom to go to the Home Screen."),
        "11.0",
        until="14",
    ),
    Pane("AppStore", _("App Store"), _("Get apps and games on the App Store."), "14.3"),
    Pane(
        "WebContentFiltering",
        _("Web Content Filtering"),
        _("Limit adult content in Safari and apps."),
        "18.2",
    ),
    Pane(
        "SafetyAndHandling", _("Safety and Handling"), _("Important safety and handling information."), "18.4"
    ),
    Pane("Multitasking", _("Multitasking"), _("Work with several apps at once."), "26.0"),
    Pane("OSShowcase", _("What's New"), _("Discover what's new in this release."), "26.0"),
    Pane("Welcome", _("Welcome to iPad"), _("Swipe up to get started."), "13.0", button=_("Get Started")),
)
BY_KEY: Mapping[str, Pane] = {pane.key: pane for pane in PANES}


def _version(value: str) -> tuple[int, ...]:
    return tuple(int(part) for part in value.split("."))


def pane_applies(
    pane: Pane,
    *,
    os_version: str,
    family: str,
    language: str,
    capabilities: frozenset[str] = ALL_CAPABILITIES,
) -> bool:
    """Whether the device shows this pane at all: its OS range, family, hardware and language."""
    version = _version(os_version)
    if version < _version(pane.min_os) or (pane.until and version >= _version(pane.until)):
        return False
    if family not in pane.families or (pane.needs and pane.needs not in capabilities):
        return False
    return not (pane.key == "TermsOfAddress" and language not in TERMS_OF_ADDRESS_LANGUAGES)


def panes_after_activation(
    configuration: Mapping[str, Any] | None,
    *,
    os_version: str = OS_VERSION,
    family: str = "iPad",
    language: str = "en",
    capabilities: frozenset[str] = ALL_CAPABILITIES,
) -> list[str]:
    """The skip keys of the panes to show after Remote Management, in Apple's order.

    A Shared iPad (is_multi_user) skips every pane after activation whatever the profile says;
    otherwise the panes of `skip_setup_items` are hidden. Without a cloud configuration the
    device shows them all.
    """
    configuration = configuration or {}
    if configuration.get("is_multi_user") and family == "iPad":
        return []
    skipped = set(configuration.get("skip_setup_items") or ())
    return [
        pane.key
        for pane in PANES
        if pane.key not in skipped
        and pane_applies(
            pane, os_version=os_version, family=family, language=language, capabilities=capabilities
        )
    ]
