"""The devices app's reads: the grid (search, filters, sort, a page, the CSV export) and the
counts the token and profile blades show."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from asm_portal.ids import parse_id
from devices import counts
from devices.models import ENROLLED_STATES, Device, DeviceTally, EnrollmentState, ProfileStatus
from devices.selection import MAX_SELECTION
from profiles.models import EnrollmentProfile
from tokens.models import EnrollmentProgramToken

SORTS: dict[str, str] = {
    "serial": "serial_number",
    "details": "description",
    "model": "model",
    "color": "color",
    "asset_tag": "asset_tag",
    "os": "os",
    "state": "enrollment_state",
    "profile_status": "profile_status",
    "profile": "assigned_profile__name",
    "profile_assigned": "profile_assigned_at",
    "last_contacted": "last_contacted_at",
    "device_name": "device_name",
    "user": "enrolled_user_name",
    "token": "token__token_name",
}
UNASSIGNED = "none"


@dataclass(frozen=True)
class DeviceFilters:
    """The grid's search box, filter pills and sort, read from the query string."""

    search: str = ""
    profile_status: str = ""
    profile: str = ""  # "" any, "none" unassigned, or a profile id
    state: str = ""
    sort: str = "serial"
    descending: bool = False
    # Only the devices Apple still assigns (the Assign blade); not from the query string.
    present_only: bool = False

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> DeviceFilters:
        profile = params.get("profile", "")
        sort = params.get("sort", "serial")
        return cls(
            # Serial numbers are upper-case letters and digits: anything else cannot match.
            search=re.sub(r"[^A-Z0-9]", "", params.get("q", "").upper())[:32],
            profile_status=params.get("profile_status", "")
            if params.get("profile_status") in ProfileStatus.values
            else "",
            profile=profile if profile == UNASSIGNED else str(parse_id(profile) or ""),
            state=params.get("state", "") if params.get("state") in EnrollmentState.values else "",
            sort=sort if sort in SORTS else "serial",
            descending=params.get("dir") == "desc",
        )

    @property
    def active(self) -> bool:
        return bool(self.search or self.profile_status or self.profile or self.state)

    def with_profile(self, profile: str) -> DeviceFilters:
        return replace(self, profile=profile)

    def present(self) -> DeviceFilters:
        return replace(self, present_only=True)


def _serial_prefix(queryset: QuerySet[Device], prefix: str) -> QuerySet[Device]:
    """Serial numbers starting with `prefix`, as an index range (LIKE cannot use the index under
    every collation), then the exact test."""
    following = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return queryset.filter(
        serial_number__gte=prefix, serial_number__lt=following, serial_number__startswith=prefix
    )


def devices_filtered(
    *, filters: DeviceFilters, token: EnrollmentProgramToken | None = None
) -> QuerySet[Device]:
    devices = Device.objects.all()
    if token is not None:
        devices = devices.filter(token=token)
    if filters.search:
        devices = _serial_prefix(devices, filters.search)
    if filters.profile_status:
        devices = devices.filter(profile_status=filters.profile_status)
    if filters.state:
        devices = devices.filter(enrollment_state=filters.state)
    if filters.profile == UNASSIGNED:
        devices = devices.filter(assigned_profile__isnull=True)
    elif filters.profile:
        devices = devices.filter(assigned_profile_id=int(filters.profile))
    if filters.present_only:
        devices = devices.filter(removed_by_apple=False)
    return devices


def devices_total(*, filters: DeviceFilters, token: EnrollmentProgramToken | None = None) -> int:
    """The exact total of the grid: summed from the tallies (`devices.counts`) for the pills,
    counted from the serial-number index range when a search narrows it."""
    if filters.search:
        return devices_filtered(filters=filters, token=token).count()
    return counts.tally_total(_tally_condition(filters, token))


def _tally_condition(filters: DeviceFilters, token: EnrollmentProgramToken | None) -> Q:
    """The grid's filters (but the search) as a condition on the tallies."""
    profile = 0 if filters.profile == UNASSIGNED else (int(filters.profile) if filters.profile else None)
    return counts.tally_filter(
        token_id=token.pk if token is not None else None,
        profile_status=filters.profile_status,
        state=filters.state,
        profile=profile,
        present_only=filters.present_only,
    )


GRID_COLUMNS = (
    "id",
    "serial_number",
    "description",
    "model",
    "color",
    "asset_tag",
    "os",
    "enrollment_state",
    "profile_status",
    "profile_assigned_at",
    "last_contacted_at",
    "device_name",
    "enrolled_user_name",
    "enrollment_error",
    "removed_by_apple",
    "token_id",
    "assigned_profile_id",
)


def devices_for_grid(queryset: QuerySet[Device], filters: DeviceFilters) -> QuerySet[Device]:
    """The grid's order: the sorted column, then the serial number, then the token (a serial
    number may be in two tokens) — the order of the indexes (`Device.Meta.indexes`), so a page
    is an index range. No join: the names come in `names_attach`."""
    field = SORTS[filters.sort]
    keys = [field] if field == "serial_number" else [field, "serial_number"]
    keys.append("token_id")
    return queryset.order_by(*(f"-{key}" if filters.descending else key for key in keys))


