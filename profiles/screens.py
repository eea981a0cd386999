"""The Setup Assistant screens an enrollment profile can hide.

Each screen pairs Intune's label with Apple's skip key (what `skip_setup_items` carries) and the
Graph property of `depIOSEnrollmentProfile` when one exists. The first ten are the ten options
of the 2017 article; the rest are today's Intune list, in Intune's order.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Screen:
    key: str  # Apple's skip key
    label: str | Promise
    description: str | Promise
    graph_flag: str | None  # depIOSEnrollmentProfile boolean, None when only in enabledSkipKeys
    min_os: str
    in_2017_article: bool = False
    deprecated_in: str | None = None


SCREENS: tuple[Screen, ...] = (
    Screen("Passcode", _("Passcode"), _("Prompts the user for a passcode."), "passCodeDisabled", "7.0", True),
    Screen(
        "Location",
        _("Location Services"),
        _("Prompts the user to turn on Location Services."),
        "locationDisabled",
        "7.0",
        True,
    ),
    Screen(
        "Restore",
        _("Restore"),
        _("Shows the Apps & Data screen: restore or transfer data from an iCloud backup."),
        "restoreBlocked",
        "7.0",
        True,
    ),
    Screen(
        "AppleID",
        _("Apple ID"),
        _("Prompts the user to sign in with an Apple ID and iCloud."),
        "appleIdDisabled",
        "7.0",
        True,
    ),
    Screen(
        "TOS",
        _("Terms and conditions"),
        _("Asks the user to accept Apple's terms and conditions."),
        "termsAndConditionsDisabled",
        "7.0",
        True,
    ),
    Screen(
        "Biometric",
        _("Touch ID and Face ID"),
        _("Prompts the user to set up fingerprint or facial identification."),
        "touchIdDisabled",
        "8.1",
        True,
    ),
    Screen(
        "Payment", _("Apple Pay"), _("Prompts the user to set up Apple Pay."), "applePayDisabled", "7.0", True
    ),
    Screen(
        "Zoom",
        _("Zoom"),
        _("Prompts the user to choose the display zoom."),
        "zoomDisabled",
        "8.3",
        True,
        deprecated_in="17",
    ),
    Screen("Siri", _("Siri"), _("Prompts the user to set up Siri."), "siriDisabled", "7.0", True),
    Screen(
        "Diagnostics",
        _("Diagnostics Data"),
        _("Asks the user whether to share diagnostic data with Apple."),
        "diagnosticsDisabled",
        "7.0",
        True,
    ),
    Screen(
        "DisplayTone",
        _("Display Tone"),
        _("Prompts the user to turn on True Tone."),
        "displayToneSetupDisabled",
        "9.3.2",
        deprecated_in="15",
    ),
    Screen(
        "Privacy", _("Privacy"), _("Shows the privacy information screen."), "privacyPaneDisabled", "11.3"
    ),
    Screen(
        "Android",
        _("Android Migration"),
        _("Offers to move data from an Android device."),
        "restoreFromAndroidDisabled",
        "9.0",
    ),
    Screen(
        "iMessageAndFaceTime",
        _("iMessage & FaceTime"),
        _("Prompts the user to set up iMessage and FaceTime."),
        "iMessageAndFaceTimeScreenDisabled",
        "9.0",
    ),
    Screen(
        "OnBoarding",
        _("Onboarding"),
        _("Shows onboarding tips (Go Home, Cover Sheet, Multitasking & Control Center)."),
        "onBoardingScreenDisabled",
        "11.0",
        deprecated_in="14",
    ),
    Screen(
        "ScreenTime",
        _("Screen Time"),
        _("Prompts the user to set up Screen Time."),
        "screenTimeScreenDisabled",
        "12.0",
    ),
    Screen(
        "SIMSetup",
        _("SIM Setup"),
        _("Offers to add a cellular plan (hiding it also blocks automatic eSIM activation)."),
        "simSetupScreenDisabled",
        "12.0",
    ),
    Screen(
        "SoftwareUpdate",
        _("Software Update"),
        _("Shows the mandatory software update screen."),
        "softwareUpdateScreenDisabled",
        "12.0",
    ),
    Screen(
        "WatchMigration",
        _("Watch Migration"),
        _("Offers to move data from an Apple Watch."),
        "watchMigrationScreenDisabled",
        "11.0",
    ),
    Screen(
        "Appearance",
        _("Appearance"),
        _("Asks the user to choose Light or Dark mode."),
        "appearanceScreenDisabled",
        "13.0",
    ),
    Screen(
        "DeviceToDeviceMigration",
        _("Device to Device Migration"),
        _("Offers to transfer data directly from an old device."),
        "deviceToDeviceMigrationDisabled",
        "12.4",
    ),
    Screen(
        "RestoreCompleted",
        _("Restore Completed"),
        _("Shown after a restore from a backup."),
        "restoreCompletedScreenDisabled",
        "14.0",
    ),
    Screen(
        "UpdateCompleted",
        _("Software Update Completed"),
        _("Shown after a software update."),
        "updateCompleteScreenDisabled",
        "14.0",
    ),
    Screen(
        "Welcome",
        _("Get Started"),
        _("Shows the Get Started welcome screen."),
        "welcomeScreenDisabled",
        "13.0",
    ),
    Screen(
        "TermsOfAddress",
        _("Terms of Address"),
        _("Asks how the user wants to be addressed (some languages)."),
        None,
        "16.0",
    ),
    Screen("Safety", _("Emergency SOS"), _("Shows the Emergency SOS safety screen."), None, "16.0"),
    Screen("ActionButton", _("Action button"), _("Offers to set up the Action button."), None, "17.0"),
    Screen("Intelligence", _("Intelligence"), _("Offers to set up Apple Intelligence."), None, "18.0"),
    Screen(
        "CameraButton", _("Camera button"), _("Offers to set up the Camera Control button."), None, "18.0"
    ),
    Screen(
        "WebContentFiltering",
        _("Web content filtering"),
        _("Asks about web content filtering."),
        None,
        "18.2",
    ),
    Screen("AppStore", _("App Store"), _("Shows the App Store introduction screen."), None, "14.3"),
    Screen(
        "SafetyAndHandling",
        _("Safety and handling"),
        _("Shows the safety and handling information."),
        None,
        "18.4",
    ),
    Screen("Multitasking", _("Multitasking"), _("Shows the multitasking introduction."), None, "26.0"),
    Screen("OSShowcase", _("OS Showcase"), _("Shows what is new in the operating system."), None, "26.0"),
)

BY_KEY = {screen.key: screen for screen in SCREENS}
ARTICLE_2017 = tuple(screen for screen in SCREENS if screen.in_2017_article)
ALL_KEYS = frozenset(BY_KEY)
