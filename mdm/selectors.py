"""The managed-device reads for the blades: Intune's device list (search, filters, sort, a page,
the CSV export), one device with its actions, the tenant's Device actions monitor."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Max, Q, QuerySet
from django.db.models.fields.tuple_lookups import (  # type: ignore[import-untyped]
    Tuple,
    TupleGreaterThan,
    TupleLessThan,
)
from django.shortcuts import get_object_or_404
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from asm_portal import clock
from mdm.apns import RECENT_DAYS, push_failure_text
from mdm.models import (
    DeviceAction,
    DeviceActionState,
    DeviceCommand,
    ManagedDevice,
    ManagementState,
    PushFailure,
)

# Intune drops a device from the list once it is retired or wiped (at its next check-in) and at
# once when it is deleted.
LISTED_STATES = (ManagementState.MANAGED, ManagementState.RETIRE_PENDING, ManagementState.WIPE_PENDING)
SORTS: dict[str, str] = {
    "name": "device_name",
    "os_version": "os_version",
    "user": "user_principal_name",
    "checkin": "last_checkin_at",
    "serial": "serial_number",
    "model": "model_name",
    "enrolled": "enrolled_at",
    "state": "management_state",
}
GRID_FIELDS = (
    "id",
    "device_name",
    "serial_number",
    "model_name",
    "product_name",
    "os_version",
    "user_principal_name",
    "management_state",
    "last_checkin_at",
    "enrolled_at",
    "is_supervised",
    "is_shared_ipad",
    "device_id",
)
YES, NO = "yes", "no"


@dataclass(frozen=True)
class ManagedDeviceFilters:
    """The list's search box, filter pills and sort, read from the query string."""

    search: str = ""
    state: str = ""
    supervised: str = ""  # "", "yes", "no"
    shared: str = ""
    sort: str = "name"
    descending: bool = False

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> ManagedDeviceFilters:
        def yes_no(key: str) -> str:
            return params.get(key, "") if params.get(key) in (YES, NO) else ""

        sort = params.get("sort", "name")
        state = params.get("state", "")
        return cls(
            search=" ".join(params.get("q", "").split())[:64],
            state=state if state in LISTED_STATES else "",
            supervised=yes_no("supervised"),
            shared=yes_no("shared"),
            sort=sort if sort in SORTS else "name",
            descending=params.get("dir") == "desc",
        )

    @property
    def active(self) -> bool:
        return bool(self.search or self.state or self.supervised or self.shared)


def managed_devices_filtered(*, filters: ManagedDeviceFilters) -> QuerySet[ManagedDevice]:
    devices = ManagedDevice.objects.filter(
        management_state__in=filters.state and [filters.state] or LISTED_STATES
    )
    if filters.search:
        # Intune's search: the start of the device name, the serial number or the primary user.
        term = filters.search
        devices = devices.filter(
            Q(device_name__istartswith=term)
            | Q(serial_number__startswith=term.upper())
            | Q(user_principal_name__istartswith=term)
        )
    if filters.supervised:
        devices = devices.filter(is_supervised=filters.supervised == YES)
    if filters.shared:
        devices = devices.filter(is_shared_ipad=filters.shared == YES)
    return devices


@dataclass
class KeysetPage:
    """A page of the list reached by its neighbour's last (or first) row, never by OFFSET: the
    page 4,000 of 200,000 devices costs what the first does. `number` is for the reader; the
    cursors say where the next and previous pages start."""

    object_list: list[ManagedDevice]
    number: int
    count: int  # the exact total of the filtered list
    size: int
    next_cursor: str = ""
    previous_cursor: str = ""

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.size))

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.object_list else 0

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.object_list) - 1 if self.object_list else 0


def cursor_encode(device: ManagedDevice, field: str) -> str:
    value = getattr(device, field)
    key = [value.isoformat() if isinstance(value, datetime) else value, device.serial_number, device.pk]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _cursor_decode(text: str, field: str) -> tuple[Any, str, int] | None:
    """The row a cursor names, or None when it is not one of ours (then the list starts over)."""
    try:
        value, serial, pk = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        return None
    if not isinstance(serial, str) or not isinstance(pk, int) or isinstance(pk, bool):
        return None
    if field in DATETIME_SORTS and value is not None:
        try:
            value = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    elif value is not None and not isinstance(value, str):
        return None
    return value, serial, pk


NULLABLE_SORTS = frozenset({"last_checkin_at"})
# The sorts on a date column (nulls last going up, first going down, as PostgreSQL does).
DATETIME_SORTS = frozenset({"last_checkin_at", "enrolled_at"})


