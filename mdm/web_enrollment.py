"""Setup Assistant with modern authentication: the web view at the DEP profile's
`configuration_web_url` (Apple's "Authenticating through web views").

The device GETs the page with the `x-apple-aspen-deviceinfo` header: the base64 of its
CMS-signed MachineInfo, verified exactly as the MachineInfo POSTed to the profile's `url`
(mdm.enrollment_profile.machine_info_verify: the signer chains to Apple's device CA). The user
signs in with their directory (Entra ID) account; the answer to that sign-in is the enrollment
profile itself, typed `application/x-apple-aspen-config`, from the same host — Setup Assistant
installs it and goes on. The user who signed in becomes the device's user (user affinity): the
check-in's Authenticate carries it over to the managed device (mdm.checkin).

The header comes with the first GET only; the form carries the verified device on to the POST in
a signed, expiring value (`device`), so a POST alone proves nothing a MachineInfo did not.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from asm_portal.models import AuditEvent
from asm_portal.services import audit_record
from devices.models import Device
from mdm.checkin import ProtocolRefused
from mdm.enrollment_profile import enrollment_profile_device, enrollment_profile_signed, machine_info_verify
from mdm.models import DirectoryUser
from profiles.choices import Affinity, AuthMethod
from profiles.models import EnrollmentProfile

DEVICEINFO_HEADER = "x-apple-aspen-deviceinfo"
_SALT = "mdm.web_enrollment.device"
# A signed MachineInfo with its certificate chain is a few kilobytes; base64 adds a third.
_MAX_HEADER_CHARS = 32 * 1024


@dataclass(frozen=True)
class WebEnrollmentDevice:
    """The device a web view enrolls (verified from its MachineInfo)."""

    token_id: int
    serial_number: str
    udid: str
    language: str


def needs_setup_assistant_user(profile: EnrollmentProfile) -> bool:
    """User affinity authenticated in Setup Assistant (legacy or modern). A Shared iPad is
    nobody's: its users sign in with Managed Apple IDs at its login window, after enrollment."""
    return (
        profile.user_affinity == Affinity.WITH
        and not profile.shared_ipad
        and profile.authentication_method != AuthMethod.COMPANY_PORTAL
    )


def web_enrollment_device(*, token_id: int, header: str) -> WebEnrollmentDevice:
    """The device whose `x-apple-aspen-deviceinfo` header this is, if its MachineInfo verifies
    and it is a device of the token with an enrollment profile; ProtocolRefused otherwise."""
    value = header.strip()
    if not value:
        raise ProtocolRefused(
            400, _("This page opens only in Setup Assistant: the device did not identify itself.")
        )
    if len(value) > _MAX_HEADER_CHARS:
        raise ProtocolRefused(400, _("The device information cannot be read."))
    try:
        # Standard base64 as Apple sends it; the URL-safe alphabet is read too (Fleet's client).
        der = base64.b64decode(value.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolRefused(400, _("The device information cannot be read.")) from None
    machine = machine_info_verify(der)
    enrollment_profile_device(token_id=token_id, serial_number=machine.serial_number)
    return WebEnrollmentDevice(
        token_id=token_id, serial_number=machine.serial_number, udid=machine.udid, language=machine.language
    )


def web_enrollment_device_sign(device: WebEnrollmentDevice) -> str:
    return signing.dumps(
        {
            "token_id": device.token_id,
            "serial": device.serial_number,
            "udid": device.udid,
            "language": device.language,
        },
        salt=_SALT,
    )


def web_enrollment_device_load(value: str, *, token_id: int) -> WebEnrollmentDevice:
    """The device the sign-in form was shown to, if the form's value is the portal's, recent
    (ENROLLMENT_TICKET_MAX_AGE_SECONDS) and for this token."""
    try:
        data = signing.loads(value[:4096], salt=_SALT, max_age=settings.ENROLLMENT_TICKET_MAX_AGE_SECONDS)
    except signing.BadSignature:  # SignatureExpired is one
        data = None
    if not isinstance(data, dict) or data.get("token_id") != token_id:
        raise ProtocolRefused(
            400, _("This sign-in page has expired. Go back to Remote Management and try again.")
        )
    return WebEnrollmentDevice(
        token_id=token_id,
        serial_number=str(data.get("serial", "")),
        udid=str(data.get("udid", "")),
        language=str(data.get("language", "")),
    )


def web_enrollment_profile(*, device: WebEnrollmentDevice, user: DirectoryUser) -> bytes:
    """The signed enrollment profile for the device, the user who signed in recorded as its
    user when its enrollment profile has user affinity (Authenticate makes it the managed
    device's). Nothing is recorded if the profile cannot be made (ProtocolRefused)."""
    with transaction.atomic():
        asm_device, profile = enrollment_profile_device(
            token_id=device.token_id, serial_number=device.serial_number
        )
        signed = enrollment_profile_signed(token_id=device.token_id, serial_number=device.serial_number)
        upn = user.upn if needs_setup_assistant_user(profile) else ""
        Device.objects.filter(pk=asm_device.pk).update(enrolled_user_name=upn)
        audit_record(
            actor=None,
            actor_name=user.upn,
            category=AuditEvent.Category.ENROLLMENT,
            action=gettext_noop("Sign in to enroll device"),
            target=asm_device,
            details={"user": user.upn, "udid": device.udid, "profile": profile.name},
        )
    return signed
