"""Services of the mock Apple side: the organisation, MDM servers, server tokens, device
assignments and their change feed, DEP profiles, push certificates and fault injection.

Every change to a device's server or profile goes through here and writes the DeviceEvents
that POST /devices/sync serves. Changes of one organisation are serialised by a lock on its
row, so that event ids commit in order and a sync never skips an event.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
import secrets
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mock_apple import auth, clock, crypto, inventory
from mock_apple.bulk import rows_insert
from mock_apple.models import (
    AppleAccount,
    AuthSession,
    CertificateAuthority,
    Device,
    DeviceEvent,
    ForcedResponse,
    MdmServer,
    MockConfig,
    Organization,
    Profile,
    PurchaseOrder,
    PushCertificate,
    ServerToken,
)

DB = "apple"
CHUNK = 900  # ids per UPDATE … WHERE id IN (…), under SQLite's bound-parameter limit
TOKEN_LIFETIME = timedelta(days=365)

DEMO_ORG = {
    "name": "Contoso School District",
    "org_id": "3F1A0C2B9D",
    "email": "it@contoso.edu",
    "phone": "+1 425 555 0100",
    "address": "1 Microsoft Way, Redmond, WA 98052, US",
    "domain": "contoso.edu",
}


def organization_seed_demo(*, admin_password: str) -> tuple[Organization, AppleAccount]:
    """The demo organisation and its administrator; safe to run again."""
    # The administrator accepted the current terms when the organisation enrolled.
    organization, _ = Organization.objects.get_or_create(
        org_id=DEMO_ORG["org_id"], defaults={**DEMO_ORG, "terms_accepted_version": 1}
    )
    account, created = AppleAccount.objects.get_or_create(
        apple_id=f"admin@appleid.{organization.domain}",
        defaults={
            "organization": organization,
            "first_name": "Alex",
            "last_name": "Wilber",
            "password": make_password(admin_password),
            "role": AppleAccount.Role.ADMINISTRATOR,
        },
    )
    if not created:
        account.password = make_password(admin_password)
        account.save(update_fields=["password"])
    return organization, account


def inventory_top_up(*, organization: Organization, devices: int, seed: int | None = None) -> int:
    """Buy devices until the organisation owns `devices` of them; returns how many were added."""
    missing = devices - Device.objects.filter(organization=organization).count()
    if missing <= 0:
        return 0
    rng = random.Random(seed if seed is not None else secrets.randbits(32))
    taken_serials = set(Device.objects.values_list("serial_number", flat=True))
    taken_orders = set(
        PurchaseOrder.objects.filter(organization=organization).values_list("order_number", flat=True)
    )
    today = timezone.now().date()
    rows: list[tuple[Any, ...]] = []
    with transaction.atomic(using="apple"):
        for planned in inventory.plan_orders(
            missing,
            rng=rng,
            today=today,
            taken_serials=taken_serials,
            taken_orders=taken_orders,
        ):
            order = PurchaseOrder.objects.create(
                organization=organization,
                order_number=planned.order_number,
                order_date=planned.order_date,
            )
            rows += [
                (organization.pk, order.pk, item.serial_number, item.model, item.description, item.color)
                + (item.device_family, item.os)
                for item in planned.devices
            ]
        rows_insert(Device, INVENTORY_FIELDS, rows)
        added = len(rows)
    if added >= BULK:
        _analyze(Device._meta.db_table)
    return added


BULK = 10_000
# The columns the bulk writes set (mock_apple.bulk.rows_insert); the others take their defaults.
INVENTORY_FIELDS = (
    "organization",
    "order",
    "serial_number",
    "model",
    "description",
    "color",
    "device_family",
    "os",
)
EVENT_FIELDS = ("mdm_server", "device", "op_type", "op_date", "actor")


def _analyze(*tables: str) -> None:
    """Refresh the planner's statistics after a bulk change, so that the very next fetch or
    inventory page uses the indexes (PostgreSQL's autovacuum would get there, but later)."""
    with connections[DB].cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connections[DB].ops.quote_name(table)}")


def organization_demo() -> Organization | None:
    return Organization.objects.order_by("id").first()


def _lock_organization(organization: Organization) -> None:
    Organization.objects.select_for_update().filter(pk=organization.pk).values_list("pk").first()


# --- Terms and conditions -------------------------------------------------------------------


