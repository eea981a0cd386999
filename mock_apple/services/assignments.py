"""Device assignments and their change feed: serial numbers from a form or a CSV file, devices
assigned to or released from an MDM server, and what an MDM server does to its devices
through the DEP API (profiles, disown, Activation Lock).

Every change to a device's server or profile goes through here and writes the DeviceEvents
that POST /devices/sync serves. Changes of one organisation are serialised by a lock on its
row, so that event ids commit in order and a sync never skips an event.
"""

from __future__ import annotations

import csv
import io
import random
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mock_apple import auth, clock
from mock_apple.bulk import rows_insert
from mock_apple.db import BULK, CHUNK, DB, chunks, organization_lock, tables_analyze
from mock_apple.models import (
    AppleAccount,
    Device,
    DeviceEvent,
    MdmServer,
    MockConfig,
    Organization,
    Profile,
    PurchaseOrder,
)

EVENT_FIELDS = ("mdm_server", "device", "op_type", "op_date", "actor")


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
    for chunk in chunks(unique):
        found.update(
            Device.objects.filter(
                organization=organization,
                disowned_at__isnull=True,
                serial_number__in=chunk,
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


def _locked_now(organization: Organization) -> datetime:
    """Lock the organisation's row, then read the clock (inside a transaction): the changes of
    one organisation, and their events, are dated in the order they commit."""
    organization_lock(organization)
    return clock.now()


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
    with transaction.atomic(using=DB):
        now = _locked_now(organization)
        for chunk in chunks(list(device_ids)):
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
        tables_analyze(Device._meta.db_table, DeviceEvent._meta.db_table)
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
    with transaction.atomic(using=DB):
        now = _locked_now(organization)
        for chunk in chunks(list(device_ids)):
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


def devices_release(*, organization: Organization, device_ids: Iterable[int], released_by: str = "") -> int:
    """Apple Business's RELEASE_DEVICES: the devices leave the organisation for good (`deleted`
    on their server's feed, as a disown)."""
    ids = list(device_ids)
    devices_unassign(actor=None, organization=organization, device_ids=ids, assigned_by=released_by)
    released = 0
    with transaction.atomic(using=DB):
        now = _locked_now(organization)
        for chunk in chunks(ids):
            released += Device.objects.filter(id__in=chunk, organization=organization).update(disowned_at=now)
    return released


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
    for chunk in chunks(unique):
        for device in Device.objects.filter(mdm_server=server, serial_number__in=chunk):
            found[device.serial_number] = device
    return found


def _profile_fields_set(server: MdmServer, devices: list[Device], now: Any, **fields: Any) -> None:
    """Change the devices' profile fields and write a `modified` line for each on the feed."""
    ids = [device.pk for device in devices]
    for chunk in chunks(ids):
        Device.objects.filter(id__in=chunk).update(**fields)
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
        now = _locked_now(server.organization)
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


def _server_devices_locked(
    server: MdmServer, serials: Sequence[str]
) -> tuple[datetime, dict[str, Device], dict[str, str]]:
    """Inside a transaction: lock the organisation, then the time, the server's devices among
    these serials and the answer per serial (SUCCESS, or NOT_ACCESSIBLE if not the server's)."""
    now = _locked_now(server.organization)
    devices = _server_devices(server, serials)
    answers = {serial: "SUCCESS" if serial in devices else "NOT_ACCESSIBLE" for serial in serials}
    return now, devices, answers


def profile_clear(*, server: MdmServer, serials: Sequence[str]) -> dict[str, str]:
    with transaction.atomic(using=DB):
        now, devices, answers = _server_devices_locked(server, serials)
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
        now, devices, answers = _server_devices_locked(server, serials)
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
