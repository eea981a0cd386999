"""The MDM enrollment profile an ADE device fetches at its DEP profile's `url`.

The device POSTs its MachineInfo plist, CMS-signed with its Apple device identity (Apple's
MachineInfo documentation). The portal verifies the signature, that the signer chains to the
trust anchor (`MDM_MACHINEINFO_TRUST_ANCHOR`, a PEM file of Apple's device CA chain; unset, the
mock Apple service's device CA, fetched over HTTP as mdm.identity does), and that the serial
number is a device of this tenant's token with an enrollment profile. The answer is a
`.mobileconfig` signed by the tenant's CA, typed `application/x-apple-aspen-config`, holding:
- `com.apple.security.root`: the tenant CA's certificate;
- `com.apple.security.scep`: the SCEP URL, a one-time challenge bound to this serial number,
  the subject, RSA 2048;
- `com.apple.mdm`: ServerURL, CheckInURL, Topic (the tenant's MDM push certificate's),
  IdentityCertificateUUID (the SCEP payload), SignMessage, AccessRights, CheckOutWhenRemoved,
  ServerCapabilities (per-user connections for a Shared iPad).

A device refused because no profile is assigned to it (and no default profile) is recorded
« Failed » (NO_PROFILE) on its row of the devices grid, as Intune does: « a synced device with no
profile that is powered on fails enrollment ».
"""

from __future__ import annotations

import plistlib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from cryptography import x509
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from asm_portal import clock, texts
from asm_portal.models import AuditEvent
from asm_portal.roles import Actor, require_change_permission
from asm_portal.services import audit_record
from asm_portal.tenancy import require_tenant
from devices.models import Device, EnrollmentState
from mdm import cms, identity, scep
from mdm.checkin import ProtocolRefused as ProfileRefused
from mdm.commands import MDM_PROFILE_IDENTIFIER, PLIST_ERRORS
from profiles.models import EnrollmentProfile
from tokens.models import EnrollmentProgramToken
from tokens.push_certificates import push_certificate_active

# Every right but none: inspect/install profiles, lock, erase, device and network information,
# provisioning profiles, apps, restrictions, security, settings, app management (as zentral).
ACCESS_RIGHTS = 8191
PER_USER_CONNECTIONS = "com.apple.mdm.per-user-connections"
ASPEN_CONFIG = "application/x-apple-aspen-config"


@dataclass(frozen=True)
class MachineInfo:
    udid: str
    serial_number: str
    product: str
    os_version: str
    build: str
    language: str


# --- MachineInfo ---------------------------------------------------------------------------------


@cache
def _anchor_file(path: str) -> tuple[x509.Certificate, ...]:
    return tuple(x509.load_pem_x509_certificates(Path(path).read_bytes()))


def trust_anchors() -> tuple[x509.Certificate, ...]:
    """The CAs a MachineInfo signer must chain to (the expired Apple iPhone Device CA included:
    validity dates are not checked, as real servers do not)."""
    if settings.MDM_MACHINEINFO_TRUST_ANCHOR:
        return _anchor_file(settings.MDM_MACHINEINFO_TRUST_ANCHOR)
    return (identity.apple_device_ca(),)


def _chains(signer: x509.Certificate, intermediates: list[x509.Certificate]) -> bool:
    anchors = trust_anchors()
    current, seen = signer, 0
    while seen <= len(intermediates):
        if any(scep.issued_by_authority(current, anchor) for anchor in anchors):
            return True
        parent = next(
            (each for each in intermediates if each != current and scep.issued_by_authority(current, each)),
            None,
        )
        if parent is None:
            return False
        current, seen = parent, seen + 1
    return False


def machine_info_verify(body: bytes) -> MachineInfo:
    """The MachineInfo of a signed body, or ProfileRefused(400)."""
    try:
        signed = cms.cms_verify(body)
    except cms.CmsError:
        raise ProfileRefused(400, _("The request is not a signed MachineInfo.")) from None
    if not _chains(signed.signer, signed.certificates):
        raise ProfileRefused(400, _("The MachineInfo is not signed by an Apple device identity."))
    try:
        info = plistlib.loads(signed.content)
    except PLIST_ERRORS:
        raise ProfileRefused(400, _("The MachineInfo is not a property list.")) from None
    if not isinstance(info, dict):
        raise ProfileRefused(400, _("The MachineInfo is not a property list."))

    def text(key: str, length: int) -> str:
        value = info.get(key, "")
        return value[:length] if isinstance(value, str) else ""

    machine = MachineInfo(
        udid=text("UDID", 64),
        serial_number=text("SERIAL", 32),
        product=text("PRODUCT", 32),
        os_version=text("OS_VERSION", 16),
        build=text("VERSION", 16),
        language=text("LANGUAGE", 16),
    )
    if not machine.udid or not machine.serial_number:
        raise ProfileRefused(400, _("The MachineInfo has no UDID or serial number."))
    return machine