def terms_publish(*, organization: Organization) -> Organization:
    """A trainer publishes new terms: the DEP API answers T_C_NOT_SIGNED until they are accepted."""
    Organization.objects.filter(pk=organization.pk).update(terms_version=organization.terms_version + 1)
    organization.refresh_from_db()
    return organization


def terms_accept(*, actor: AppleAccount | None, organization: Organization) -> Organization:
    auth.require_administrator(actor)
    Organization.objects.filter(pk=organization.pk).update(terms_accepted_version=organization.terms_version)
    organization.refresh_from_db()
    return organization


# --- MDM servers and server tokens ----------------------------------------------------------


def mdm_server_create(*, actor: AppleAccount | None, organization: Organization, name: str) -> MdmServer:
    auth.require_device_manager(actor)
    name = name.strip()
    if not name:
        raise ValidationError(_("Enter a name for the MDM server."), code="required")
    if len(name) > 200:
        raise ValidationError(_("The name can have at most 200 characters."), code="max_length")
    if MdmServer.objects.filter(organization=organization, name__iexact=name).exists():
        raise ValidationError(_("An MDM server with this name already exists."), code="unique")
    return MdmServer.objects.create(
        organization=organization,
        name=name,
        server_uuid=uuid.uuid4().hex.upper(),
        created_at=clock.now(),
        created_by=actor.apple_id if actor else "",
    )


def mdm_server_certificate_upload(*, actor: AppleAccount | None, server: MdmServer, data: bytes) -> MdmServer:
    """Keep the MDM vendor's public-key certificate that server tokens are encrypted to."""
    auth.require_device_manager(actor)
    if len(data) > settings.ASM_MAX_UPLOAD_BYTES:
        raise ValidationError(_("The file is too large."), code="too_large")
    try:
        certificate = crypto.load_rsa_certificate(data)
    except crypto.CertificateError:
        raise ValidationError(
            _(
                "This file is not a public-key certificate (.pem) with an RSA key. Upload the .pem file your MDM server gave you."
            ),
            code="invalid",
        ) from None
    server.certificate_pem = crypto.certificate_pem(certificate)
    server.certificate_uploaded_at = clock.now()
    server.save(update_fields=["certificate_pem", "certificate_uploaded_at"])
    return server


def mdm_server_add(
    *, actor: AppleAccount | None, organization: Organization, name: str, certificate: bytes
) -> MdmServer:
    """Add MDM server as the portal's form does: a name and the public key, both or nothing."""
    with transaction.atomic(using=DB):
        server = mdm_server_create(actor=actor, organization=organization, name=name)
        return mdm_server_certificate_upload(actor=actor, server=server, data=certificate)


def server_token_issue(
    *, actor: AppleAccount | None, server: MdmServer, issued_by: AppleAccount | None = None
) -> tuple[ServerToken, dict[str, str]]:
    """New OAuth credentials for the server; every earlier token of the server stops working."""
    auth.require_device_manager(actor)
    now = clock.now()
    values = {
        "consumer_key": f"CK_{secrets.token_hex(48)}",
        "consumer_secret": f"CS_{secrets.token_hex(20)}",
        "access_token": f"AT_O{secrets.randbelow(10**10):010d}O{secrets.token_hex(40)}",
        "access_secret": f"AS_{secrets.token_hex(20)}",
        "access_token_expiry": crypto.rfc3339(now + TOKEN_LIFETIME),
    }
    with transaction.atomic(using=DB):
        server_token_revoke(server=server)
        token = ServerToken.objects.create(
            mdm_server=server,
            consumer_key=values["consumer_key"],
            consumer_secret_encrypted=crypto.encrypt(values["consumer_secret"]),
            access_token=values["access_token"],
            access_secret_encrypted=crypto.encrypt(values["access_secret"]),
            access_token_expiry=now.replace(microsecond=0) + TOKEN_LIFETIME,
            created_at=now,
            issued_by=issued_by or actor,
        )
    return token, values


