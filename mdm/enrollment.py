"""The device name an enrollment profile gives (the article's one exception to « profile changes
need a reset »: the name template applies at enrollment and again afterwards). The enrollment
itself is Apple's MDM protocol: mdm.enrollment_profile (the profile at the DEP profile's url),
mdm.web_enrollment (modern authentication), mdm.scep and mdm.checkin."""

from __future__ import annotations

from devices.models import Device
from profiles.models import EnrollmentProfile
from profiles.rules import render_device_name


def device_type(device: Device, claims_model: str = "") -> str:
    """{{DEVICETYPE}}: the device family Apple reports (iPad), else the first word of the model."""
    return device.device_family or (claims_model.split(" ")[0] if claims_model else "") or "iPad"


def device_name_for(profile: EnrollmentProfile | None, device: Device) -> str:
    """The name template's result, or '' when the profile applies none."""
    if profile is None or not profile.apply_device_name_template or not profile.device_name_template:
        return ""
    return render_device_name(
        profile.device_name_template, serial=device.serial_number, device_type=device_type(device)
    )[:255]