def names_attach(devices: list[Device]) -> list[Device]:
    """`profile_name` and `token_name` on each row of a page: two small queries, not two joins."""
    profiles = dict(
        EnrollmentProfile.objects.filter(
            pk__in={d.assigned_profile_id for d in devices if d.assigned_profile_id}
        ).values_list("pk", "name")
    )
    tokens = dict(
        EnrollmentProgramToken.objects.filter(pk__in={d.token_id for d in devices}).values_list(
            "pk", "token_name"
        )
    )
    for device in devices:
        device.profile_name = (
            profiles.get(device.assigned_profile_id, "") if device.assigned_profile_id else ""
        )
        device.token_name = tokens.get(device.token_id, "")
    return devices


def _page_ids(ordered: QuerySet[Device], *, start: int, size: int, total: int) -> list[int]:
    """The ids of rows start … start + size in this order, read from the index alone. Past the
    middle the order is walked backwards from the end (the last page of a million devices skips
    50 entries, not 999,950)."""
    if start + size / 2 <= total / 2:
        return list(ordered.values_list("id", flat=True)[start : start + size])
    end = max(0, total - start - size)
    count = min(size, total - start)
    return list(reversed(ordered.reverse().values_list("id", flat=True)[end : end + count]))


def _group_counts(filters: DeviceFilters, token: EnrollmentProgramToken | None, field: str) -> dict[int, int]:
    """The grid's rows per token or per profile (0: unassigned): from the tallies, or counted
    when a search narrows the rows to a serial-number range."""
    if filters.search:
        column = "token_id" if field == "token_id" else "assigned_profile_id"
        rows = (
            devices_filtered(filters=filters, token=token).order_by().values(column).annotate(n=Count("id"))
        )
        return {row[column] or 0: row["n"] for row in rows}
    return counts.tally_totals_by(field, _tally_condition(filters, token), None)


def _grouped_page_ids(
    filters: DeviceFilters, token: EnrollmentProgramToken | None, *, start: int, size: int
) -> list[int]:
    """A page sorted by the token's or the profile's name, without sorting the rows by a joined
    name (a million rows): the groups in name order, each group's size from the tallies, and
    from the one or two groups the page falls in, their rows in serial-number order (an index
    range). Unassigned devices come where the database sorts NULLs."""
    by_token = filters.sort == "token"
    field = "token_id" if by_token else "profile_id"
    sizes = _group_counts(filters, token, field)
    names = (
        EnrollmentProgramToken.objects.filter(pk__in=list(sizes)).values_list("pk", "token_name")
        if by_token
        else EnrollmentProfile.objects.filter(pk__in=[key for key in sizes if key]).values_list("pk", "name")
    )
    groups = [pk for pk, _name in sorted(names, key=lambda row: (row[1], row[0]))]
    if not by_token and sizes.get(0):
        # Where the database puts NULL names in ascending order: last (PostgreSQL), first (SQLite).
        groups.insert(len(groups) if connections[Device.objects.db].vendor == "postgresql" else 0, 0)
    if filters.descending:
        groups.reverse()
    serial_order = ("-serial_number", "-token_id") if filters.descending else ("serial_number", "token_id")
    ids: list[int] = []
    skipped = 0
    for group in groups:
        count = sizes.get(group, 0)
        if skipped + count <= start:
            skipped += count
            continue
        column = "token_id" if by_token else "assigned_profile_id"
        rows = devices_filtered(filters=filters, token=token).filter(**{column: group or None})
        offset = max(0, start - skipped)
        ids += rows.order_by(*serial_order).values_list("id", flat=True)[offset : offset + size - len(ids)]
        skipped += count
        if len(ids) >= size:
            break
    return ids


def devices_page(
    *, filters: DeviceFilters, token: EnrollmentProgramToken | None, page: Any, size: int
) -> Page[Device]:
    """A page of the grid (out-of-range or garbled numbers give the nearest page), its rows with
    their names attached, and the exact total (`devices_total`: no COUNT(*) of a million rows).
    The page's ids first (an index range), then its rows by id: the rows skipped to reach a page
    far in are never read."""
    ordered = devices_for_grid(devices_filtered(filters=filters, token=token), filters)
    paginator = Paginator(ordered, size)
    paginator.count = devices_total(filters=filters, token=token)  # the cached property, given
    grid_page = paginator.get_page(page)
    if not paginator.count:
        grid_page.object_list = []
        return grid_page
    start = (grid_page.number - 1) * size
    if filters.sort in ("token", "profile"):
        ids = _grouped_page_ids(filters, token, start=start, size=size)
    else:
        ids = _page_ids(ordered, start=start, size=size, total=paginator.count)
    rows = {device.pk: device for device in Device.objects.filter(pk__in=ids).only(*GRID_COLUMNS)}
    grid_page.object_list = names_attach([rows[pk] for pk in ids if pk in rows])
    return grid_page