def server_token_file(
    *, actor: AppleAccount | None, server: MdmServer, issued_by: AppleAccount | None = None
) -> tuple[str, bytes]:
    """Get token: the .p7m and its file name, encrypted to the server's uploaded certificate."""
    auth.require_device_manager(actor)
    if not server.certificate_pem:
        raise ValidationError(_("Upload the MDM server's public key (.pem) before you download a token."))
    certificate = crypto.load_rsa_certificate(server.certificate_pem.encode())
    token, values = server_token_issue(actor=actor, server=server, issued_by=issued_by)
    stamp = token.created_at.strftime("%Y-%m-%dT%H-%M-%SZ")
    safe_name = "".join(c if c.isalnum() or c in " -_." else "_" for c in server.name).strip() or "server"
    return f"{safe_name}_Token_{stamp}_smime.p7m", crypto.server_token_file(
        values=values, recipient=certificate
    )


def server_token_revoke(*, server: MdmServer) -> int:
    """Revoke the server's live tokens and close their sessions (clients then get token_rejected)."""
    live = ServerToken.objects.filter(mdm_server=server, revoked_at__isnull=True)
    AuthSession.objects.filter(server_token__in=live).delete()
    return live.update(revoked_at=clock.now())


# --- Device assignments (the ASM portal's Device Assignments page) --------------------------


class AssignmentInputError(ValidationError):
    """Bad input for a device assignment: nothing is changed, every problem is reported."""


def serials_from_text(text: str) -> list[str]:
    """Serial numbers pasted by hand: separated by commas, spaces or new lines."""
    return [item.strip().upper() for item in text.replace(",", " ").split() if item.strip()]


def serials_from_csv(data: bytes) -> list[str]:
    """A CSV file with a "Serial Number" column (other columns are ignored)."""
    if len(data) > settings.ASM_MAX_CSV_UPLOAD_BYTES:
        raise AssignmentInputError(_("The CSV file is too large."), code="too_large")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AssignmentInputError(_("The CSV file is not UTF-8 text."), code="encoding") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise AssignmentInputError(_("The CSV file is empty."), code="empty")
    header = [cell.strip().lower() for cell in rows[0]]
    if "serial number" not in header:
        raise AssignmentInputError(
            _('The first line of the CSV file must be a header with a "Serial Number" column.'),
            code="header",
        )
    column = header.index("serial number")
    return [row[column].strip().upper() for row in rows[1:] if len(row) > column and row[column].strip()]


def serials_resolve(*, organization: Organization, serials: Sequence[str]) -> list[int]:
    """The ids of the organisation's devices with these serials; unknown or repeated serials refuse all."""
    if not serials:
        raise AssignmentInputError(_("Choose at least one device."), code="empty")
    problems: list[str] = []
    counts = Counter(serials)
    duplicates = sorted(serial for serial, count in counts.items() if count > 1)
    if duplicates:
        problems.append(
            ngettext(
                "%(count)d serial number appears more than once: %(serials)s",
                "%(count)d serial numbers appear more than once: %(serials)s",
                len(duplicates),
            )
            % {"count": len(duplicates), "serials": _sample(duplicates)}
        )
    found: dict[str, int] = {}
    unique = sorted(counts)
    for start in range(0, len(unique), CHUNK):
        found.update(
            Device.objects.filter(
                organization=organization,
                disowned_at__isnull=True,
                serial_number__in=unique[start : start + CHUNK],
            ).values_list("serial_number", "id")
        )
    unknown = [serial for serial in unique if serial not in found]
    if unknown:
        problems.append(
            ngettext(
                "%(count)d serial number is not in your organisation: %(serials)s",
                "%(count)d serial numbers are not in your organisation: %(serials)s",
                len(unknown),
            )
            % {"count": len(unknown), "serials": _sample(unknown)}
        )
    if problems:
        raise AssignmentInputError(problems)
    return [found[serial] for serial in unique]


def order_device_ids(*, organization: Organization, order_number: str) -> list[int]:
    order = PurchaseOrder.objects.filter(
        organization=organization, order_number=order_number.strip().upper()
    ).first()
    if order is None:
        raise AssignmentInputError(_("There is no order with this number."), code="unknown_order")
    return list(order.devices.filter(disowned_at__isnull=True).order_by("id").values_list("id", flat=True))


def _sample(items: Sequence[str], shown: int = 10) -> str:
    text = ", ".join(items[:shown])
    return text + (" …" if len(items) > shown else "")


@dataclass
class AssignmentResult:
    added: int = 0
    moved: int = 0
    unchanged: int = 0
    unassigned: int = 0
    events: int = 0
    servers: set[int] = field(default_factory=set)


