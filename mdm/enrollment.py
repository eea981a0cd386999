"""Enrollment of devices at the portal (Intune's MDM side): the rules of the article.

A device that Apple's activation gave a cloud configuration sends its enrollment here, to the
profile's `url` (`/enroll/<token_id>/`); then it checks in (await final configuration, device
name, apps) and says when it was erased. Every request is authenticated by the device's
certificate (mdm.identity) before anything here runs. The rules, in the order they apply:

- the token must exist and be active; the serial number must be a device of the token;
- a device without a profile cannot enroll: it is recorded `failed` (the docs: « a synced device
  with no profile that is powered on fails enrollment »);
- a device that runs another configuration than the profile now assigned (it was activated
  before the change) must be erased first: it is recorded `pendingReset` (« Reset required »);
- user affinity with Setup Assistant authentication needs the ticket of the sign-in page;
  with the Company Portal the device enrolls userless and the app binds the user later;
- the device-name template applies at enrollment and again at every check-in (the article's
  one exception to « profile changes need a reset »).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from asm_portal import clock
from asm_portal.models import AuditEvent
from asm_portal.refusals import Message, Refusal
from asm_portal.services import audit_record
from devices.enrollment_labels import error_messages
from devices.models import ENROLLED_STATES, Device, EnrollmentState
from mdm.company_portal import home_screen_app
from mdm.configuration import has_company_portal
from mdm.directory import directory_user_find
from mdm.identity import DeviceIdentity
from mdm.models import DeviceAppInstall, DirectoryUser
from mdm.tasks import device_configure_enqueue
from profiles.choices import Affinity, AuthMethod
from profiles.models import EnrollmentProfile
from profiles.rules import render_device_name
from profiles.services import configuration_web_url
from tokens.models import EnrollmentProgramToken

TICKET_SALT = "devices.enrollment.ticket"


class EnrollmentRefused(Refusal):
    """A device request the rules refuse: an HTTP status, a code for the device, a message."""

    def __init__(self, status: int, code: str, message: Message, **extra: Any) -> None:
        super().__init__(message, code=code)
        self.status = status
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), **self.extra}


# --- The device's claims ----------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceClaims:
    """What the device says in its request body (trusted only once its identity is verified)."""

    serial_number: str
    udid: str
    raw: dict[str, Any]

    def text(self, name: str, limit: int = 100) -> str:
        value = self.raw.get(name)
        return value[:limit] if isinstance(value, str) else ""

    @property
    def language(self) -> str:
        return self.text("language", 16)


def device_claims(body: bytes) -> DeviceClaims:
    """The JSON body of a device request, with its serial number and UDID."""
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise EnrollmentRefused(400, "BAD_REQUEST", _("The request body is not JSON.")) from None
    if not isinstance(raw, dict):
        raise EnrollmentRefused(400, "BAD_REQUEST", _("The request body must be a JSON object."))
    serial, udid = raw.get("serial_number"), raw.get("udid")
    if not isinstance(serial, str) or not serial or not isinstance(udid, str) or not udid:
        raise EnrollmentRefused(400, "BAD_REQUEST", _("The request must give serial_number and udid."))
    return DeviceClaims(serial_number=serial, udid=udid, raw=raw)


# --- Ticket of the sign-in page (contract §4) --------------------------------------------------


def enrollment_ticket_issue(*, serial: str, upn: str, token_id: int) -> str:
    return signing.dumps({"serial": serial, "upn": upn, "token_id": token_id}, salt=TICKET_SALT)


def enrollment_ticket_user(ticket: Any, *, serial: str, token_id: int) -> DirectoryUser | None:
    """The directory user a ticket names, if it was issued for this device and token, is not
    older than ENROLLMENT_TICKET_MAX_AGE_SECONDS and the user is still enabled."""
    if not isinstance(ticket, str) or not ticket:
        return None
    try:
        data = signing.loads(ticket, salt=TICKET_SALT, max_age=settings.ENROLLMENT_TICKET_MAX_AGE_SECONDS)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    if not isinstance(data, dict) or data.get("serial") != serial or data.get("token_id") != token_id:
        return None
    return directory_user_find(str(data.get("upn", "")))


# --- Rules ---------------------------------------------------------------------------------


def checkin_url(token: EnrollmentProgramToken) -> str:
    return f"{settings.PORTAL_BASE_URL}{reverse('enroll:checkin', kwargs={'token_id': token.pk})}"


def needs_setup_assistant_user(profile: EnrollmentProfile) -> bool:
    """User affinity authenticated in Setup Assistant (legacy or modern). A Shared iPad is
    nobody's: its users sign in with Managed Apple IDs at its login window, after enrollment."""
    return (
        profile.user_affinity == Affinity.WITH
        and not profile.shared_ipad
        and profile.authentication_method != AuthMethod.COMPANY_PORTAL
    )


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


