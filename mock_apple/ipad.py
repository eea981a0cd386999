"""The virtual iPad: power on, Setup Assistant, activation, enrollment, Shared iPad and erase.

The device talks to Apple (this process, directly) for activation and to the MDM (the portal)
only over HTTP, with its identity certificate and a signature of each body (the enrollment
contract, /work/briefs/enrollment-contract.md). `portal_post` is the one HTTP boundary.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.core import signing
from django.db import transaction

from mock_apple import clock, crypto
from mock_apple.dep_views import FLAG_DEFAULTS
from mock_apple.models import (
    CertificateAuthority,
    Device,
    DeviceEvent,
    MdmServer,
    Person,
    Profile,
    RosterClass,
    SharedIPadUser,
    VirtualDevice,
)
from mock_apple.roster import passwords
from mock_apple.services import push
from mock_apple.setup_panes import OS_VERSION, hardware_capabilities, panes_after_activation

DB = "apple"
USER_AGENT = f"MDM-Device/1.0 (iPad; iPadOS {OS_VERSION})"
LANGUAGES = ("en", "fr")
REGIONS = ("FR", "US", "GB", "BE", "CA", "CH")
WIFI_NETWORKS = ("Contoso-Students", "Contoso-Staff", "eduroam")
PORTAL_TIMEOUT_SECONDS = 10
# What the Setup Assistant shows before activation; the rest is derived from the configuration.
PANES_BEFORE_ACTIVATION = ("hello", "language", "region", "wifi")
UNREACHABLE = "UNREACHABLE"


class DeviceIdentityError(ValueError):
    """A device request whose certificate or signature does not hold."""


# --- Identity -------------------------------------------------------------------------------


def _udid() -> str:
    # The modern UDID format: 8 hex digits (the chip), a dash, 16 hex digits (the ECID).
    return f"{secrets.token_hex(4).upper()}-{secrets.token_hex(8).upper()}"


def virtual_device_of(device: Device) -> VirtualDevice:
    """The device's hardware: made at first power-on with a UDID and a key and certificate from
    the Apple iPhone Device CA; they survive an erase."""
    existing = VirtualDevice.objects.filter(device=device).select_related("device").first()
    if existing:
        return existing
    authority = push.certificate_authority(CertificateAuthority.Purpose.DEVICE)
    udid = _udid()
    certificate_pem, key_pem = crypto.device_identity_issue(
        udid=udid,
        serial_number=device.serial_number,
        ca_certificate_pem=authority.certificate_pem,
        ca_key_pem=crypto.decrypt(authority.private_key_encrypted),
        now=clock.now(),
    )
    with transaction.atomic(using=DB):
        made, _ = VirtualDevice.objects.get_or_create(
            device=device,
            defaults={
                "udid": udid,
                "certificate_pem": certificate_pem,
                "private_key_encrypted": crypto.encrypt(key_pem),
                "created_at": clock.now(),
            },
        )
    return made


def signed_headers(virtual: VirtualDevice, body: bytes) -> dict[str, str]:
    return {
        **crypto.device_request_headers(
            certificate_pem_text=virtual.certificate_pem,
            key_pem=crypto.decrypt(virtual.private_key_encrypted),
            body=body,
        ),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


def device_identity_verify(*, certificate_b64: str, signature_b64: str, body: bytes) -> tuple[str, str]:
    """Check a device request as the portal does: issued by the device CA, valid now, body signed.
    Returns (serial number, UDID) from the certificate."""
    authority = push.certificate_authority(CertificateAuthority.Purpose.DEVICE)
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(certificate_b64, validate=True))
        signature = base64.b64decode(signature_b64, validate=True)
        ca = x509.load_pem_x509_certificate(authority.certificate_pem.encode())
        certificate.verify_directly_issued_by(ca)
        now = clock.now()
        if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            raise DeviceIdentityError("certificate not valid now")
        key = certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise DeviceIdentityError("not an RSA key")
        key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        serials = certificate.subject.get_attributes_for_oid(x509.NameOID.SERIAL_NUMBER)
        names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise DeviceIdentityError(str(exc) or exc.__class__.__name__) from None
    if not serials or not names:
        raise DeviceIdentityError("certificate without serial number or UDID")
    return str(serials[0].value), str(names[0].value)


# --- Activation (Apple's side) --------------------------------------------------------------


@dataclass(frozen=True)
class Activation:
    configuration: dict[str, Any] | None
    mdm_server: str
    reason: str | None
    enrollment_url: str


def activation_for(device: Device) -> Activation:
    """What Apple's activation service answers for a serial: the cloud configuration of the
    profile assigned on its MDM server (marked pushed, as Apple does), or none and why."""
    # Apple's records as they are now, not as the caller loaded them.
    device = Device.objects.select_related("mdm_server__organization").get(pk=device.pk)
    server = device.mdm_server
    if device.disowned_at or server is None:
        return Activation(None, "", "NOT_ASSIGNED", "")
    profile = (
        Profile.objects.filter(mdm_server=server, profile_uuid=device.profile_uuid).first()
        if device.profile_uuid
        else None
    )
    if profile is None:
        return Activation(None, server.name, "NO_PROFILE", server_enrollment_url(server))
    configuration = {
        **FLAG_DEFAULTS,
        **profile.data,
        "profile_uuid": profile.profile_uuid,
        "organization_name": server.organization.name,
    }
    now = clock.now()
    with transaction.atomic(using=DB):
        Device.objects.filter(pk=device.pk).update(
            profile_status=Device.ProfileStatus.PUSHED, profile_push_time=now
        )
        # A later sync of the MDM server reports the new status.
        DeviceEvent.objects.create(mdm_server=server, device=device, op_type="modified", op_date=now)
    return Activation(configuration, server.name, None, server_enrollment_url(server))


def server_enrollment_url(server: MdmServer) -> str:
    """The `url` of the last profile defined on the MDM server: a device assigned there without a
    profile still reports to it, so that the MDM can record the failure."""
    url = (
        Profile.objects.filter(mdm_server=server).order_by("-id").values_list("data__url", flat=True).first()
    )
    return str(url or "")


# --- Talking to the MDM ---------------------------------------------------------------------


@dataclass(frozen=True)
class PortalAnswer:
    status: int  # 0 when the server could not be reached
    data: dict[str, Any]

    @property
    def code(self) -> str:
        return str(self.data.get("code") or "") if self.status else UNREACHABLE


def portal_post(virtual: VirtualDevice, url: str, payload: dict[str, Any]) -> PortalAnswer:
    """POST a signed JSON body to the MDM; any network failure or a non-JSON answer is
    'unreachable' (the device says « Could not connect to the server »)."""
    body = json.dumps(payload).encode()
    try:
        response = requests.post(
            url, data=body, headers=signed_headers(virtual, body), timeout=PORTAL_TIMEOUT_SECONDS
        )
    except requests.RequestException:
        return PortalAnswer(0, {})
    if response.status_code >= 500:
        return PortalAnswer(0, {})
    try:
        data = response.json()
    except ValueError:
        return PortalAnswer(0, {})
    return PortalAnswer(response.status_code, data if isinstance(data, dict) else {})


def ticket_upn(ticket: str) -> str:
    """The UPN inside a portal ticket (django.core.signing format), read without verifying: the
    device does not hold the portal's key, and the portal verifies the ticket anyway."""
    payload = ticket.split(":", 1)[0]
    compressed = payload.startswith(".")
    try:
        raw = signing.b64_decode(payload.lstrip(".").encode())
        data = json.loads(zlib.decompress(raw) if compressed else raw)
    except (ValueError, zlib.error):
        return ""
    return str(data.get("upn", "")) if isinstance(data, dict) else ""