def _clear_profile_fields() -> dict[str, Any]:
    return {"profile_uuid": "", "profile_status": Device.ProfileStatus.EMPTY, "profile_assign_time": None}


def devices_assign(
    *,
    actor: AppleAccount | None,
    organization: Organization,
    server: MdmServer,
    device_ids: Iterable[int],
    assigned_by: str = "",
) -> AssignmentResult:
    """Assign to `server`: `added` on its feed (a move: `deleted` on the old server's feed and,
    as Apple does, `modified` on the new one unless MockConfig says otherwise)."""
    auth.require_device_manager(actor)
    if server.organization_id != organization.pk:
        raise ValidationError(_("This MDM server belongs to another organisation."))
    by = assigned_by or (actor.apple_id if actor else "")
    move_op = MockConfig.load().move_op_type
    result = AssignmentResult()
    ids = list(device_ids)
    with transaction.atomic(using=DB):
        _lock_organization(organization)
        now = clock.now()
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            current = dict(
                Device.objects.filter(id__in=chunk, organization=organization).values_list(
                    "id", "mdm_server_id"
                )
            )
            events: list[tuple[Any, ...]] = []
            new_ids: list[int] = []
            for device_id in chunk:
                if device_id not in current:
                    continue
                old = current[device_id]
                if old == server.pk:
                    result.unchanged += 1
                    continue
                new_ids.append(device_id)
                if old is None:
                    result.added += 1
                    op = DeviceEvent.OpType.ADDED
                else:
                    result.moved += 1
                    result.servers.add(old)
                    events.append((old, device_id, "deleted", now, by))
                    op = move_op
                events.append((server.pk, device_id, str(op), now, by))
            if not new_ids:
                continue
            rows_insert(DeviceEvent, EVENT_FIELDS, events)
            result.events += len(events)
            seq = DeviceEvent.objects.filter(mdm_server=server).aggregate(seq=Max("id"))["seq"]
            Device.objects.filter(id__in=new_ids).update(
                mdm_server=server,
                device_assigned_date=now,
                device_assigned_by=by,
                assignment_seq=seq,
                **_clear_profile_fields(),
            )
    result.servers.add(server.pk)
    if result.events >= BULK:
        _analyze(Device._meta.db_table, DeviceEvent._meta.db_table)
    return result


def devices_unassign(
    *,
    actor: AppleAccount | None,
    organization: Organization,
    device_ids: Iterable[int],
    assigned_by: str = "",
) -> AssignmentResult:
    """Release devices from their MDM server: `deleted` on that server's feed."""
    auth.require_device_manager(actor)
    by = assigned_by or (actor.apple_id if actor else "")
    result = AssignmentResult()
    ids = list(device_ids)
    with transaction.atomic(using=DB):
        _lock_organization(organization)
        now = clock.now()
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            current = list(
                Device.objects.filter(
                    id__in=chunk, organization=organization, mdm_server__isnull=False
                ).values_list("id", "mdm_server_id")
            )
            result.unchanged += len(chunk) - len(current)
            if not current:
                continue
            rows_insert(DeviceEvent, EVENT_FIELDS, [(old, pk, "deleted", now, by) for pk, old in current])
            result.events += len(current)
            result.unassigned += len(current)
            result.servers.update(old for _, old in current)
            Device.objects.filter(id__in=[pk for pk, _ in current]).update(
                mdm_server=None,
                device_assigned_date=None,
                device_assigned_by="",
                assignment_seq=None,
                **_clear_profile_fields(),
            )
    return result


def devices_assign_unassigned(*, server: MdmServer, count: int, assigned_by: str = "") -> AssignmentResult:
    """For the CLI and the control API: give the server `count` devices nobody has yet."""
    ids = list(
        Device.objects.filter(
            organization_id=server.organization_id, mdm_server__isnull=True, disowned_at__isnull=True
        )
        .order_by("id")
        .values_list("id", flat=True)[:count]
    )
    if len(ids) < count:
        raise ValidationError(
            _("Only %(available)d unassigned devices are left in the inventory.") % {"available": len(ids)}
        )
    return devices_assign(
        actor=None, organization=server.organization, server=server, device_ids=ids, assigned_by=assigned_by
    )


# --- What an MDM server does through the DEP API --------------------------------------------