def _token(token_id: int) -> EnrollmentProgramToken:
    token = EnrollmentProgramToken.objects.all().filter(pk=token_id).first()
    if token is None:
        raise EnrollmentRefused(
            404, "TOKEN_NOT_FOUND", _("This enrollment URL is not an enrollment program token's.")
        )
    if token.expires_at <= clock.now():
        raise EnrollmentRefused(
            403, "TOKEN_INACTIVE", _("The organisation's enrollment program token has expired.")
        )
    return token


def _device(token: EnrollmentProgramToken, serial: str) -> Device:
    device = (
        Device.objects.select_for_update(of=("self",))
        .filter(token=token, serial_number=serial, removed_by_apple=False)
        .select_related("assigned_profile", "enrolled_profile")
        .first()
    )
    if device is None:
        raise EnrollmentRefused(
            403, "DEVICE_NOT_FOUND", _("This device is not an enrollment program device of the organisation.")
        )
    return device


def _audit_as_device(
    identity: DeviceIdentity,
    device: Device,
    action: str,
    details: dict[str, Any],
    result: str = AuditEvent.Result.SUCCESS,
) -> None:
    """The audit log of a device's request: the device itself is the actor."""
    audit_record(
        actor=None,
        actor_name=f"{identity.serial_number} (device)",
        category=AuditEvent.Category.ENROLLMENT,
        action=action,
        target=device,
        result=result,
        details=details,
    )


def _fail(device: Device, identity: DeviceIdentity, state: str, code: str, status: int) -> EnrollmentRefused:
    """Record the failed attempt on the device (the grid shows it), audited; what to answer."""
    now = clock.now()
    device.enrollment_state = state
    device.enrollment_error = code
    device.last_contacted_at = now
    device.udid = identity.udid
    device.updated_at = now
    device.save(
        update_fields=["enrollment_state", "enrollment_error", "last_contacted_at", "udid", "updated_at"]
    )
    _audit_as_device(
        identity,
        device,
        gettext_noop("Enroll device"),
        {"code": code, "serial_number": device.serial_number},
        result=AuditEvent.Result.FAILURE,
    )
    return EnrollmentRefused(status, code, error_messages()[code])


def _profile_for(device: Device, profile_uuid: Any) -> EnrollmentProfile | None:
    """The portal profile the device enrolls with: its own, or (only if Apple gave it that one)
    the token's default profile."""
    if device.assigned_profile is not None:
        return device.assigned_profile
    if not profile_uuid:
        return None
    return EnrollmentProfile.objects.filter(
        token_id=device.token_id, is_default=True, apple_profile_uuid=profile_uuid
    ).first()


def _enrollment_forget(device: Device, *, now: datetime) -> None:
    """Reset the device's state of its previous enrollment (apps, user, profile, configuration):
    an erase, or a new enrollment that overwrites it. The caller sets the new state and saves."""
    DeviceAppInstall.objects.filter(device=device).delete()
    device.enrollment_error = ""
    device.enrolled_user_name = ""
    device.enrolled_profile = None
    device.configured_at = None
    device.configuration = None
    device.last_contacted_at = now
    device.updated_at = now


def device_enroll(*, token_id: int, identity: DeviceIdentity, claims: DeviceClaims) -> dict[str, Any]:
    """POST /enroll/<token_id>/ (contract §3): the enrollment, or EnrollmentRefused."""
    token = _token(token_id)
    refusal: EnrollmentRefused | None = None
    with transaction.atomic():
        device = _device(token, identity.serial_number)
        profile_uuid = claims.raw.get("profile_uuid")
        profile = _profile_for(device, profile_uuid)
        if profile is None or not profile_uuid:
            refusal = _fail(device, identity, EnrollmentState.FAILED, "NO_PROFILE", 403)
        elif profile_uuid not in {profile.apple_profile_uuid, device.apple_profile_uuid} - {""}:
            # Activated with an older configuration: only an erase brings the new one.
            refusal = _fail(device, identity, EnrollmentState.PENDING_RESET, "PROFILE_CHANGED", 409)
        else:
            return _enroll(device, profile, token, identity, claims)
    raise refusal


