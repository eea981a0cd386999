"""What the device blade says about an enrollment: the words for the error codes and the
configuration items that the device-facing server (the mdm app) records on a Device."""

from __future__ import annotations

from django.utils.translation import gettext as _


def error_messages() -> dict[str, str]:
    """What each enrollment error code means, for the device blade (translated when shown)."""
    return {
        "NO_PROFILE": _(
            "The device has no enrollment profile. A device with no profile that is powered on fails "
            "enrollment: assign a profile (or set a default profile), then erase the device."
        ),
        "PROFILE_CHANGED": _(
            "The device runs the configuration of another profile than the one now assigned. "
            "Erase the device (Erase All Content and Settings) so that it enrolls with the new profile."
        ),
        "AUTHENTICATION_REQUIRED": _("The profile enrolls with user affinity: the user must sign in."),
    }


def configuration_labels() -> dict[str, str]:
    return {
        "compliance": _("Compliance policy (passcode)"),
        "restrictions": _("Device restrictions"),
        "locked_enrollment": _("Locked enrollment"),
        "device_name": _("Device name"),
        "shared_ipad": _("Shared iPad"),
        "company_portal": _("Company Portal app"),
    }