def _server_devices(server: MdmServer, serials: Sequence[str]) -> dict[str, Device]:
    found: dict[str, Device] = {}
    unique = sorted(set(serials))
    for start in range(0, len(unique), CHUNK):
        for device in Device.objects.filter(
            mdm_server=server, serial_number__in=unique[start : start + CHUNK]
        ):
            found[device.serial_number] = device
    return found


def _profile_fields_set(server: MdmServer, devices: list[Device], now: Any, **fields: Any) -> None:
    """Change the devices' profile fields and write a `modified` line for each on the feed."""
    ids = [device.pk for device in devices]
    for start in range(0, len(ids), CHUNK):
        Device.objects.filter(id__in=ids[start : start + CHUNK]).update(**fields)
    DeviceEvent.objects.bulk_create(
        [DeviceEvent(mdm_server=server, device=d, op_type="modified", op_date=now) for d in devices],
        batch_size=CHUNK,
    )


def profile_define(*, server: MdmServer, data: dict[str, Any]) -> Profile:
    return Profile.objects.create(
        mdm_server=server, profile_uuid=uuid.uuid4().hex.upper(), data=data, created_at=clock.now()
    )


def profile_assign(
    *, server: MdmServer, profile: Profile, serials: Sequence[str], throttling: bool
) -> dict[str, str]:
    """Assign the profile: per serial SUCCESS, NOT_ACCESSIBLE, FAILED or THROTTLED (fault injection).

    `throttling` is False below protocol version 9: a throttled device then simply FAILED.
    """
    config = MockConfig.load()
    answers: dict[str, str] = {}
    with transaction.atomic(using=DB):
        _lock_organization(server.organization)
        now = clock.now()
        devices = _server_devices(server, serials)
        changed: list[Device] = []
        for serial in serials:
            device = devices.get(serial)
            if device is None:
                answers[serial] = "NOT_ACCESSIBLE"
            elif serial in config.failed_serials:
                answers[serial] = "FAILED"
            elif serial in config.throttle_serials or random.random() < config.throttle_rate:  # noqa: S311
                answers[serial] = "THROTTLED" if throttling else "FAILED"
            else:
                answers[serial] = "SUCCESS"
                changed.append(device)
        _profile_fields_set(
            server,
            changed,
            now,
            profile_uuid=profile.profile_uuid,
            profile_status=Device.ProfileStatus.ASSIGNED,
            profile_assign_time=now,
            profile_push_time=None,
        )
    return answers


def profile_clear(*, server: MdmServer, serials: Sequence[str]) -> dict[str, str]:
    with transaction.atomic(using=DB):
        _lock_organization(server.organization)
        now = clock.now()
        devices = _server_devices(server, serials)
        answers = {serial: "SUCCESS" if serial in devices else "NOT_ACCESSIBLE" for serial in serials}
        _profile_fields_set(
            server,
            list(devices.values()),
            now,
            profile_uuid="",
            profile_status=Device.ProfileStatus.REMOVED,
            profile_assign_time=now,
        )
    return answers


def devices_disown(*, server: MdmServer, serials: Sequence[str]) -> dict[str, str]:
    """Disown: the devices leave the organisation for good (`deleted` on the server's feed)."""
    with transaction.atomic(using=DB):
        _lock_organization(server.organization)
        now = clock.now()
        devices = _server_devices(server, serials)
        answers = {serial: "SUCCESS" if serial in devices else "NOT_ACCESSIBLE" for serial in serials}
        DeviceEvent.objects.bulk_create(
            [
                DeviceEvent(mdm_server=server, device=d, op_type="deleted", op_date=now)
                for d in devices.values()
            ]
        )
        Device.objects.filter(id__in=[d.pk for d in devices.values()]).update(
            mdm_server=None, disowned_at=now, assignment_seq=None, **_clear_profile_fields()
        )
    return answers


def device_activation_lock(*, server: MdmServer, serial: str) -> str:
    with transaction.atomic(using=DB):
        device = Device.objects.select_for_update().filter(mdm_server=server, serial_number=serial).first()
        if device is None:
            return "NOT_ACCESSIBLE"
        if device.activation_locked:
            return "DEVICE_ALREADY_LOCKED"
        device.activation_locked = True
        device.save(update_fields=["activation_locked"])
    return "SUCCESS"


# --- Fault injection, sessions and the clock ------------------------------------------------