# --- The profile ------------------------------------------------------------------------------------


def _url(name: str, **kwargs: Any) -> str:
    return f"{settings.PORTAL_BASE_URL}{reverse(name, kwargs=kwargs)}"


def server_url() -> str:
    """ServerURL of the com.apple.mdm payload: where the device runs its commands."""
    return _url("enroll:mdm_connect")


def checkin_url() -> str:
    """CheckInURL: Authenticate, TokenUpdate, CheckOut."""
    return _url("enroll:mdm_checkin")


def _payload(payload_type: str, identifier: str, name: str, **keys: Any) -> dict[str, Any]:
    return {
        "PayloadType": payload_type,
        "PayloadVersion": 1,
        "PayloadIdentifier": identifier,
        "PayloadUUID": str(uuid.uuid4()).upper(),
        "PayloadDisplayName": name,
        **keys,
    }


class NoProfileRefused(ProfileRefused):
    """The device exists but has no enrollment profile: refused (403), the device named."""

    def __init__(self, device: Device) -> None:
        super().__init__(403, _("No enrollment profile is assigned to this device."))
        self.device = device


def enrollment_profile_device(*, token_id: int, serial_number: str) -> tuple[Device, EnrollmentProfile]:
    """The device of this token with that serial number and the profile it enrolls with, or
    ProfileRefused(403)."""
    token = EnrollmentProgramToken.objects.filter(pk=token_id).first()
    if token is None:
        raise ProfileRefused(404, _("This enrollment URL is not an enrollment program token's."))
    if token.expires_at <= clock.now():
        raise ProfileRefused(403, _("The organisation's enrollment program token has expired."))
    device = (
        Device.objects.filter(token=token, serial_number=serial_number, removed_by_apple=False)
        .select_related("assigned_profile")
        .first()
    )
    if device is None:
        raise ProfileRefused(403, _("This device is not an enrollment program device of the organisation."))
    profile = device.assigned_profile
    if profile is None and device.apple_profile_uuid:
        profile = EnrollmentProfile.objects.filter(
            token=token, is_default=True, apple_profile_uuid=device.apple_profile_uuid
        ).first()
    if profile is None:
        raise NoProfileRefused(device)
    return device, profile


def _push_topic() -> str:
    push = push_certificate_active()
    if push is None or not push.topic:
        raise ProfileRefused(
            503,
            _(
                "The organisation's Apple MDM Push certificate is missing or expired: enrollment is not possible."
            ),
        )
    return push.topic


def _profile_document(
    *, token_id: int, profile: EnrollmentProfile, topic: str, challenge: str, serial_number: str
) -> dict[str, Any]:
    """The unsigned .mobileconfig: the tenant CA, the SCEP payload with `challenge` (its subject
    names `serial_number` when the profile is one device's), the MDM payload."""
    tenant = require_tenant()
    authority = scep.authority_get()
    subject = [[["CN", f"{tenant.display_name} MDM identity"]], [["O", tenant.display_name]]]
    if serial_number:
        subject.append([["2.5.4.5", serial_number]])
    scep_payload = _payload(
        "com.apple.security.scep",
        f"{MDM_PROFILE_IDENTIFIER}.scep",
        _("Device identity"),
        PayloadContent={
            "URL": _url("enroll:scep", token_id=token_id),
            "Name": f"{tenant.display_name} MDM CA",
            "Subject": subject,
            "Challenge": challenge,
            "Keysize": 2048,
            "Key Type": "RSA",
            "Key Usage": 5,  # signing and encryption
        },
    )
    capabilities = [PER_USER_CONNECTIONS] if profile.shared_ipad else []
    mdm_payload = _payload(
        "com.apple.mdm",
        f"{MDM_PROFILE_IDENTIFIER}.mdm",
        _("Mobile device management"),
        ServerURL=server_url(),
        CheckInURL=checkin_url(),
        Topic=topic,
        IdentityCertificateUUID=scep_payload["PayloadUUID"],
        SignMessage=True,
        AccessRights=ACCESS_RIGHTS,
        CheckOutWhenRemoved=True,
        ServerCapabilities=capabilities,
    )
    root_payload = _payload(
        "com.apple.security.root",
        f"{MDM_PROFILE_IDENTIFIER}.ca",
        _("Certificate authority"),
        PayloadContent=authority.der,
        PayloadCertificateFileName="mdm-ca.cer",
    )
    return {
        "PayloadType": "Configuration",
        "PayloadVersion": 1,
        "PayloadIdentifier": MDM_PROFILE_IDENTIFIER,
        "PayloadUUID": str(uuid.uuid4()).upper(),
        "PayloadDisplayName": _("Management Profile"),
        "PayloadDescription": _("Allows %(organisation)s to manage this device.")
        % {"organisation": tenant.display_name},
        "PayloadOrganization": tenant.display_name,
        "PayloadRemovalDisallowed": profile.locked_enrollment,
        "PayloadContent": [root_payload, scep_payload, mdm_payload],
    }