# --- Setup Assistant ------------------------------------------------------------------------


def _save(virtual: VirtualDevice, *fields: str) -> None:
    virtual.save(update_fields=list(fields))


def power_on(virtual: VirtualDevice) -> VirtualDevice:
    if virtual.state != VirtualDevice.State.OFF:
        return virtual
    virtual.pane = virtual.pane or "hello"
    virtual.state = VirtualDevice.State.HOME if virtual.pane == "home" else VirtualDevice.State.SETUP
    virtual.powered_on_at = clock.now()
    # A restart ends the Shared iPad session: the sign-in screen comes back.
    virtual.session_kind, virtual.session_user = VirtualDevice.Session.NONE, None
    virtual.open_app = ""
    _save(virtual, "pane", "state", "powered_on_at", "session_kind", "session_user", "open_app")
    if virtual.state == VirtualDevice.State.HOME:
        # A managed device checks in with its MDM when it starts (name, apps, Reset required).
        return checkin(virtual)
    return virtual


def power_off(virtual: VirtualDevice) -> VirtualDevice:
    virtual.state = VirtualDevice.State.OFF
    _save(virtual, "state")
    return virtual


def go(virtual: VirtualDevice, pane: str, **fields: Any) -> VirtualDevice:
    virtual.pane = pane
    virtual.state = VirtualDevice.State.HOME if pane == "home" else VirtualDevice.State.SETUP
    for name, value in fields.items():
        setattr(virtual, name, value)
    _save(virtual, "pane", "state", *fields)
    return virtual