ENDPOINTS = (
    "session",
    "account",
    "fetch",
    "sync",
    "details",
    "disown",
    "profile_define",
    "profile_get",
    "profile_assign",
    "profile_remove",
    "activationlock",
    "roster",  # this emulator's own POST /roster/import
)
ANY_ENDPOINT = "*"


def fault_queue(
    *,
    endpoint: str,
    status: int | None,
    code: str = "",
    retry_after: int | None = None,
    latency_ms: int = 0,
    count: int = 1,
) -> ForcedResponse:
    if endpoint not in (*ENDPOINTS, ANY_ENDPOINT):
        raise ValidationError(_("Unknown endpoint: %(endpoint)s") % {"endpoint": endpoint})
    if status is not None and not 400 <= status <= 599:
        raise ValidationError(_("The status must be an HTTP error status (400 to 599)."))
    if status is None and not latency_ms:
        raise ValidationError(_("Give a status, a latency, or both."))
    if count < 1 or count > 10_000:
        raise ValidationError(_("The count must be between 1 and 10,000."))
    if latency_ms < 0 or latency_ms > 60_000:
        raise ValidationError(_("The latency must be between 0 and 60,000 ms."))
    return ForcedResponse.objects.create(
        endpoint=endpoint,
        status=status,
        code=code.strip(),
        retry_after=retry_after,
        latency_ms=latency_ms,
        remaining=count,
        created_at=clock.now(),
    )


def fault_take(*, endpoint: str) -> ForcedResponse | None:
    """The next queued fault for this endpoint, used up atomically (several processes may serve)."""
    for fault in ForcedResponse.objects.filter(
        endpoint__in=(endpoint, ANY_ENDPOINT), remaining__gt=0
    ).order_by("id")[:5]:
        if ForcedResponse.objects.filter(pk=fault.pk, remaining__gt=0).update(remaining=fault.remaining - 1):
            ForcedResponse.objects.filter(pk=fault.pk, remaining=0).delete()
            return fault
    return None


def faults_clear() -> None:
    """Empty the queue and switch off every fault; the clock and the session settings stay."""
    ForcedResponse.objects.all().delete()
    MockConfig.load()
    MockConfig.objects.filter(pk=1).update(
        echoed_cursor_remaining=0, throttle_rate=0.0, throttle_serials=[], failed_serials=[]
    )
    MdmServer.objects.filter(access_denied=True).update(access_denied=False)


def mock_reset() -> MockConfig:
    """Everything back to the defaults: faults, sessions, clock."""
    faults_clear()
    MockConfig.objects.filter(pk=1).delete()
    return MockConfig.load()


CONFIG_FIELDS = (
    "session_ttl_seconds",
    "session_rotation",
    "echoed_cursor_remaining",
    "throttle_rate",
    "throttle_serials",
    "failed_serials",
    "retry_after_seconds",
    "move_op_type",
    "quoted_errors",
    "profile_not_found_status",
)


def config_update(**changes: Any) -> MockConfig:
    """Change the mock's switches; every value is checked before any is saved."""
    config = MockConfig.load()
    errors: dict[str, str] = {}
    for name, value in changes.items():
        if name not in CONFIG_FIELDS:
            errors[name] = _("Unknown setting.")
            continue
        error = _config_error(name, value)
        if error:
            errors[name] = error
        else:
            if name.endswith("_serials"):
                value = [str(serial).strip().upper() for serial in value]
            setattr(config, name, value)
    if errors:
        raise ValidationError(errors)
    config.save()
    return config


def _config_error(name: str, value: Any) -> str:
    if name in ("session_rotation", "quoted_errors"):
        return "" if isinstance(value, bool) else _("Must be true or false.")
    if name.endswith("_serials"):
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value) and len(value) <= 10_000
        return "" if ok else _("Must be a list of serial numbers.")
    if name == "throttle_rate":
        ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1
        return "" if ok else _("Must be a number from 0 to 1.")
    if name == "move_op_type":
        return "" if value in ("modified", "added") else _('Must be "modified" or "added".')
    if name == "profile_not_found_status":
        return "" if value in (400, 404) else _("Must be 400 or 404.")
    limits = {
        "session_ttl_seconds": (5, 86_400),
        "echoed_cursor_remaining": (0, 1000),
        "retry_after_seconds": (0, 604_800),
    }
    low, high = limits[name]
    ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    return "" if ok else _("Must be a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}


def clock_set_offset(*, seconds: int) -> None:
    if abs(seconds) > 10 * 365 * 86_400:
        raise ValidationError(_("The offset can be at most ten years."))
    clock.set_offset(timedelta(seconds=seconds))


def session_open(*, server_token: ServerToken, ttl_seconds: int) -> str:
    value = secrets.token_urlsafe(32)
    now = clock.now()
    AuthSession.objects.create(
        token_digest=_digest(value),
        server_token=server_token,
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds),
    )
    # Housekeeping on the way: sessions long expired.
    AuthSession.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    return value


