"""The MDM check-in and command (ServerURL) protocol: who the device is, and what it is told.

Identity on every request: the device's identity certificate — from the `Mdm-Signature` header
(a detached CMS SignedData over the exact body, SHA-1 or SHA-256) or, behind a TLS-terminating
proxy, from `MDM_CLIENT_CERTIFICATE_HEADER` — must have been issued by the tenant's CA (SCEP)
and, after `Authenticate`, be the one bound to the UDID the request names. The tenant is the one
whose CA issued the certificate (found by its fingerprint).

Nothing here answers 401 (an iPad unenrolls on a 401): an unproven identity is a 400, as nanomdm
answers; see docs/mdm-server.md for every answer.
"""

from __future__ import annotations

import base64
import binascii
import logging
import plistlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from typing import Any
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from asm_portal import clock
from asm_portal.models import Tenant
from asm_portal.refusals import Refusal
from asm_portal.tenancy import require_tenant
from devices.models import Device, EnrollmentState
from mdm import cms, commands, scep
from mdm.commands import PLIST_ERRORS, plist_value
from mdm.configuration import CONFIGURATION_PROFILE_IDENTIFIER, configuration_for
from mdm.models import CertificateAuthority, DeviceCommand, IssuedCertificate, ManagedDevice, ManagementState

logger = logging.getLogger(__name__)

CHECKIN_CONTENT_TYPE = "application/x-apple-aspen-mdm-checkin"
SIGNATURE_HEADER = "Mdm-Signature"
# A Shared iPad user channel's UserID when no user authentication takes place.
ANONYMOUS_USER_ID = "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"