def choose_language(virtual: VirtualDevice, language: str) -> VirtualDevice:
    if language not in LANGUAGES:
        return virtual
    return go(virtual, "region", language=language)


def choose_region(virtual: VirtualDevice, region: str) -> VirtualDevice:
    if region not in REGIONS:
        return virtual
    return go(virtual, "wifi", region=region)


def join_wifi(virtual: VirtualDevice, network: str) -> VirtualDevice:
    """Joining a network lets the device activate: Apple answers with the cloud configuration."""
    if network not in WIFI_NETWORKS:
        return virtual
    virtual.wifi_network = network
    _save(virtual, "wifi_network")
    return activate(virtual)


def activate(virtual: VirtualDevice) -> VirtualDevice:
    """Activation; an activated device keeps the configuration it got until it is erased."""
    if virtual.activated_at is None:
        answer = activation_for(virtual.device)
        virtual.activation = answer.configuration
        virtual.enrollment_url = answer.enrollment_url
        virtual.activated_at = clock.now()
        _save(virtual, "activation", "enrollment_url", "activated_at")
    if virtual.activation:
        return go(virtual, "remote_management")
    if virtual.enrollment_url:
        # Assigned to an MDM server without a profile: report, so the MDM records the failure.
        return enroll(virtual)
    return go(virtual, "not_managed", panes_ahead=_panes(virtual))


def _panes(virtual: VirtualDevice) -> list[str]:
    device = virtual.device
    return panes_after_activation(
        virtual.activation,
        family=device.device_family,
        language=virtual.language or "en",
        capabilities=device_capabilities(device),
    )


def device_capabilities(device: Device) -> frozenset[str]:
    return hardware_capabilities(
        model=device.model, description=device.description, family=device.device_family
    )


def _enrollment_url(virtual: VirtualDevice) -> str:
    return str((virtual.activation or {}).get("url") or virtual.enrollment_url)


def remote_management_continue(virtual: VirtualDevice) -> VirtualDevice:
    """Modern authentication happens first, in the web view; otherwise the device enrolls."""
    if (virtual.activation or {}).get("configuration_web_url") and not virtual.auth_ticket:
        return go(virtual, "authenticate")
    return enroll(virtual)


def authentication_url(virtual: VirtualDevice, return_url: str) -> str:
    """The portal's sign-in page for the web view: the profile's configuration_web_url, or for
    legacy Setup Assistant authentication the enrollment URL's authenticate/ (amendment)."""
    base = (virtual.activation or {}).get(
        "configuration_web_url"
    ) or f"{_enrollment_url(virtual)}authenticate/"
    return f"{base}?{urlencode({'serial': virtual.device.serial_number, 'return': return_url})}"


def authenticated(virtual: VirtualDevice, ticket: str) -> VirtualDevice:
    """The web view came back with a ticket: enroll with the user it names."""
    if virtual.pane != "authenticate" or not ticket:
        return virtual
    virtual.auth_ticket = ticket
    _save(virtual, "auth_ticket")
    return enroll(virtual)