def _enroll(
    device: Device,
    profile: EnrollmentProfile,
    token: EnrollmentProgramToken,
    identity: DeviceIdentity,
    claims: DeviceClaims,
) -> dict[str, Any]:
    user: DirectoryUser | None = None
    if needs_setup_assistant_user(profile):
        given = claims.raw.get("user")
        if not isinstance(given, dict):
            given = {}
        user = enrollment_ticket_user(given.get("ticket"), serial=device.serial_number, token_id=token.pk)
        claimed_upn = given.get("upn")
        if user is None or (claimed_upn and str(claimed_upn).lower() != user.upn.lower()):
            raise EnrollmentRefused(
                403,
                "AUTHENTICATION_REQUIRED",
                error_messages()["AUTHENTICATION_REQUIRED"],
                authenticate_url=configuration_web_url(token),
            )
    now = clock.now()
    name = device_name_for(profile, device)
    # Re-enrolling after an erase overwrites the previous enrollment, apps included.
    _enrollment_forget(device, now=now)
    device.enrollment_state = EnrollmentState.ENROLLED
    device.enrolled_user_name = user.upn if user else ""
    device.enrolled_profile = profile
    device.assigned_profile = profile  # the default profile, when Apple gave it that one
    device.device_name = name or device_type(device, claims.text("model"))
    device.udid = identity.udid
    device.product = claims.text("product", 32)
    device.os_version = claims.text("os_version", 16)
    device.enrolled_at = now
    device.save()
    _audit_as_device(
        identity,
        device,
        gettext_noop("Enroll device"),
        {"profile": profile.name, "user": device.enrolled_user_name, "device_name": device.device_name},
    )
    transaction.on_commit(lambda: device_configure_enqueue(device_id=device.pk))
    return {
        "status": "enrolled",
        "device_name": name,
        "managed_by": token.org_name or token.token_name,
        "supervised": profile.supervised,
        "removable": not profile.locked_enrollment,
        "await_configuration": profile.await_final_configuration,
        "checkin_url": checkin_url(token),
        "user": {"upn": user.upn, "display_name": user.display_name} if user else None,
        "company_portal": has_company_portal(profile),
    }


# --- Check-in and erase ------------------------------------------------------------------------


def _enrolled_device(token_id: int, identity: DeviceIdentity) -> Device:
    device = _device(_token(token_id), identity.serial_number)
    if device.enrollment_state not in ENROLLED_STATES or device.udid != identity.udid:
        raise _not_enrolled()
    return device


def _not_enrolled() -> EnrollmentRefused:
    return EnrollmentRefused(
        403, "DEVICE_NOT_ENROLLED", _("This device is not enrolled. Erase it and set it up again.")
    )


def device_checkin(*, token_id: int, identity: DeviceIdentity) -> dict[str, Any]:
    """POST /enroll/<token_id>/checkin/ (contract §5)."""
    with transaction.atomic():
        device = _enrolled_device(token_id, identity)
        profile = device.enrolled_profile
        # The name template applies at each check-in, even after the profile was edited.
        name = device_name_for(profile, device)
        device.device_name = name or device.device_name
        device.last_contacted_at = clock.now()
        device.save(update_fields=["device_name", "last_contacted_at"])
        apps = list(DeviceAppInstall.objects.filter(device=device).values_list("bundle_id", "name"))
    return {
        "await_configuration": bool(
            profile and profile.await_final_configuration and not device.configured_at
        ),
        "device_name": device.device_name,
        "apps": [home_screen_app(bundle, app_name) for bundle, app_name in apps],
        "state": device.enrollment_state,
    }


def device_erased(*, token_id: int, identity: DeviceIdentity) -> dict[str, Any]:
    """POST /enroll/<token_id>/checkin/erased/ (contract §7): Erase All Content and Settings.

    The device is not contacted any more until it enrolls again; it keeps its assigned profile
    (the one it will get at its next activation) and its hardware identity (UDID)."""
    token = _token(token_id)
    with transaction.atomic():
        device = _device(token, identity.serial_number)
        if device.udid and device.udid != identity.udid:
            raise _not_enrolled()
        _enrollment_forget(device, now=clock.now())
        device.enrollment_state = EnrollmentState.NOT_CONTACTED
        device.save()
        _audit_as_device(
            identity, device, gettext_noop("Erase device"), {"serial_number": device.serial_number}
        )
    return {"state": device.enrollment_state}