def session_find(value: str) -> AuthSession | None:
    if not value:
        return None
    session = (
        AuthSession.objects.select_related(
            "server_token__mdm_server__organization", "server_token__issued_by"
        )
        .filter(token_digest=_digest(value))
        .first()
    )
    if session is None or session.expires_at <= clock.now():
        return None
    return session


ROTATION_GRACE = timedelta(seconds=30)


def session_rotate(*, session: AuthSession, ttl_seconds: int) -> str:
    """A new session for the same token; the old one lives on briefly for calls in flight."""
    value = session_open(server_token=session.server_token, ttl_seconds=ttl_seconds)
    grace = clock.now() + ROTATION_GRACE
    AuthSession.objects.filter(pk=session.pk, expires_at__gt=grace).update(expires_at=grace)
    return value


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- Apple Push Certificates portal ---------------------------------------------------------

CA_NAME = "Apple Application Integration 2 Certification Authority (mock)"
DEVICE_CA_NAME = "Apple iPhone Device CA (mock)"


def certificate_authority(purpose: str = CertificateAuthority.Purpose.PUSH) -> CertificateAuthority:
    """A mock Apple CA (push certificates, or device identities), generated on first use."""
    name = DEVICE_CA_NAME if purpose == CertificateAuthority.Purpose.DEVICE else CA_NAME
    with transaction.atomic(using=DB):
        existing = (
            CertificateAuthority.objects.select_for_update().filter(purpose=purpose).order_by("id").first()
        )
        if existing:
            return existing
        certificate_pem, key_pem = crypto.ca_create(name=name, now=timezone.now())
        return CertificateAuthority.objects.create(
            purpose=purpose,
            name=name,
            certificate_pem=certificate_pem,
            private_key_encrypted=crypto.encrypt(key_pem),
            created_at=clock.now(),
        )


def push_certificate_issue(
    *, actor: AppleAccount, csr_data: bytes, renew: PushCertificate | None = None
) -> PushCertificate:
    """Sign the MDM vendor's CSR; a renewal keeps the topic, so enrolled devices stay managed."""
    auth.require_device_manager(actor)
    if len(csr_data) > settings.ASM_MAX_UPLOAD_BYTES:
        raise ValidationError(_("The file is too large."), code="too_large")
    try:
        csr = crypto.load_csr(csr_data)
    except crypto.CertificateError:
        raise ValidationError(
            _("This file is not a certificate signing request (CSR) with an RSA key."), code="invalid"
        ) from None
    if renew is not None and renew.account_id != actor.pk:
        raise ValidationError(_("You can renew only your own certificates."))
    topic_uuid = renew.topic.rsplit(".", 1)[-1] if renew else str(uuid.uuid4())
    authority = certificate_authority()
    now = clock.now()
    certificate = crypto.push_certificate_sign(
        csr=csr,
        topic_uuid=topic_uuid,
        ca_certificate_pem=authority.certificate_pem,
        ca_key_pem=crypto.decrypt(authority.private_key_encrypted),
        now=now,
    )
    with transaction.atomic(using=DB):
        issued = PushCertificate.objects.create(
            account=actor,
            topic=f"com.apple.mgmt.External.{topic_uuid}",
            serial_number=format(certificate.serial_number, "X"),
            subject=certificate.subject.rfc4514_string(),
            certificate_pem=crypto.certificate_pem(certificate),
            not_after=certificate.not_valid_after_utc,
            created_at=now,
        )
        if renew is not None:
            PushCertificate.objects.filter(pk=renew.pk).update(replaced_by=issued)
    return issued


def push_certificates_of(account: AppleAccount) -> QuerySet[PushCertificate]:
    return PushCertificate.objects.filter(account=account, replaced_by__isnull=True)