def enroll(virtual: VirtualDevice) -> VirtualDevice:
    """POST the enrollment to the profile's URL (contract §3) and move on by the answer."""
    configuration = virtual.activation or {}
    user = None
    if virtual.auth_ticket:
        user = {"kind": "directory", "upn": ticket_upn(virtual.auth_ticket), "ticket": virtual.auth_ticket}
    device = virtual.device
    answer = portal_post(
        virtual,
        _enrollment_url(virtual),
        {
            "serial_number": device.serial_number,
            "udid": virtual.udid,
            "model": device.model,
            "product": "iPad13,18" if device.device_family == "iPad" else "iPhone15,4",
            "os_version": OS_VERSION,
            "language": virtual.language or "en",
            "profile_uuid": configuration.get("profile_uuid"),
            "user": user,
        },
    )
    if answer.status == 200 and answer.data.get("status") == "enrolled":
        now = clock.now()
        virtual.enrolled, virtual.enrollment, virtual.enrolled_at = True, answer.data, now
        virtual.device_name = str(answer.data.get("device_name") or "")
        virtual.error_code = virtual.error_detail = ""
        _save(virtual, "enrolled", "enrollment", "enrolled_at", "device_name", "error_code", "error_detail")
        return _after_panes(virtual, _panes(virtual))
    if answer.code == "AUTHENTICATION_REQUIRED" and not virtual.auth_ticket:
        # Legacy Setup Assistant authentication: the MDM asks for credentials at enrollment.
        return go(virtual, "authenticate")
    if virtual.auth_ticket and answer.code == "AUTHENTICATION_REQUIRED":
        # The ticket expired or was refused: sign in again.
        virtual.auth_ticket = ""
        _save(virtual, "auth_ticket")
    return go(
        virtual,
        "error",
        error_code=answer.code or f"HTTP_{answer.status}",
        error_detail=str(answer.data.get("message") or "")[:300],
    )


def retry(virtual: VirtualDevice) -> VirtualDevice:
    if virtual.pane != "error":
        return virtual
    if virtual.enrolled:
        return checkin(virtual)
    return enroll(virtual)


def _after_panes(virtual: VirtualDevice, ahead: list[str]) -> VirtualDevice:
    if ahead:
        return go(virtual, f"pane:{ahead[0]}", panes_ahead=ahead[1:])
    if virtual.enrolled and (virtual.enrollment or {}).get("await_configuration"):
        return go(virtual, "configuring", panes_ahead=[])
    return go(virtual, "home", panes_ahead=[])


def pane_continue(virtual: VirtualDevice) -> VirtualDevice:
    """Continue on a pane after Remote Management (or on the not-managed notice)."""
    if not (virtual.pane.startswith("pane:") or virtual.pane == "not_managed"):
        return virtual
    return _after_panes(virtual, list(virtual.panes_ahead))


def checkin(virtual: VirtualDevice) -> VirtualDevice:
    """Check in with the MDM (contract §5): name, apps, state; releases « Configuring »."""
    url = (virtual.enrollment or {}).get("checkin_url")
    if not virtual.enrolled or not url:
        return virtual
    answer = portal_post(
        virtual, str(url), {"serial_number": virtual.device.serial_number, "udid": virtual.udid}
    )
    if answer.status != 200:
        if virtual.pane in ("configuring", "error"):
            return go(virtual, "error", error_code=answer.code or f"HTTP_{answer.status}", error_detail="")
        return virtual
    virtual.last_checkin_at = clock.now()
    virtual.device_name = str(answer.data.get("device_name") or virtual.device_name)
    apps = answer.data.get("apps")
    virtual.apps = (
        [_home_screen_app(app) for app in apps if isinstance(app, dict)] if isinstance(apps, list) else []
    )
    virtual.mdm_state = str(answer.data.get("state") or "")
    _save(virtual, "last_checkin_at", "device_name", "apps", "mdm_state")
    if virtual.pane in ("configuring", "error") and not answer.data.get("await_configuration"):
        return go(virtual, "home", error_code="", error_detail="")
    return virtual