def _ordered(queryset: QuerySet[ManagedDevice], field: str, descending: bool) -> QuerySet[ManagedDevice]:
    if descending:
        return queryset.order_by(F(field).desc(nulls_first=True), "-serial_number", "-id")
    return queryset.order_by(F(field).asc(nulls_last=True), "serial_number", "id")


def _rows_after(
    rows: QuerySet[ManagedDevice], field: str, descending: bool, key: tuple[Any, str, int], size: int
) -> list[ManagedDevice]:
    """The `size` rows after `key` in the (field, serial number, id) order. Each part is one
    row-value comparison, which the planner reads as where to start in the list's index (an OR
    with the nulls would make it read the index from its start); a nullable column's nulls
    (last going up, first going down) are a part of their own."""
    value, serial, pk = key
    ordered = _ordered(rows, field, descending)
    null = Q(**{f"{field}__isnull": True})
    if value is None:
        rest = Tuple(F("serial_number"), F("id"))
        within = TupleLessThan(rest, (serial, pk)) if descending else TupleGreaterThan(rest, (serial, pk))
        found = list(ordered.filter(null & within)[:size])
        if descending and len(found) < size:  # past the nulls, the dated rows from the top
            found += list(ordered.filter(~null)[: size - len(found)])
        return found
    row = Tuple(F(field), F("serial_number"), F("id"))
    beyond = TupleLessThan(row, (value, serial, pk)) if descending else TupleGreaterThan(row, key)
    found = list(ordered.filter(beyond)[:size])
    if not descending and len(found) < size and field in NULLABLE_SORTS:
        found += list(ordered.filter(null)[: size - len(found)])
    return found