def devices_selected(*, ids: list[int]) -> list[Device]:
    """The devices an action was asked for (Delete, Assign profile): at most MAX_SELECTION, by
    serial number, with their token's name."""
    return list(
        Device.objects.filter(pk__in=ids[:MAX_SELECTION])
        .select_related("token")
        .only("pk", "serial_number", "token_id", "token__token_name")
        .order_by("serial_number")
    )


def devices_export_rows(queryset: QuerySet[Device]) -> Iterator[list[str]]:
    """The filtered list as CSV rows (header first), read in chunks: any size, little memory."""
    state_labels = dict(EnrollmentState.choices)
    status_labels = dict(ProfileStatus.choices)
    yield [
        _("Serial number"),
        _("Details"),
        _("Model"),
        _("Color"),
        _("Asset tag"),
        _("OS"),
        _("State"),
        _("Profile status"),
        _("Assigned profile"),
        _("Profile assigned"),
        _("Last contacted"),
        _("Token"),
        _("Removed by Apple"),
    ]
    # No join: a million rows joined to their names and sorted would be read whole before the
    # first row; the names of the tenant's profiles and tokens (a few thousand at most) are
    # looked up instead, and the rows come in the order of an index, from the first one.
    profile_names = dict(EnrollmentProfile.objects.values_list("pk", "name"))
    token_names = dict(EnrollmentProgramToken.objects.values_list("pk", "token_name"))
    columns = (
        "serial_number",
        "description",
        "model",
        "color",
        "asset_tag",
        "os",
        "enrollment_state",
        "profile_status",
        "assigned_profile_id",
        "profile_assigned_at",
        "last_contacted_at",
        "token_id",
        "removed_by_apple",
    )
    yes, no = _("Yes"), _("No")
    for row in _export_chunks(queryset, columns):
        (
            serial,
            details,
            model,
            color,
            tag,
            os_name,
            state,
            status,
            profile,
            assigned,
            contacted,
            token,
            gone,
        ) = row
        yield [
            serial,
            details,
            model,
            color,
            tag,
            os_name,
            str(state_labels.get(state, state)),
            str(status_labels.get(status, status)),
            profile_names.get(profile, "") if profile else "",
            assigned.isoformat() if assigned else "",
            contacted.isoformat() if contacted else "",
            token_names.get(token, ""),
            yes if gone else no,
        ]


def _export_chunks(queryset: QuerySet[Device], columns: tuple[str, ...], size: int = 2000) -> Iterator[Any]:
    """The rows in (serial number, token) order, 2,000 at a time, each chunk from where the last
    one ended (keyset): every chunk is an index range, so the first row comes at once even from a
    million (one cursor over the whole list lets the planner sort the table first)."""
    ordered = queryset.order_by("serial_number", "token_id")
    after: tuple[str, int] | None = None
    while True:
        chunk = ordered
        if after is not None:
            serial, token = after
            chunk = chunk.filter(Q(serial_number__gt=serial) | Q(serial_number=serial, token_id__gt=token))
        rows = list(chunk.values_list(*columns)[:size])
        yield from rows
        if len(rows) < size:
            return
        last = rows[-1]
        after = (last[0], last[columns.index("token_id")])


# --- Counts for the token and profile blades ------------------------------------------------


@dataclass(frozen=True)
class DeviceCounts:
    """The token blade's Status tile: Devices, Enrolled, Ready to enroll, Missing profile."""

    total: int = 0
    enrolled: int = 0
    ready: int = 0
    missing_profile: int = 0


def _missing_profile() -> Q:
    """A tally's group of devices Apple still assigns, without a profile, not enrolled."""
    return Q(removed_by_apple=False, profile_id=0) & ~Q(enrollment_state__in=ENROLLED_STATES)


def token_device_counts(*, token: EnrollmentProgramToken) -> DeviceCounts:
    """From the tallies (`devices.counts`): one query over a few rows, at any number of devices."""
    counts_ = DeviceTally.objects.filter(token=token).aggregate(
        total=Sum("devices"),
        enrolled=Sum("devices", filter=Q(enrollment_state__in=ENROLLED_STATES)),
        ready=Sum(
            "devices",
            filter=Q(removed_by_apple=False) & ~Q(profile_id=0) & ~Q(enrollment_state__in=ENROLLED_STATES),
        ),
        missing=Sum("devices", filter=_missing_profile()),
    )
    return DeviceCounts(*(int(counts_[key] or 0) for key in ("total", "enrolled", "ready", "missing")))


def devices_without_profile_counts(*, token_ids: Iterable[int]) -> dict[int, int]:
    """The token list's « Devices without profiles » column, for one page of tokens at once."""
    return counts.tally_totals_by("token_id", _missing_profile(), token_ids)


def assigned_device_counts(*, profile_ids: Iterable[int]) -> dict[int, int]:
    """The profiles grid's « Assigned devices » column, for the shown profiles in one query."""
    return counts.tally_totals_by("profile_id", Q(), profile_ids)