# --- Home screen ----------------------------------------------------------------------------

_COLOR = re.compile(r"#[0-9a-fA-F]{3,8}")


def _home_screen_app(app: dict[str, Any]) -> dict[str, str]:
    """An app the MDM installed, as the home screen draws it: its glyph on its colour (a colour
    that is not a plain hex value is dropped: it goes into a style attribute)."""
    color = str(app.get("color") or "")
    return {
        "bundle_id": str(app.get("bundle_id") or "")[:200],
        "name": str(app.get("name") or "")[:100],
        "icon": str(app.get("icon") or "")[:2],
        "color": color if _COLOR.fullmatch(color) else "",
    }


def company_portal_available(virtual: VirtualDevice) -> bool:
    return bool(virtual.enrolled and (virtual.enrollment or {}).get("company_portal"))


def open_app(virtual: VirtualDevice, app: str) -> VirtualDevice:
    known = {"settings", "company_portal"} | {str(a.get("bundle_id")) for a in virtual.apps}
    if virtual.pane != "home" or app not in known:
        return virtual
    virtual.open_app = app
    _save(virtual, "open_app")
    return virtual


def close_app(virtual: VirtualDevice) -> VirtualDevice:
    """Back to the Home Screen; leaving the Company Portal checks in, so that an app installed
    there appears now (Intune pushes the install at once) rather than at the next check-in."""
    leaving = virtual.open_app
    virtual.open_app = ""
    _save(virtual, "open_app")
    if leaving == "company_portal":
        return checkin(virtual)
    return virtual


def remove_management(virtual: VirtualDevice) -> VirtualDevice:
    """Settings › Device Management › Remove Management: refused under locked enrollment."""
    if not virtual.enrolled or not (virtual.enrollment or {}).get("removable"):
        return virtual
    virtual.enrolled = False
    _save(virtual, "enrolled")
    return virtual


def erase(virtual: VirtualDevice) -> VirtualDevice:
    """Erase All Content and Settings (contract §7): the hardware identity stays, everything else
    goes; the MDM is told (best effort: an unreachable MDM does not stop the erase)."""
    url = (virtual.enrollment or {}).get("checkin_url")
    if virtual.enrolled and url:
        portal_post(
            virtual, f"{url}erased/", {"serial_number": virtual.device.serial_number, "udid": virtual.udid}
        )
    with transaction.atomic(using=DB):
        SharedIPadUser.objects.filter(virtual_device=virtual).delete()
        for name, value in ERASED.items():
            setattr(virtual, name, value)
        virtual.erased_at = clock.now()
        virtual.save()
    return virtual


ERASED: dict[str, Any] = {
    "state": VirtualDevice.State.SETUP,
    "pane": "hello",
    "panes_ahead": [],
    "language": "",
    "region": "",
    "wifi_network": "",
    "activated_at": None,
    "activation": None,
    "enrollment_url": "",
    "enrolled": False,
    "enrollment": None,
    "auth_ticket": "",
    "device_name": "",
    "apps": [],
    "mdm_state": "",
    "error_code": "",
    "error_detail": "",
    "session_kind": VirtualDevice.Session.NONE,
    "session_user": None,
    "signin_class": None,
    "signin_person": None,
    "open_app": "",
    "enrolled_at": None,
    "last_checkin_at": None,
}


# --- Shared iPad ----------------------------------------------------------------------------


def is_shared(virtual: VirtualDevice) -> bool:
    return bool((virtual.activation or {}).get("is_multi_user")) and virtual.device.device_family == "iPad"


def temporary_session_only(virtual: VirtualDevice) -> bool:
    return bool((virtual.activation or {}).get("shared_ipad_temporary_session_only"))


def maximum_users(virtual: VirtualDevice) -> int:
    value = (virtual.activation or {}).get("shared_ipad_maximum_user_count")
    return value if isinstance(value, int) and value > 0 else 10  # Apple's default