def managed_devices_page(
    queryset: QuerySet[ManagedDevice],
    filters: ManagedDeviceFilters,
    *,
    page: Any,
    size: int,
    after: str = "",
    before: str = "",
) -> KeysetPage:
    """A page of the list, only the shown columns, in the chosen order (ties by serial number and
    id). Next and Previous carry the neighbouring row (`after`, `before`): the page starts there in
    the index. Last is the first page of the reversed order. A page asked by its number alone
    (a URL typed by hand) is counted from the nearer end. One COUNT and one SELECT."""
    field = SORTS[filters.sort]
    desc = filters.descending
    rows = queryset.only(*GRID_FIELDS)
    count = queryset.count()
    num_pages = max(1, -(-count // size))
    number = _page_number(page, num_pages)
    key_after = _cursor_decode(after, field) if after else None
    key_before = _cursor_decode(before, field) if before and not key_after else None
    if key_after is not None:
        devices = _rows_after(rows, field, desc, key_after, size)
    elif key_before is not None:
        devices = _rows_after(rows, field, not desc, key_before, size)[::-1]
    elif number > (num_pages + 1) // 2:
        # From the end: the last page holds what is left after the full ones.
        from_end = (num_pages - number) * size
        last_size = count - (num_pages - 1) * size
        start = from_end - (size - last_size) if number < num_pages else 0
        take = last_size if number == num_pages else size
        devices = list(_ordered(rows, field, not desc)[max(0, start) : max(0, start) + take])[::-1]
    else:
        devices = list(_ordered(rows, field, desc)[(number - 1) * size : number * size])
    if not devices and number > 1 and (key_after or key_before):
        # The neighbouring row is gone (devices left the list): start over at the first page.
        number, devices = 1, list(_ordered(rows, field, desc)[:size])
    result = KeysetPage(devices, number, count, size)
    if devices:
        result.next_cursor = cursor_encode(devices[-1], field) if result.has_next else ""
        result.previous_cursor = cursor_encode(devices[0], field) if result.has_previous else ""
    return result


def _page_number(page: Any, num_pages: int) -> int:
    if page == "last":
        return num_pages
    text = str(page or "")
    return min(max(int(text), 1), num_pages) if text.isdigit() and len(text) < 9 else 1


def operating_system(device: ManagedDevice) -> str:
    """Intune's OS column: iPadOS for an iPad, else iOS."""
    return "iPadOS" if (device.product_name or device.model_name).startswith("iPad") else "iOS"


def _storage(value: Any) -> str:
    """DeviceCapacity / AvailableDeviceCapacity are in GB (floats)."""
    if isinstance(value, int | float):
        return f"{value:.2f} GB"
    return ""


def managed_devices_export_rows(queryset: QuerySet[ManagedDevice]) -> Iterator[list[str]]:
    """The filtered list as Intune's DevicesWithInventory export (header first), in chunks."""
    states = dict(ManagementState.choices)
    yes, no = _("Yes"), _("No")
    yield [
        _("Device name"),
        _("Managed by"),
        _("Ownership"),
        _("Compliance"),
        _("OS"),
        _("OS version"),
        _("Last check-in"),
        _("Serial number"),
        _("Manufacturer"),
        _("Model"),
        _("Wi-Fi MAC"),
        _("Total storage"),
        _("Free storage"),
        _("Primary user UPN"),
        _("Supervised"),
        _("Shared iPad"),
        _("Management state"),
        _("Enrolled date"),
        _("UDID"),
    ]
    fields = (*GRID_FIELDS, "udid", "inventory")
    rows = queryset.only(*fields).order_by("device_name", "serial_number", "id")
    for device in rows.iterator(chunk_size=2000):
        inventory = device.inventory or {}
        yield [
            device.device_name,
            "Intune",
            _("Corporate"),
            _("Not evaluated"),
            operating_system(device),
            device.os_version,
            _iso(device.last_checkin_at),
            device.serial_number,
            "Apple",
            device.model_name or device.product_name,
            str(inventory.get("WiFiMAC", "")),
            _storage(inventory.get("DeviceCapacity")),
            _storage(inventory.get("AvailableDeviceCapacity")),
            device.user_principal_name,
            yes if device.is_supervised else no,
            yes if device.is_shared_ipad else no,
            str(states.get(device.management_state, device.management_state)),
            _iso(device.enrolled_at),
            device.udid,
        ]


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


# --- One device -----------------------------------------------------------------------------


def managed_device_get(*, pk: int) -> ManagedDevice:
    """A device of the current tenant (another tenant's is a 404), deleted ones included: their
    blade stays reachable from the Device actions monitor."""
    return get_object_or_404(ManagedDevice.objects.select_related("device"), pk=pk)


def device_actions_recent(*, device: ManagedDevice, limit: int = 20) -> list[DeviceAction]:
    """The Overview's « Device actions status »: the latest actions, newest first."""
    return list(device.actions.select_related("requested_by").order_by("-requested_at", "-id")[:limit])


def device_pending_kinds(*, device: ManagedDevice) -> set[str]:
    return set(device.actions.filter(state=DeviceActionState.PENDING).values_list("kind", flat=True))


def device_location(*, device: ManagedDevice) -> dict[str, Any] | None:
    """The last DeviceLocation answer (Intune keeps a location 24 hours)."""
    command = (
        DeviceCommand.objects.filter(device=device, request_type="DeviceLocation", status="acknowledged")
        .order_by("-finished_at")
        .only("reply", "finished_at")
        .first()
    )
    if command is None or not isinstance(command.reply, dict):
        return None
    latitude, longitude = command.reply.get("Latitude"), command.reply.get("Longitude")
    if not isinstance(latitude, int | float) or not isinstance(longitude, int | float):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    if command.finished_at is None or clock.now() - command.finished_at > timedelta(hours=24):
        return None  # Intune keeps a location 24 hours
    return {
        **command.reply,
        "latitude": latitude,
        "longitude": longitude,
        "at": command.finished_at,
        # Where the pin goes on the map's 360 × 180 world grid (equirectangular), and the grid.
        "x": round(longitude + 180, 3),
        "y": round(90 - latitude, 3),
        "graticule": {"meridians": range(30, 360, 30), "parallels": range(30, 180, 30)},
    }


def _local(value: datetime | None) -> str:
    """A date and time in the reader's time zone and format (as the blades' other dates)."""
    return formats.localize(timezone.localtime(value)) if value else ""


def _yes_no(value: Any) -> str:
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    return ""


def _text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value)


# Apple: a bypass code works for 15 days after the device reported it.
BYPASS_CODE_DAYS = 15


def activation_lock_bypass_code(device: ManagedDevice) -> str:
    """The code as the device reported it, shown on Hardware while it is valid (15 days)."""
    code, at = device.activation_lock_bypass_code, device.activation_lock_bypass_code_at
    if not code or at is None or clock.now() - at > timedelta(days=BYPASS_CODE_DAYS):
        return ""
    return str(code)


def hardware_sections(device: ManagedDevice) -> list[tuple[str, list[tuple[str, str]]]]:
    """Intune's Hardware page for an iPad, from the device's DeviceInformation and SecurityInfo
    replies: (section, [(field, value)]); a value the device never reported is empty."""
    inv, sec = device.inventory or {}, device.security_info or {}
    battery = inv.get("BatteryLevel")
    battery_text = f"{round(battery * 100)}" if isinstance(battery, int | float) and battery >= 0 else ""
    return [
        (
            str(gettext_lazy("System")),
            [
                (_("Name"), device.device_name),
                (_("Management name"), f"{device.user_principal_name or device.serial_number}_iPad"),
                (_("UDID"), device.udid),
                (_("Intune device ID"), str(device.pk)),
                (_("Serial number"), device.serial_number),
                (_("Shared device"), _yes_no(device.is_shared_ipad)),
                (_("Resident users"), _text(inv.get("EstimatedResidentUsers"))),
                (_("User approved enrollment"), _yes_no(True)),
                (_("Enrolled date"), _local(device.enrolled_at)),
                (_("Last contact"), _local(device.last_checkin_at)),
                (_("Supervised"), _yes_no(device.is_supervised)),
                (_("Activation lock bypass code"), activation_lock_bypass_code(device)),
            ],
        ),
        (
            str(gettext_lazy("Operating system")),
            [
                (_("OS"), operating_system(device)),
                (_("OS version"), device.os_version),
                (_("Build version"), device.build_version),
            ],
        ),
        (
            str(gettext_lazy("Hardware")),
            [
                (_("Product name"), device.product_name),
                (_("Manufacturer"), "Apple"),
                (_("Model"), device.model_name),
                (_("Model number"), _text(inv.get("Model"))),
                (_("Total storage"), _storage(inv.get("DeviceCapacity"))),
                (_("Free storage"), _storage(inv.get("AvailableDeviceCapacity"))),
                (_("Battery level"), battery_text and f"{battery_text} %"),
            ],
        ),
        (
            str(gettext_lazy("Network details")),
            [
                (_("Wi-Fi MAC"), _text(inv.get("WiFiMAC"))),
                (_("Bluetooth MAC"), _text(inv.get("BluetoothMAC"))),
                (_("IMEI"), _text(inv.get("IMEI"))),
                (_("MEID"), _text(inv.get("MEID"))),
                (_("Phone number"), _text(inv.get("PhoneNumber"))),
                (_("ICCID"), _text(inv.get("ICCID"))),
            ],
        ),
        (
            str(gettext_lazy("Security")),
            [
                (
                    _("Encrypted"),
                    _yes_no(
                        sec.get("HardwareEncryptionCaps", 0) in (1, 2, 3)
                        if "HardwareEncryptionCaps" in sec
                        else None
                    ),
                ),
                (_("Passcode present"), _yes_no(sec.get("PasscodePresent"))),
                (_("Activation lock enabled"), _yes_no(inv.get("IsActivationLockEnabled"))),
                (_("Find My enabled"), _yes_no(inv.get("IsDeviceLocatorServiceEnabled"))),
                (_("Lost mode"), _yes_no(device.lost_mode_enabled)),
                (_("EAS device ID"), _text(inv.get("EASDeviceIdentifier"))),
            ],
        ),
    ]


def discovered_apps(device: ManagedDevice) -> list[dict[str, str]]:
    """Discovered apps: the InstalledApplicationList reply, by name."""
    apps = []
    for app in device.installed_apps or []:
        if isinstance(app, dict):
            apps.append(
                {
                    "name": _text(app.get("Name")) or _text(app.get("Identifier")),
                    "identifier": _text(app.get("Identifier")),
                    "version": _text(app.get("ShortVersion")) or _text(app.get("Version")),
                    "managed": _yes_no(app.get("IsManaged")) if "IsManaged" in app else "",
                }
            )
    return sorted(apps, key=lambda app: app["name"].lower())


def installed_profiles(device: ManagedDevice) -> list[dict[str, Any]]:
    """Device configuration: the ProfileList reply (each profile and its payload types)."""
    profiles = []
    for profile in device.installed_profiles or []:
        if isinstance(profile, dict):
            payloads = [p for p in profile.get("PayloadContent") or [] if isinstance(p, dict)]
            profiles.append(
                {
                    "name": _text(profile.get("PayloadDisplayName"))
                    or _text(profile.get("PayloadIdentifier")),
                    "identifier": _text(profile.get("PayloadIdentifier")),
                    "organization": _text(profile.get("PayloadOrganization")),
                    "managed": bool(profile.get("IsManaged")),
                    "payloads": ", ".join(_text(p.get("PayloadType")) for p in payloads),
                }
            )
    return sorted(profiles, key=lambda profile: profile["name"].lower())


def shared_ipad_users(device: ManagedDevice) -> list[dict[str, str]]:
    """Users: the users whose channel a Shared iPad opened (their TokenUpdates, by UserID)."""
    users = []
    for user_id, channel in (device.user_channels or {}).items():
        channel = channel if isinstance(channel, dict) else {}
        users.append(
            {
                "user_id": str(user_id),
                "name": _text(channel.get("UserShortName"))
                or _text(channel.get("UserLongName"))
                or str(user_id),
                "display_name": _text(channel.get("UserLongName")),
            }
        )
    return sorted(users, key=lambda user: user["name"].lower())


def managed_devices_selected(*, ids: list[int], limit: int) -> list[ManagedDevice]:
    return list(ManagedDevice.objects.filter(pk__in=ids[:limit]).order_by("device_name", "serial_number"))


def managed_ids_for_devices(*, device_ids: list[int]) -> dict[int, int]:
    """ASM device id → its managed device's id, for the devices grid and device page."""
    rows = ManagedDevice.objects.filter(device_id__in=device_ids).exclude(
        management_state=ManagementState.DELETE_PENDING
    )
    return {device_id: pk for pk, device_id in rows.values_list("pk", "device_id") if device_id}


# --- Monitor › Device actions ---------------------------------------------------------------


@dataclass(frozen=True)
class ActionFilters:
    kind: str = ""
    state: str = ""

    @classmethod
    def from_query(cls, params: Mapping[str, str], kinds: set[str]) -> ActionFilters:
        kind, state = params.get("kind", ""), params.get("state", "")
        return cls(
            kind=kind if kind in kinds else "", state=state if state in DeviceActionState.values else ""
        )


def device_actions_page(*, filters: ActionFilters, page: Any, size: int) -> Page[DeviceAction]:
    actions = DeviceAction.objects.select_related("device", "requested_by").only(
        "id",
        "kind",
        "state",
        "requested_at",
        "finished_at",
        "failure_reason",
        "device__id",
        "device__device_name",
        "device__serial_number",
        "device__management_state",
        "requested_by__username",
    )
    if filters.kind:
        actions = actions.filter(kind=filters.kind)
    if filters.state:
        actions = actions.filter(state=filters.state)
    return Paginator(actions.order_by("-requested_at", "-id"), size).get_page(page)


# --- Push failures (the Apple MDM Push certificate blade, a device's blade) ----------------------


@dataclass(frozen=True)
class PushFailureReason:
    status: int
    reason: str
    text: str  # explained in the reader's language
    count: int
    devices: int
    last_at: datetime


@dataclass(frozen=True)
class PushFailuresSummary:
    days: int
    total: int
    devices: int  # devices that missed at least one push
    reasons: list[PushFailureReason]


def push_failures_recent(*, days: int = RECENT_DAYS) -> PushFailuresSummary:
    """The pushes that failed in the last `days` days, by reason, most frequent first (the
    retried ones included: each attempt that failed counts)."""
    since = clock.now() - timedelta(days=days)
    recent = PushFailure.objects.filter(failed_at__gte=since)
    rows = (
        recent.values("status", "reason")
        .annotate(count=Count("id"), devices=Count("device", distinct=True), last_at=Max("failed_at"))
        .order_by("-count", "status", "reason")
    )
    reasons = [
        PushFailureReason(
            status=row["status"],
            reason=row["reason"],
            text=push_failure_text(row["status"], row["reason"]),
            count=row["count"],
            devices=row["devices"],
            last_at=row["last_at"],
        )
        for row in rows
    ]
    return PushFailuresSummary(
        days=days,
        total=sum(reason.count for reason in reasons),
        devices=recent.exclude(device=None).values("device").distinct().count() if reasons else 0,
        reasons=reasons,
    )


@dataclass(frozen=True)
class DevicePushState:
    text: str
    last_failure_at: datetime | None


def device_push_state(device: ManagedDevice) -> DevicePushState | None:
    """Why the device's last push failed, explained, or None when its last push went through."""
    if not device.last_push_error:
        return None
    last = PushFailure.objects.filter(device=device).order_by("-failed_at", "-id").first()
    status, _space, reason = device.last_push_error.partition(" ")
    return DevicePushState(
        text=push_failure_text(int(status) if status.isdigit() else 0, reason),
        last_failure_at=last.failed_at if last else None,
    )
