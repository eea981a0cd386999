"""Final configuration: what the portal installs on a device after it enrolls (mdm.checkin's
final_configuration_enqueue: InstallProfile, then DeviceConfigured when the device awaits it)."""

from __future__ import annotations

from profiles.choices import Affinity
from profiles.models import EnrollmentProfile

# The PayloadIdentifier of the device configuration profile the portal installs after enrollment.
CONFIGURATION_PROFILE_IDENTIFIER = "com.microsoft.intune.mdm.configuration"


def has_company_portal(profile: EnrollmentProfile) -> bool:
    """The Company Portal app needs user affinity (the article) and a user: not a Shared iPad."""
    return profile.user_affinity == Affinity.WITH and not profile.shared_ipad


def configuration_for(profile: EnrollmentProfile | None) -> list[str]:
    """The configuration the portal installs on a device of this profile (policy keys, shown on
    the device blade): Await final configuration holds the device until it is in place."""
    items = ["compliance", "restrictions"]
    if profile is not None:
        if profile.locked_enrollment:
            items.append("locked_enrollment")
        if profile.apply_device_name_template:
            items.append("device_name")
        if profile.shared_ipad:
            items.append("shared_ipad")
        if has_company_portal(profile) and profile.install_company_portal:
            items.append("company_portal")
    return items