def signin_classes(virtual: VirtualDevice) -> list[RosterClass]:
    return list(RosterClass.objects.filter(organization=virtual.device.organization).order_by("display_name"))


def class_people(roster_class: RosterClass) -> list[Person]:
    people = {p.pk: p for p in roster_class.students.filter(is_active=True)}
    people.update({p.pk: p for p in roster_class.instructors.filter(is_active=True)})
    return sorted(people.values(), key=lambda p: (p.last_name, p.first_name, p.pk))


def pick_class(virtual: VirtualDevice, class_pk: int) -> VirtualDevice:
    found = RosterClass.objects.filter(pk=class_pk, organization=virtual.device.organization).first()
    virtual.signin_class, virtual.signin_person = found, None
    _save(virtual, "signin_class", "signin_person")
    return virtual


def pick_person(virtual: VirtualDevice, person_pk: int) -> VirtualDevice:
    found = Person.objects.filter(
        pk=person_pk, organization=virtual.device.organization, is_active=True
    ).first()
    virtual.signin_person = found
    _save(virtual, "signin_person")
    return virtual


def signin_back(virtual: VirtualDevice) -> VirtualDevice:
    if virtual.signin_person is not None:
        virtual.signin_person = None
    else:
        virtual.signin_class = None
    _save(virtual, "signin_class", "signin_person")
    return virtual


@dataclass(frozen=True)
class SignIn:
    ok: bool
    must_change_password: bool = False
    evicted: tuple[str, ...] = ()


def sign_in(virtual: VirtualDevice, password: str) -> SignIn:
    """A Managed Apple Account signs in: the password (the temporary one must be changed first),
    then the user's partition, evicting the least recently used beyond the maximum."""
    person = virtual.signin_person
    if person is None or temporary_session_only(virtual):
        return SignIn(False)
    if not passwords.person_password_check(person=person, password=password):
        return SignIn(False)
    if passwords.person_must_change_password(person):
        return SignIn(True, must_change_password=True)
    return SignIn(True, evicted=_session_open(virtual, person))


def change_password(virtual: VirtualDevice, *, current: str, new: str, confirm: str) -> SignIn:
    """The first sign-in with a temporary password: choose one (ValidationError if too weak)."""
    person = virtual.signin_person
    if (
        person is None
        or new != confirm
        or not passwords.person_password_check(person=person, password=current)
    ):
        return SignIn(False, must_change_password=True)
    passwords.person_password_change(person=person, password=new)
    return SignIn(True, evicted=_session_open(virtual, person))


def _session_open(virtual: VirtualDevice, person: Person) -> tuple[str, ...]:
    now = clock.now()
    with transaction.atomic(using=DB):
        cached, created = SharedIPadUser.objects.get_or_create(
            virtual_device=virtual,
            person=person,
            defaults={"first_signed_in_at": now, "last_signed_in_at": now},
        )
        if not created:
            SharedIPadUser.objects.filter(pk=cached.pk).update(last_signed_in_at=now)
        evicted = list(SharedIPadUser.objects.filter(virtual_device=virtual)[maximum_users(virtual) :])
        SharedIPadUser.objects.filter(pk__in=[user.pk for user in evicted]).delete()
        virtual.session_kind, virtual.session_user = VirtualDevice.Session.USER, cached
        virtual.signin_class = virtual.signin_person = None
        _save(virtual, "session_kind", "session_user", "signin_class", "signin_person")
    return tuple(user.person.display_name for user in evicted)


def guest_session(virtual: VirtualDevice) -> VirtualDevice:
    virtual.session_kind, virtual.session_user = VirtualDevice.Session.GUEST, None
    _save(virtual, "session_kind", "session_user")
    return virtual


def sign_out(virtual: VirtualDevice) -> VirtualDevice:
    """Sign Out from the lock screen; a guest's data is erased, a user's stays cached."""
    virtual.session_kind, virtual.session_user, virtual.open_app = VirtualDevice.Session.NONE, None, ""
    virtual.signin_class = virtual.signin_person = None
    _save(virtual, "session_kind", "session_user", "open_app", "signin_class", "signin_person")
    return virtual