class ProtocolRefused(Refusal):
    """A request the MDM endpoints refuse: `status` is a 4xx other than 401, nothing changed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message, code=str(status))
        self.status = status


@dataclass(frozen=True)
class Caller:
    certificate: x509.Certificate
    sha256: str
    tenant: Tenant  # the tenant whose CA issued the certificate
    serial_number: str  # the device's, for which the certificate was issued ("" until bound)
    authority_pem: str  # the certificate of the tenant's CA (checked in `caller_check`)

    @property
    def tenant_id(self) -> int:
        return self.tenant.pk


# --- Identity ----------------------------------------------------------------------------------------


def _proxy_certificate(value: str) -> x509.Certificate:
    value = value.strip()
    if value.startswith(":") and value.endswith(":"):  # RFC 9440 Client-Cert
        return x509.load_der_x509_certificate(base64.b64decode(value.strip(":"), validate=True))
    return x509.load_pem_x509_certificate(unquote(value).encode())


def caller_certificate(*, headers: Mapping[str, str], body: bytes) -> x509.Certificate:
    """The identity certificate that proves the request (ProtocolRefused 400 otherwise)."""
    header = settings.MDM_CLIENT_CERTIFICATE_HEADER
    if header and headers.get(header):
        try:
            return _proxy_certificate(headers[header])
        except (ValueError, binascii.Error):
            raise ProtocolRefused(400, _("The client certificate cannot be read.")) from None
    signature = headers.get(SIGNATURE_HEADER, "")
    if not signature or len(signature) > 64 * 1024:
        raise ProtocolRefused(400, _("The request is not signed (Mdm-Signature)."))
    try:
        der = base64.b64decode(signature, validate=True)
        return cms.cms_verify(der, detached_content=body).signer
    except (binascii.Error, ValueError, cms.CmsError):
        raise ProtocolRefused(400, _("The Mdm-Signature does not verify over this request.")) from None


def caller_find(*, headers: Mapping[str, str], body: bytes) -> Caller:
    """Which tenant's device certificate signed the request (spans tenants: the certificate
    tells the tenant), with that tenant and its CA in the same query (one round trip instead of
    three: the request's scope opens on this tenant); the chain to the CA is checked in
    `caller_check`."""
    certificate = caller_certificate(headers=headers, body=body)
    sha256 = scep.fingerprint(certificate)
    found = list(Tenant.objects.raw(_caller_sql(), [sha256]))
    # The query's two extra columns come as attributes of the tenant it reads.
    authority_pem: str = getattr(found[0], "authority_pem", "") if found else ""
    if not authority_pem:
        raise ProtocolRefused(400, _("The identity certificate was not issued by this MDM server."))
    return Caller(
        certificate=certificate,
        sha256=sha256,
        tenant=found[0],
        serial_number=getattr(found[0], "issued_serial_number", ""),
        authority_pem=authority_pem,
    )


# The issued certificate's tenant, the device it was issued for and the tenant's CA, by the
# certificate's fingerprint: written out once per process instead of the ORM compiling the same
# joined, annotated query on every check-in and ServerURL request (a quarter of a request's CPU).
# Raw SQL spans tenants, as the look-up must (the certificate tells the tenant).
_CALLER_SQL = """
SELECT {tenant_columns}, issued.serial_number AS issued_serial_number, authority.certificate_pem AS authority_pem
FROM {issued} issued
JOIN {tenants} tenant ON tenant.{tenant_pk} = issued.tenant_id
JOIN {authorities} authority ON authority.tenant_id = issued.tenant_id
WHERE issued.sha256 = %s
"""


@cache
def _caller_sql() -> str:
    tenant_columns = ", ".join(f"tenant.{field.column}" for field in Tenant._meta.concrete_fields)
    return _CALLER_SQL.format(
        tenant_columns=tenant_columns,
        issued=IssuedCertificate._meta.db_table,
        tenants=Tenant._meta.db_table,
        tenant_pk="id",
        authorities=CertificateAuthority._meta.db_table,
    )


@lru_cache(maxsize=8192)
def _chains_to(authority_pem: str, certificate_der: bytes) -> bool:
    """The certificate's signature verifies with the CA's key: the answer never changes for the
    same two certificates, so each process checks it once per device and CA (both are the key:
    another certificate, or the tenant's CA replaced, is checked anew)."""
    authority = x509.load_pem_x509_certificate(authority_pem.encode())
    return scep.issued_by_authority(cms.certificate_load(certificate_der), authority)


def caller_check(caller: Caller, *, now: datetime | None = None) -> None:
    """In the tenant's scope: the certificate chains to its CA and is valid now (`now`: the
    request's clock reading, when the caller has one)."""
    der = caller.certificate.public_bytes(serialization.Encoding.DER)
    if caller.tenant_id != require_tenant().pk or not _chains_to(caller.authority_pem, der):
        raise ProtocolRefused(400, _("The identity certificate was not issued by this MDM server."))
    if now is None:
        now = clock.now()
    if not caller.certificate.not_valid_before_utc <= now <= caller.certificate.not_valid_after_utc:
        raise ProtocolRefused(400, _("The identity certificate is not valid at this date."))


def plist_body(body: bytes) -> dict[str, Any]:
    try:
        message = plistlib.loads(body)
    except PLIST_ERRORS:
        raise ProtocolRefused(400, _("The request body is not a property list.")) from None
    if not isinstance(message, dict):
        raise ProtocolRefused(400, _("The request body is not a property list."))
    return message


def _text(message: Mapping[str, Any], key: str, length: int) -> str:
    value = message.get(key, "")
    return value[:length] if isinstance(value, str) else ""


# What a ServerURL request does not read (the device's replies kept for the blades, its unlock
# token, decrypted on every read): loaded only if a reply needs it (DeviceInformation merges
# into the inventory).
_REPLIES_KEPT = (
    "inventory",
    "security_info",
    "installed_profiles",
    "installed_apps",
    "user_channels",
    "unlock_token",
)


def _bound_device(caller: Caller, udid: str, *, lock: bool = False, light: bool = False) -> ManagedDevice:
    """The device the certificate was bound to at Authenticate, if the request names it
    (`lock`: its row locked for the transaction; `light`: without the replies kept)."""
    query = ManagedDevice.objects.filter(udid=udid, identity_sha256=caller.sha256)
    if lock:
        query = query.select_for_update()
    if light:
        query = query.defer(*_REPLIES_KEPT)
    device = query.first()
    if device is None or not udid:
        raise ProtocolRefused(400, _("This identity is not enrolled with that UDID."))
    return device


# --- Check-in ----------------------------------------------------------------------------------------


def checkin_handle(*, caller: Caller, message: dict[str, Any]) -> tuple[int, bytes]:
    """Answer one check-in message: (HTTP status, body)."""
    caller_check(caller)
    kind = message.get("MessageType")
    udid = _text(message, "UDID", 64)
    if kind == "Authenticate":
        _authenticate(caller, udid, message)
        return 200, b""
    if kind == "TokenUpdate":
        _token_update(caller, udid, message)
        return 200, b""
    if kind == "CheckOut":
        with transaction.atomic():
            device = _bound_device(caller, udid, lock=True)
            device.management_state = ManagementState.RETIRED
            device.push_token = device.push_magic = ""
            device.save(update_fields=["management_state", "push_token", "push_magic"])
            commands.commands_cancel_pending(device=device)
            commands.asm_device_unenrolled(device)
        return 200, b""
    _bound_device(caller, udid)
    if kind == "UserAuthenticate":
        return 410, b""  # declines the user: not used on iOS (nanomdm, zentral)
    if kind == "GetBootstrapToken":
        return 200, b""  # none escrowed
    raise ProtocolRefused(400, _("This check-in message is not supported."))


def _authenticate(caller: Caller, udid: str, message: dict[str, Any]) -> None:
    serial = _text(message, "SerialNumber", 32) or caller.serial_number
    # A certificate from an exported profile (no device named in its challenge) is bound to the
    # serial number of its first Authenticate; any other is bound since SCEP.
    if not udid or not serial or (caller.serial_number and serial != caller.serial_number):
        raise ProtocolRefused(400, _("The serial number is not the identity certificate's."))
    now = clock.now()
    with transaction.atomic():
        if not caller.serial_number and not (
            IssuedCertificate.objects.filter(sha256=caller.sha256, serial_number="").update(
                serial_number=serial
            )
        ):
            raise ProtocolRefused(400, _("The serial number is not the identity certificate's."))
        asm_device = Device.objects.filter(serial_number=serial, removed_by_apple=False).first()
        device = ManagedDevice.objects.select_for_update().filter(udid=udid).first()
        if device is None:
            device = ManagedDevice(tenant=require_tenant(), udid=udid, enrolled_at=now)
        else:
            # A new enrollment (after an erase, or a profile reinstalled): what was queued for the
            # previous one is dropped, as nanomdm does.
            commands.commands_cancel_pending(device=device)
            device.push_token = device.push_magic = ""
            device.enrolled_at = now
        if asm_device is not None and device.device_id != asm_device.pk:
            ManagedDevice.objects.filter(device=asm_device).exclude(pk=device.pk).update(device=None)
            device.device = asm_device
        device.serial_number = serial
        device.identity_sha256 = caller.sha256
        device.os_version = _text(message, "OSVersion", 16)
        device.build_version = _text(message, "BuildVersion", 16)
        device.product_name = _text(message, "ProductName", 32)
        device.management_state = ManagementState.MANAGED
        device.awaiting_configuration = False
        device.last_checkin_at = now
        device.push_topic = _text(message, "Topic", 255)
        device.save()
        if asm_device is not None:
            profile = asm_device.assigned_profile
            asm_device.enrollment_state = EnrollmentState.ENROLLED
            asm_device.enrollment_error = ""
            asm_device.udid = udid
            asm_device.enrolled_profile = profile
            asm_device.enrolled_at = now
            asm_device.last_contacted_at = now
            asm_device.configured_at = None
            asm_device.configuration = None
            asm_device.product = device.product_name
            asm_device.os_version = device.os_version
            asm_device.save()
            device.is_shared_ipad = bool(profile and profile.shared_ipad)
            # The user who signed in to Setup Assistant's web view (mdm.web_enrollment), if any.
            device.user_principal_name = asm_device.enrolled_user_name
            device.save(update_fields=["is_shared_ipad", "user_principal_name"])


def user_channel(message: Mapping[str, Any], *, token: bytes, now: datetime) -> dict[str, Any]:
    """What the portal keeps of a user channel's TokenUpdate (mdm.selectors.shared_ipad_users
    reads Apple's key names)."""
    return {
        "UserID": _text(message, "UserID", 64),
        "UserShortName": _text(message, "UserShortName", 254),
        # macOS only in Apple's schema; kept if a device sends it.
        "UserLongName": _text(message, "UserLongName", 254),
        "token": token.hex(),
        "push_magic": _text(message, "PushMagic", 64),
        # On the user channel: waiting for UserConfigured (iOS 17, AwaitUserConfiguration).
        "awaiting_configuration": bool(message.get("AwaitingConfiguration")),
        "updated_at": now.isoformat(),
    }


def _token_update(caller: Caller, udid: str, message: dict[str, Any]) -> None:
    token = message.get("Token")
    magic = _text(message, "PushMagic", 64)
    if not isinstance(token, bytes) or not token or not magic:
        raise ProtocolRefused(400, _("A TokenUpdate needs a Token and a PushMagic."))
    now = clock.now()
    with transaction.atomic():
        device = _bound_device(caller, udid, lock=True)
        short_name = _text(message, "UserShortName", 254)
        if short_name or _text(message, "UserID", 64):
            # A Shared iPad user's channel: kept apart, the device channel is not touched. Every
            # user of a Shared iPad sends the same UserID (all F: "no authentication will
            # occur", Apple's TokenUpdate), so the channel is the user's short name (their
            # Managed Apple Account), as nanomdm keys it (<UDID>:<UserShortName>).
            device.user_channels = {
                **device.user_channels,
                short_name or _text(message, "UserID", 64): user_channel(message, token=token, now=now),
            }
            device.save(update_fields=["user_channels"])
            return
        first = not device.push_token
        device.push_token = token.hex()
        device.push_magic = magic
        device.push_topic = _text(message, "Topic", 255) or device.push_topic
        unlock = message.get("UnlockToken")
        if isinstance(unlock, bytes):
            device.unlock_token = base64.b64encode(unlock).decode("ascii")
        awaiting = bool(message.get("AwaitingConfiguration"))
        device.awaiting_configuration = awaiting
        device.last_checkin_at = now
        device.save(
            update_fields=[
                "push_token",
                "push_magic",
                "push_topic",
                "unlock_token",
                "awaiting_configuration",
                "last_checkin_at",
            ]
        )
        if first:
            commands.inventory_refresh_enqueue(device=device)
            final_configuration_enqueue(device=device, awaiting=awaiting)


# --- Await final configuration ---------------------------------------------------------------------


def configuration_profile(device: ManagedDevice) -> bytes:
    """The device configuration profile (restrictions) the portal installs before releasing a
    device that awaits final configuration."""
    import uuid

    profile = device.device.enrolled_profile if device.device is not None else None
    items = configuration_for(profile)
    restrictions: dict[str, Any] = {
        "PayloadType": "com.apple.applicationaccess",
        "PayloadVersion": 1,
        "PayloadIdentifier": f"{CONFIGURATION_PROFILE_IDENTIFIER}.restrictions",
        "PayloadUUID": str(uuid.uuid4()).upper(),
        "PayloadDisplayName": _("Restrictions"),
        "allowEraseContentAndSettings": "locked_enrollment" not in items,
    }
    return plistlib.dumps(
        {
            "PayloadType": "Configuration",
            "PayloadVersion": 1,
            "PayloadIdentifier": CONFIGURATION_PROFILE_IDENTIFIER,
            "PayloadUUID": str(uuid.uuid4()).upper(),
            "PayloadDisplayName": _("Device configuration"),
            "PayloadContent": [restrictions],
        }
    )


def final_configuration_enqueue(*, device: ManagedDevice, awaiting: bool = True) -> list[DeviceCommand]:
    """After the first TokenUpdate: the device's name (when the profile's template sets one) and
    its configuration profile; a device that awaits final configuration is then released with
    DeviceConfigured, and its apps follow that command's acknowledgement (mdm.commands); one that
    does not await gets its apps at once."""
    from mdm.enrollment import device_name_for

    queued = []
    asm_device = device.device
    if asm_device is not None:
        name = device_name_for(asm_device.enrolled_profile, asm_device)
        if name:
            queued.append(
                commands.command_enqueue(
                    device=device,
                    request_type="Settings",
                    payload={"Settings": [{"Item": "DeviceName", "DeviceName": name}]},
                    push=False,
                )
            )
    queued.append(
        commands.command_enqueue(
            device=device,
            request_type="InstallProfile",
            payload={"Payload": commands.data(configuration_profile(device))},
            push=False,
        )
    )
    if awaiting:
        queued.append(commands.command_enqueue(device=device, request_type="DeviceConfigured"))
    else:
        queued += commands.apps_enqueue(device=device)
    return queued


# --- ServerURL ---------------------------------------------------------------------------------------


def command_plist(command: DeviceCommand) -> bytes:
    body = {
        "CommandUUID": str(command.command_uuid).upper(),
        "Command": {"RequestType": command.request_type, **plist_value(command.payload)},
    }
    return plistlib.dumps(body)


def connect_handle(*, caller: Caller, message: dict[str, Any]) -> bytes:
    """Record the device's report, then the next command's plist, or b"" when none is left.

    One transaction, the device's row locked first: the reply, the check-in time and the next
    command commit together (one commit per request), a refused request changes nothing, and
    the device row is always locked before its commands, as the remote actions lock it
    (commands_cancel_pending), so the two never wait on each other in opposite orders.

    The clock is read once for the whole request: each reading asks the cache for the tenant's
    demo-clock offset (a round trip), and one request's times belong to one instant anyway."""
    now = clock.now()
    caller_check(caller, now=now)
    status = message.get("Status")
    udid = _text(message, "UDID", 64)
    with transaction.atomic():
        device = _device_checked_in(caller, udid, now)
        if status not in {"Idle", *commands.REPLY_STATUSES}:
            raise ProtocolRefused(400, _("Unknown Status in the report."))
        if _text(message, "UserID", 64) or _text(message, "EnrollmentUserID", 64):
            return b""  # no command is queued on a Shared iPad user's channel
        if status != "Idle":
            command_uuid = _text(message, "CommandUUID", 64)
            try:
                commands.command_reply_record(
                    device=device, status=str(status), command_uuid=command_uuid, reply=message, now=now
                )
            except commands.UnknownCommand:
                raise ProtocolRefused(400, _("This device was not given that command.")) from None
        command = commands.command_next(device=device, include_not_now=status == "Idle", now=now)
    return command_plist(command) if command is not None else b""


# PostgreSQL: the device's row locked, its check-in time written and the row read, in one round
# trip (raw SQL: it filters on the tenant itself, as the scope would).
_CHECK_IN_SQL = """
UPDATE mdm_manageddevice SET last_checkin_at = %s
WHERE tenant_id = %s AND udid = %s AND identity_sha256 = %s
RETURNING {columns}
"""


@cache
def _check_in_sql() -> str:
    """`_CHECK_IN_SQL` with the columns it reads back: built once per process, not per request."""
    columns = ", ".join(
        field.column for field in ManagedDevice._meta.concrete_fields if field.name not in _REPLIES_KEPT
    )
    return _CHECK_IN_SQL.format(columns=columns)


def _device_checked_in(caller: Caller, udid: str, now: datetime) -> ManagedDevice:
    """The device the certificate is bound to, its row locked for the transaction (before its
    commands) and its last check-in set to now; without the replies it keeps (`_REPLIES_KEPT`,
    loaded if a reply needs them)."""
    if not udid:
        raise ProtocolRefused(400, _("This identity is not enrolled with that UDID."))
    if connection.vendor != "postgresql":
        device = _bound_device(caller, udid, lock=True, light=True)
        ManagedDevice.objects.filter(pk=device.pk).update(last_checkin_at=now)
        device.last_checkin_at = now
        return device
    found = list(ManagedDevice.objects.raw(_check_in_sql(), [now, caller.tenant_id, udid, caller.sha256]))
    if not found:
        raise ProtocolRefused(400, _("This identity is not enrolled with that UDID."))
    return found[0]
