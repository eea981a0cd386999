"""Final configuration: what the portal installs on a device after it enrolls (the Celery task's
body, mdm.tasks.device_configure_task). Await final configuration holds the device until then."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_noop

from asm_portal import clock
from asm_portal.models import AuditEvent
from asm_portal.services import audit_record
from devices.models import ENROLLED_STATES, Device
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


def device_configuration_install(*, device_id: int) -> bool:
    """Install the device's configuration once after it enrolls; False if nothing was to do
    (the device was erased or re-enrolled meanwhile, or it is already configured)."""
    with transaction.atomic():
        device = (
            Device.objects.select_for_update(of=("self",))
            .select_related("enrolled_profile")
            .filter(pk=device_id)
            .first()
        )
        if device is None or device.enrollment_state not in ENROLLED_STATES or device.configured_at:
            return False
        device.configuration = configuration_for(device.enrolled_profile)
        device.configured_at = clock.now()
        device.save(update_fields=["configuration", "configured_at"])
        audit_record(
            actor=None,
            category=AuditEvent.Category.ENROLLMENT,
            action=gettext_noop("Install device configuration"),
            target=device,
            details={"configuration": device.configuration},
        )
    return True