def enrollment_profile_build(*, token_id: int, serial_number: str) -> dict[str, Any]:
    """The unsigned .mobileconfig for the device `serial_number` of the token (a new SCEP
    challenge each time, bound to that device)."""
    device, profile = enrollment_profile_device(token_id=token_id, serial_number=serial_number)
    topic = _push_topic()
    challenge = scep.scep_challenge_issue(serial_number=device.serial_number)
    return _profile_document(
        token_id=token_id,
        profile=profile,
        topic=topic,
        challenge=challenge,
        serial_number=device.serial_number,
    )


def _signed(document: dict[str, Any]) -> bytes:
    authority = scep.authority_get()
    return cms.cms_sign(
        content=plistlib.dumps(document), certificate=authority.certificate, key=authority.key
    )


def enrollment_profile_signed(*, token_id: int, serial_number: str) -> bytes:
    """The profile as the device receives it: XML plist in a CMS SignedData by the tenant CA."""
    return _signed(enrollment_profile_build(token_id=token_id, serial_number=serial_number))


# Intune's direct enrollment: "An enrollment profile file is only valid for two weeks".
EXPORT_VALIDITY = timedelta(days=14)


def enrollment_profile_export_document(*, actor: Actor, profile: EnrollmentProfile) -> dict[str, Any]:
    """*Export profile* (Intune's direct enrollment, for Apple Configurator or a device outside
    Automated Device Enrollment): the .mobileconfig with its own SCEP challenge, valid two weeks
    and bound to no serial number — the device it enrolls is the one that first uses it (one
    device per export: the challenge works once). Administrators only (the file enrolls a device
    into the tenant); audited. Unsigned: the blade signs it, Graph returns it as a string."""
    require_change_permission(actor)
    topic = _push_topic()
    challenge = scep.scep_challenge_issue(serial_number="", lifetime=EXPORT_VALIDITY)
    document = _profile_document(
        token_id=profile.token_id, profile=profile, topic=topic, challenge=challenge, serial_number=""
    )
    audit_record(
        actor=actor,
        category=AuditEvent.Category.ENROLLMENT,
        action=gettext_noop("Export enrollment profile"),
        target=profile,
        details={"valid_until": (clock.now() + EXPORT_VALIDITY).isoformat()},
    )
    return document


def enrollment_profile_export(*, actor: Actor, profile: EnrollmentProfile) -> bytes:
    """*Export profile* › *Download profile*: the exported profile signed by the tenant CA."""
    return _signed(enrollment_profile_export_document(actor=actor, profile=profile))


def enrollment_profile_for_machine(*, token_id: int, body: bytes) -> bytes:
    """POST {DEP profile url} with a signed MachineInfo: the signed enrollment profile."""
    machine = machine_info_verify(body)
    try:
        signed = enrollment_profile_signed(token_id=token_id, serial_number=machine.serial_number)
    except NoProfileRefused as refused:
        enrollment_failed(refused.device, machine=machine, code="NO_PROFILE")
        raise
    # Enrolled without Setup Assistant's sign-in: no user until the Company Portal binds one
    # (a previous enrollment's user does not carry over).
    Device.objects.filter(token_id=token_id, serial_number=machine.serial_number).update(
        enrolled_user_name=""
    )
    return signed


def enrollment_failed(device: Device, *, machine: MachineInfo, code: str) -> None:
    """Record a refused enrollment on the device (the grid and its blade show it « Failed » with
    the reason), audited with the device as the actor. Committed at once: the device is answered
    a refusal, and the record must outlive it."""
    now = clock.now()
    with transaction.atomic():
        Device.objects.filter(pk=device.pk).update(
            enrollment_state=EnrollmentState.FAILED,
            enrollment_error=code,
            last_contacted_at=now,
            udid=machine.udid,
            updated_at=now,
        )
        audit_record(
            actor=None,
            actor_name=texts.gettext("%(serial)s (device)", serial=machine.serial_number),
            category=AuditEvent.Category.ENROLLMENT,
            action=gettext_noop("Enroll device"),
            target=device,
            result=AuditEvent.Result.FAILURE,
            details={"code": code, "serial_number": device.serial_number},
        )
