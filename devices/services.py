"""Enrollment program devices: sync requests and their rules, the grid, deletion, assignment.

The rules of the article are enforced here, whoever calls (a blade, a task, a test):
- a full sync (every serial number Apple assigns) at most once per SYNC_FULL_INTERVAL_SECONDS
  and token; a request inside that interval adds only the serial numbers not known yet;
- each request has SYNC_REQUEST_WINDOW_SECONDS to finish, and until then, or until it
  succeeds, another request is refused with the time left;
- a delta sync every SYNC_DELTA_INTERVAL_SECONDS (Celery beat); a failed delta makes the next
  sync full;
- a profile is assigned to at most 1,000 devices at a time, in one call to Apple.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from asm_portal import clock, roles
from asm_portal.models import AuditEvent, Notification
from asm_portal.roles import Actor
from asm_portal.services import audit_record, notification_send
from devices.models import (
    ENROLLED_STATES,
    AssignmentDevice,
    DeletedDevice,
    Device,
    EnrollmentState,
    ProfileAssignment,
    ProfileStatus,
    SyncRun,
    TokenSyncState,
)
from devices.sync import (
    Outcome,
    Reschedule,
    apple_call,
    error_code,
    run_fail,
    sync_run_execute,
    sync_state_for,
)
from profiles.models import EnrollmentProfile
from profiles.services import profile_define_on_apple
from tokens.apple_errors import apple_error_message
from tokens.dep_client import DepError
from tokens.models import EnrollmentProgramToken
from tokens.services import (
    token_apple_call_failed,
    token_apple_call_succeeded,
    token_dep_client,
)

logger = logging.getLogger(__name__)

AUDIT_TOKEN = "Enrollment program token"
# The article: the header checkbox selects up to 1,000 listed devices; repeat for more.
MAX_SELECTION = 1000
# Apple advises at most 1,000 serial numbers per assignment call.
APPLE_BATCH = 1000


class SyncRefused(Exception):
    """A sync request the rules refuse; `available_at` says when one will be accepted."""

    def __init__(self, message: str, available_at: datetime | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.available_at = available_at


class DeviceActionRefused(Exception):
    """Bad input for a devices action (assign, delete): nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _seconds(name: str) -> timedelta:
    return timedelta(seconds=int(getattr(settings, name)))


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def time_left(seconds: float) -> str:
    """ "12 minutes", "40 seconds": how long until something is allowed."""
    seconds = max(0, math.ceil(seconds))
    if seconds >= 120:
        minutes = math.ceil(seconds / 60)
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}


# --- Sync: rules --------------------------------------------------------------------------------


def sync_latest_run(*, token: EnrollmentProgramToken) -> SyncRun | None:
    return SyncRun.objects.filter(token=token).order_by("-requested_at", "-id").first()


def sync_kind(*, state: TokenSyncState, trigger: str, now: datetime) -> str:
    """Which sync a request gets. Automatic syncs are deltas; requests get a full sync when the
    last one is SYNC_FULL_INTERVAL_SECONDS old, else only the serial numbers not known yet.
    Without a cursor, or after a failed sync, every kind is full (Intune's rule)."""
    if state.next_must_be_full or not state.cursor or state.last_full_sync_at is None:
        return SyncRun.Kind.FULL
    if trigger == SyncRun.Trigger.AUTOMATIC:
        return SyncRun.Kind.DELTA
    if now - state.last_full_sync_at >= _seconds("SYNC_FULL_INTERVAL_SECONDS"):
        return SyncRun.Kind.FULL
    return SyncRun.Kind.NEW_SERIALS


@dataclass(frozen=True)
class SyncAvailability:
    """Whether Sync may be requested now, why not, and the window's progress for the bar."""

    allowed: bool
    reason: str = ""
    available_at: datetime | None = None
    window_elapsed: float = 1.0  # 0..1 of SYNC_REQUEST_WINDOW_SECONDS since the last request

    @property
    def percent(self) -> int:
        return round(self.window_elapsed * 100)


def sync_availability(*, token: EnrollmentProgramToken, now: datetime | None = None) -> SyncAvailability:
    now = now or clock.now()
    if token.expires_at <= now:
        return SyncAvailability(
            False,
            _("This token expired on %(date)s. Renew it before you sync its devices.")
            % {"date": _when(token.expires_at)},
        )
    latest = sync_latest_run(token=token)
    if latest is None:
        return SyncAvailability(True)
    window = _seconds("SYNC_REQUEST_WINDOW_SECONDS")
    end = latest.requested_at + window
    elapsed = min(1.0, max(0.0, (now - latest.requested_at) / window)) if window else 1.0
    if latest.is_active and now < latest.deadline_at:
        return SyncAvailability(
            False,
            _("A sync is in progress. You can request another sync in %(time)s.")
            % {"time": time_left((latest.deadline_at - now).total_seconds())},
            latest.deadline_at,
            elapsed,
        )
    if latest.state != SyncRun.State.SUCCEEDED and now < end:
        return SyncAvailability(
            False,
            _("The last sync request has not succeeded. You can request another sync in %(time)s.")
            % {"time": time_left((end - now).total_seconds())},
            end,
            elapsed,
        )
    return SyncAvailability(True, window_elapsed=elapsed)


def _expire_overdue_runs(*, token_id: int | None = None) -> int:
    """Runs past their deadline have failed (TIMEOUT), even if no worker is left to say so."""
    overdue = SyncRun.objects.filter(state__in=SyncRun.ACTIVE_STATES, deadline_at__lte=clock.now())
    if token_id is not None:
        overdue = overdue.filter(token_id=token_id)
    count = 0
    for run in overdue:
        if run_fail(run=run, code="TIMEOUT"):
            _notify_finished(run)
            count += 1
    return count


def _run_create(
    *, token: EnrollmentProgramToken, trigger: str, requested_by: User | None, queue: str | None = None
) -> SyncRun | None:
    """A queued run and its task (after commit); None if the token already has one running."""
    now = clock.now()
    state = sync_state_for(token.pk)
    # Requests for one token are serialized on its sync state (PostgreSQL row lock; SQLite
    # takes the database write lock at the start of the transaction).
    state = TokenSyncState.objects.select_for_update().get(pk=state.pk)
    kind = sync_kind(state=state, trigger=trigger, now=now)
    delta = kind == SyncRun.Kind.DELTA
    try:
        with transaction.atomic():
            run = SyncRun.objects.create(
                token=token,
                kind=kind,
                trigger=trigger,
                requested_by=requested_by,
                requested_at=now,
                deadline_at=now + _seconds("SYNC_REQUEST_WINDOW_SECONDS"),
                phase=SyncRun.Phase.SYNC if delta else SyncRun.Phase.FETCH,
                cursor=state.cursor if delta else "",
            )
    except IntegrityError:
        return None  # one_active_sync_per_token: a run of this token is queued or running
    transaction.on_commit(lambda: sync_run_enqueue(run_id=run.pk, queue=queue))
    return run


def sync_run_enqueue(*, run_id: int, queue: str | None = None, countdown: float | None = None) -> None:
    from devices.tasks import sync_run_task

    options: dict[str, Any] = {}
    if queue:
        options["queue"] = queue
    if countdown:
        options["countdown"] = countdown
    sync_run_task.apply_async((run_id,), **options)


def sync_request(*, actor: Actor, token: EnrollmentProgramToken) -> SyncRun:
    """Request sync (the Sync blade): refused with the time left while the rules say so."""
    roles.require_change_permission(actor)
    with transaction.atomic():
        _expire_overdue_runs(token_id=token.pk)
        availability = sync_availability(token=token)
        if not availability.allowed:
            raise SyncRefused(availability.reason, availability.available_at)
        user = actor if isinstance(actor, User) else None
        run = _run_create(token=token, trigger=SyncRun.Trigger.MANUAL, requested_by=user)
        if run is None:
            raise SyncRefused(_("A sync of this token is already in progress."))
        EnrollmentProgramToken.objects.filter(pk=token.pk).update(last_sync_requested_at=run.requested_at)
        token.last_sync_requested_at = run.requested_at
        audit_record(
            actor=actor,
            category=AuditEvent.Category.ENROLLMENT,
            action="Request sync of enrollment program token",
            target=token,
            target_type=AUDIT_TOKEN,
            details={"reason": "Sync requested", "kind": run.kind},
        )
    return run


def sync_queue(
    *, token: EnrollmentProgramToken, trigger: str, requested_by: User | None = None
) -> SyncRun | None:
    """A sync the portal asks for itself (token upload or renewal, the 12-hour delta): no
    refusal, but never a second run while one is in progress. Call inside a transaction."""
    with transaction.atomic():
        _expire_overdue_runs(token_id=token.pk)
        return _run_create(token=token, trigger=trigger, requested_by=requested_by)


def syncs_due_queue(*, now: datetime | None = None) -> int:
    """The automatic delta sync of every token whose last request is SYNC_DELTA_INTERVAL old."""
    now = now or clock.now()
    _expire_overdue_runs()
    cutoff = now - _seconds("SYNC_DELTA_INTERVAL_SECONDS")
    due = (
        EnrollmentProgramToken.objects.all()
        .filter(expires_at__gt=now)
        .annotate(last_request=Max("sync_runs__requested_at"))
        .filter(Q(last_request__isnull=True) | Q(last_request__lte=cutoff))
    )
    queued = 0
    for token in due:
        with transaction.atomic():
            if _run_create(token=token, trigger=SyncRun.Trigger.AUTOMATIC, requested_by=None):
                queued += 1
    return queued


def sync_runs_resume(*, queue: str | None = None) -> int:
    """Send again the runs no worker holds (a worker killed mid-sync, a lost message).

    A run whose lease is still live is sent for when it expires; the worker that gets it first
    takes the lease, the others find it taken or finished and stop.
    """
    _expire_overdue_runs()
    now = clock.now()
    sent = 0
    for run_id, expires in SyncRun.objects.filter(state__in=SyncRun.ACTIVE_STATES).values_list(
        "pk", "lease_expires_at"
    ):
        wait = (expires - now).total_seconds() + 1 if expires and expires > now else None
        sync_run_enqueue(run_id=run_id, queue=queue, countdown=wait)
        sent += 1
    return sent


def sync_run(*, run_id: int) -> Outcome:
    """What the sync task does: run it, tell whoever asked for it, then give the token's default
    profile to the devices the sync brought without one."""
    outcome = sync_run_execute(run_id=run_id, on_finish=_notify_finished)
    run = SyncRun.objects.filter(pk=run_id).only("state", "token_id").first()
    if run is not None and run.state == SyncRun.State.SUCCEEDED:
        default_profile_assign(token_id=run.token_id)
    return outcome


def default_profile_assign(*, token_id: int) -> list[ProfileAssignment]:
    """Devices of the token with no profile get its default profile (Intune's setDefaultProfile).

    The docs urge setting a default profile early: a synced device with no profile that is
    powered on fails enrollment. Batches of at most 1,000, as Apple advises.
    """
    profile = EnrollmentProfile.objects.filter(token_id=token_id, is_default=True).first()
    if profile is None:
        return []
    devices = list(
        Device.objects.filter(
            token_id=token_id,
            assigned_profile__isnull=True,
            removed_by_apple=False,
            enrollment_state=EnrollmentState.NOT_CONTACTED,
        )
        .order_by("serial_number")
        .values_list("serial_number", "pk")
    )
    assignments = []
    for start in range(0, len(devices), MAX_SELECTION):
        batch = dict(devices[start : start + MAX_SELECTION])
        with transaction.atomic():
            assignments.append(
                _assignment_create(
                    profile=profile,
                    devices=batch,
                    source=ProfileAssignment.Source.DEFAULT_PROFILE,
                    requested_by=None,
                )
            )
    return assignments


def sync_error_message(code: str) -> str:
    """What a sync error code means for the administrator."""
    messages = {
        "TIMEOUT": _(
            "The sync did not finish within the %(minutes)d minutes a request has. Request sync again."
        )
        % {"minutes": settings.SYNC_REQUEST_WINDOW_SECONDS // 60},
        "token_expired": _("The token has expired: Apple no longer accepts it. Renew the token."),
    }
    return str(messages.get(code) or apple_error_message(code))


def _notify_finished(run: SyncRun) -> None:
    user = run.requested_by
    if user is None:
        return
    token_name = EnrollmentProgramToken.objects.filter(pk=run.token_id).values_list("token_name", flat=True)
    name = token_name[0] if token_name else ""
    link = f"/enrollment/apple/tokens/{run.token_id}/devices/sync/"
    if run.state == SyncRun.State.SUCCEEDED:
        body = _("%(added)d added, %(updated)d updated, %(removed)d removed.") % {
            "added": run.added,
            "updated": run.updated,
            "removed": run.removed,
        }
        if run.warning_code:
            body = f"{body} {sync_warning_message(run.warning_code)}"
        notification_send(
            user=user,
            title=_("Sync of “%(name)s” completed") % {"name": name},
            body=body,
            level=Notification.Level.WARNING if run.warning_code else Notification.Level.SUCCESS,
            link=link,
        )
    else:
        notification_send(
            user=user,
            title=_("Sync of “%(name)s” failed") % {"name": name},
            body=sync_error_message(run.error_code),
            level=Notification.Level.ERROR,
            link=link,
        )


def sync_warning_message(code: str) -> str:
    if code == "ECHOED_CURSOR":
        return _(
            "Apple answered the same position twice (a known Apple issue): the sync stopped there, and "
            "the next sync continues from it."
        )
    return code


# --- The devices grid ------------------------------------------------------------------------

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
            profile=profile if profile == UNASSIGNED or profile.isdigit() else "",
            state=params.get("state", "") if params.get("state") in EnrollmentState.values else "",
            sort=sort if sort in SORTS else "serial",
            descending=params.get("dir") == "desc",
        )

    @property
    def active(self) -> bool:
        return bool(self.search or self.profile_status or self.profile or self.state)

    def with_profile(self, profile: str) -> DeviceFilters:
        return replace(self, profile=profile)


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
    return devices


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
    """The rows of a grid page, only the columns shown. No join: it would lead the planners
    away from the index that gives the serial-number order (the names come in `names_attach`)."""
    field = SORTS[filters.sort]
    order = [f"-{field}" if filters.descending else field]
    if field != "serial_number":
        order.append("-serial_number" if filters.descending else "serial_number")
    return queryset.only(*GRID_COLUMNS).order_by(*order)


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


@dataclass
class GridPage:
    """A page of the grid, with the total count of the filtered list."""

    rows: list[Device]
    number: int
    size: int
    count: int

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.count / self.size))

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.count else 0

    @property
    def end_index(self) -> int:
        return min(self.count, self.number * self.size)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages


def devices_page(queryset: QuerySet[Device], filters: DeviceFilters, *, page: Any, size: int) -> GridPage:
    count = queryset.count()
    try:
        number = max(1, int(page))
    except (TypeError, ValueError):
        number = 1
    number = min(number, max(1, math.ceil(count / size)))
    start = (number - 1) * size
    rows = names_attach(list(devices_for_grid(queryset, filters)[start : start + size])) if count else []
    return GridPage(rows=rows, number=number, size=size, count=count)


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
    columns = (
        "serial_number",
        "description",
        "model",
        "color",
        "asset_tag",
        "os",
        "enrollment_state",
        "profile_status",
        "assigned_profile__name",
        "profile_assigned_at",
        "last_contacted_at",
        "token__token_name",
        "removed_by_apple",
    )
    rows = queryset.order_by("serial_number", "token_id").values_list(*columns)
    yes, no = _("Yes"), _("No")
    for row in rows.iterator(chunk_size=2000):
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
            profile or "",
            assigned.isoformat() if assigned else "",
            contacted.isoformat() if contacted else "",
            token,
            yes if gone else no,
        ]


# --- Counts for the token and profile blades ----------------------------------------------------


@dataclass(frozen=True)
class DeviceCounts:
    """The token blade's Status tile: Devices, Enrolled, Ready to enroll, Missing profile."""

    total: int = 0
    enrolled: int = 0
    ready: int = 0
    missing_profile: int = 0


def _missing_profile() -> Q:
    return Q(removed_by_apple=False, assigned_profile__isnull=True) & ~Q(enrollment_state__in=ENROLLED_STATES)


def token_device_counts(*, token: EnrollmentProgramToken) -> DeviceCounts:
    counts = Device.objects.filter(token=token).aggregate(
        total=Count("id"),
        enrolled=Count("id", filter=Q(enrollment_state__in=ENROLLED_STATES)),
        ready=Count(
            "id",
            filter=Q(removed_by_apple=False, assigned_profile__isnull=False)
            & ~Q(enrollment_state__in=ENROLLED_STATES),
        ),
        missing=Count("id", filter=_missing_profile()),
    )
    return DeviceCounts(counts["total"], counts["enrolled"], counts["ready"], counts["missing"])


def devices_without_profile_counts(*, token_ids: Iterable[int]) -> dict[int, int]:
    """The token list's « Devices without profiles » column, for one page of tokens at once."""
    rows = (
        Device.objects.filter(_missing_profile(), token_id__in=list(token_ids))
        .values("token_id")
        .annotate(count=Count("id"))
        .values_list("token_id", "count")
    )
    return dict(rows)


def assigned_device_counts(*, profile_ids: Iterable[int]) -> dict[int, int]:
    """The profiles grid's « Assigned devices » column, for the shown profiles in one query."""
    rows = (
        Device.objects.filter(assigned_profile_id__in=list(profile_ids))
        .order_by()
        .values("assigned_profile_id")
        .annotate(count=Count("id"))
        .values_list("assigned_profile_id", "count")
    )
    return dict(rows)


# --- Deletion ----------------------------------------------------------------------------------


def selected_ids(values: Iterable[Any]) -> list[int]:
    ids = []
    for value in values:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            continue
    return sorted(set(ids))


def devices_delete(*, actor: Actor, device_ids: Iterable[Any]) -> int:
    """Delete devices from Intune. Apple still assigns them: they come back at the next full sync."""
    roles.require_change_permission(actor)
    ids = selected_ids(device_ids)
    if not ids:
        raise DeviceActionRefused(_("Select at least one device."))
    if len(ids) > MAX_SELECTION:
        raise DeviceActionRefused(
            _("You can delete at most %(limit)s devices at a time.") % {"limit": f"{MAX_SELECTION:,}"}
        )
    now = clock.now()
    user = actor if isinstance(actor, User) else None
    with transaction.atomic():
        rows = list(Device.objects.filter(pk__in=ids).values_list("pk", "token_id", "serial_number"))
        if not rows:
            raise DeviceActionRefused(_("The selected devices no longer exist."))
        DeletedDevice.objects.bulk_create(
            [
                DeletedDevice(token_id=token_id, serial_number=serial, deleted_at=now, deleted_by=user)
                for _, token_id, serial in rows
            ],
            ignore_conflicts=True,
        )
        Device.objects.filter(pk__in=[pk for pk, _, _ in rows]).delete()
        audit_record(
            actor=actor,
            category=AuditEvent.Category.ENROLLMENT,
            action="Delete enrollment program devices",
            target_type="Enrollment program device",
            details={"count": len(rows), "serial_numbers": sorted(serial for _, _, serial in rows)[:50]},
        )
    return len(rows)


# --- Profile assignment ----------------------------------------------------------------------


def _serials(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        serial = str(value).strip().upper()
        if serial:
            seen[serial] = None
    return list(seen)


def profile_assign(
    *,
    actor: Actor,
    profile: EnrollmentProfile,
    serials: Iterable[str],
    source: str = ProfileAssignment.Source.PROFILE,
) -> ProfileAssignment:
    """Assign the profile to at most 1,000 devices of its token; Apple is called by a task.

    Every serial number must be a device of the profile's token. Nothing is recorded when one
    is not.
    """
    roles.require_change_permission(actor)
    chosen = _serials(serials)
    if not chosen:
        raise DeviceActionRefused(_("Select at least one device."))
    if len(chosen) > MAX_SELECTION:
        raise DeviceActionRefused(
            _(
                "You can assign a profile to at most %(limit)s devices at a time. Assign the first "
                "%(limit)s, then repeat the assignment for the others."
            )
            % {"limit": f"{MAX_SELECTION:,}"}
        )
    token = profile.token
    if token.expires_at <= clock.now():
        raise DeviceActionRefused(
            _("The token “%(name)s” has expired. Renew it before you assign profiles.")
            % {"name": token.token_name}
        )
    found = dict(
        Device.objects.filter(token_id=profile.token_id, serial_number__in=chosen).values_list(
            "serial_number", "pk"
        )
    )
    missing = [serial for serial in chosen if serial not in found]
    if missing:
        raise DeviceActionRefused(
            ngettext(
                "%(serials)s is not a device of the token “%(name)s”.",
                "%(serials)s are not devices of the token “%(name)s”.",
                len(missing),
            )
            % {
                "serials": ", ".join(missing[:10]) + ("…" if len(missing) > 10 else ""),
                "name": token.token_name,
            }
        )
    user = actor if isinstance(actor, User) else None
    with transaction.atomic():
        assignment = _assignment_create(profile=profile, devices=found, source=source, requested_by=user)
        audit_record(
            actor=actor,
            category=AuditEvent.Category.ENROLLMENT,
            action="Assign enrollment profile to devices",
            target=profile,
            details={"count": len(found), "serial_numbers": sorted(found)[:50], "source": source},
        )
    return assignment


def _assignment_create(
    *,
    profile: EnrollmentProfile,
    devices: Mapping[str, int],
    source: str,
    requested_by: User | None,
    enqueue: bool = True,
) -> ProfileAssignment:
    assignment = ProfileAssignment.objects.create(
        profile=profile,
        source=source,
        requested_by=requested_by,
        requested_at=clock.now(),
        device_count=len(devices),
    )
    AssignmentDevice.objects.bulk_create(
        (
            AssignmentDevice(assignment=assignment, device_id=pk, serial_number=serial)
            for serial, pk in devices.items()
        ),
        batch_size=2000,
    )
    if enqueue:
        transaction.on_commit(lambda: assignment_enqueue(assignment_id=assignment.pk))
    return assignment


def assignment_enqueue(*, assignment_id: int, countdown: float | None = None) -> None:
    from devices.tasks import profile_assignment_task

    options: dict[str, Any] = {"countdown": countdown} if countdown else {}
    profile_assignment_task.apply_async((assignment_id,), **options)


def profile_reassign_after_edit(*, profile_id: int) -> ProfileAssignment | None:
    """Apple gave an edited profile a new uuid: its devices are assigned to the new one.

    Returns the assignment to run (the task sends it on its own queue), or None."""
    profile = EnrollmentProfile.objects.select_related("token").get(pk=profile_id)
    devices = dict(
        Device.objects.filter(assigned_profile=profile, removed_by_apple=False).values_list(
            "serial_number", "pk"
        )
    )
    if not devices:
        return None
    with transaction.atomic():
        return _assignment_create(
            profile=profile,
            devices=devices,
            source=ProfileAssignment.Source.PROFILE_EDIT,
            requested_by=None,
            enqueue=False,
        )


def _record_answers(assignment: ProfileAssignment, answers: Mapping[str, str], apple_uuid: str) -> None:
    """Apple's answer for each serial, on the assignment and on the devices, in one transaction."""
    now = clock.now()
    profile = assignment.profile
    by_status: dict[str, list[str]] = {}
    for serial, status in answers.items():
        known = status if status in AssignmentDevice.Status.values else AssignmentDevice.Status.FAILED
        by_status.setdefault(known, []).append(serial)
    with transaction.atomic():
        for status, serials in by_status.items():
            AssignmentDevice.objects.filter(assignment=assignment, serial_number__in=serials).update(
                status=status, answered_at=now
            )
        token_devices = Device.objects.filter(token_id=profile.token_id)
        succeeded = by_status.get(AssignmentDevice.Status.SUCCESS, [])
        if succeeded:
            # An enrolled device now has another profile than the one it enrolled with:
            # users see « Reset required » until it is wiped and enrolls again.
            reset = (
                token_devices.filter(serial_number__in=succeeded, enrollment_state=EnrollmentState.ENROLLED)
                .exclude(enrolled_profile=profile)
                .update(enrollment_state=EnrollmentState.PENDING_RESET, updated_at=now)
            )
            assignment.reset_required += reset
            token_devices.filter(serial_number__in=succeeded).update(
                assigned_profile=profile,
                profile_assigned_at=now,
                profile_status=ProfileStatus.ASSIGNED,
                apple_profile_uuid=apple_uuid,
                apple_profile_assign_time=now,
                updated_at=now,
            )
        for status, device_status in (
            (AssignmentDevice.Status.FAILED, ProfileStatus.FAILED),
            (AssignmentDevice.Status.THROTTLED, ProfileStatus.PENDING),
        ):
            if by_status.get(status):
                token_devices.filter(serial_number__in=by_status[status]).update(
                    profile_status=device_status, updated_at=now
                )
        assignment.save(update_fields=["reset_required"])


def _assignment_counts(assignment: ProfileAssignment) -> None:
    counts = dict(
        AssignmentDevice.objects.filter(assignment=assignment)
        .values("status")
        .annotate(count=Count("id"))
        .values_list("status", "count")
    )
    assignment.succeeded = counts.get(AssignmentDevice.Status.SUCCESS, 0)
    assignment.not_accessible = counts.get(AssignmentDevice.Status.NOT_ACCESSIBLE, 0)
    assignment.failed = counts.get(AssignmentDevice.Status.FAILED, 0)
    assignment.throttled = counts.get(AssignmentDevice.Status.THROTTLED, 0)


def _assign_round(assignment: ProfileAssignment) -> int | None:
    """POST /profile/devices for every serial still to do; Apple's throttling delay, if any."""
    profile = assignment.profile
    apple_uuid = profile_define_on_apple(profile=profile)
    client = token_dep_client(token=profile.token)
    pending = list(
        AssignmentDevice.objects.filter(
            assignment=assignment,
            status__in=[AssignmentDevice.Status.PENDING, AssignmentDevice.Status.THROTTLED],
        )
        .order_by("id")
        .values_list("serial_number", flat=True)
    )
    delay: int | None = None
    for start in range(0, len(pending), APPLE_BATCH):
        batch = pending[start : start + APPLE_BATCH]
        try:
            answer = apple_call(partial(client.assign_profile, profile_uuid=apple_uuid, serials=batch))
        except DepError as error:
            if error.code != "PROFILE_NOT_FOUND":
                raise
            # Apple no longer knows the profile (its uuid was lost): define it again, once.
            apple_uuid = profile_define_on_apple(profile=profile, force=True)
            answer = apple_call(partial(client.assign_profile, profile_uuid=apple_uuid, serials=batch))
        # Serials Apple did not mention are not its devices.
        answers = {
            serial: answer.devices.get(serial, AssignmentDevice.Status.NOT_ACCESSIBLE) for serial in batch
        }
        _record_answers(assignment, answers, apple_uuid)
        if AssignmentDevice.Status.THROTTLED in answers.values():
            # Below protocol version 10 Apple gives no delay: wait a minute.
            delay = max(delay or 0, answer.retry_after_seconds or 60)
    assignment.apple_profile_uuid = apple_uuid
    return delay


def assignment_run(*, assignment_id: int) -> float | None:
    """One round of an assignment (the task's body). Seconds until the next round, or None."""
    assignment = ProfileAssignment.objects.select_related("profile__token").filter(pk=assignment_id).first()
    if assignment is None or not assignment.is_active:
        return None
    now = clock.now()
    if assignment.retry_at and now < assignment.retry_at:
        return (assignment.retry_at - now).total_seconds()  # delivered early: wait the rest
    assignment.state = ProfileAssignment.State.RUNNING
    assignment.started_at = assignment.started_at or now
    assignment.rounds += 1
    assignment.save(update_fields=["state", "started_at", "rounds"])
    token = assignment.profile.token
    try:
        delay = _assign_round(assignment)
    except Reschedule as wait:
        # Apple asked for a long wait (Retry-After): the serial numbers not answered yet go
        # in the next round, after it.
        _assignment_counts(assignment)
        assignment.state = ProfileAssignment.State.WAITING
        assignment.retry_at = clock.now() + timedelta(seconds=wait.delay)
        assignment.save()
        return wait.delay
    except DepError as error:
        assignment.state = ProfileAssignment.State.FAILED
        assignment.error_code = error_code(error)
        token_apple_call_failed(token=token, error=error)
        _assignment_finish(assignment)
        return None
    token_apple_call_succeeded(token=token)
    _assignment_counts(assignment)
    if delay is not None and assignment.rounds <= settings.ASSIGNMENT_THROTTLED_RETRIES:
        assignment.state = ProfileAssignment.State.WAITING
        assignment.retry_at = clock.now() + timedelta(seconds=delay)
        assignment.save()
        return float(delay)
    everything = assignment.succeeded == assignment.device_count
    assignment.state = (
        ProfileAssignment.State.SUCCEEDED if everything else ProfileAssignment.State.COMPLETED_WITH_ERRORS
    )
    _assignment_finish(assignment)
    return None


def _assignment_finish(assignment: ProfileAssignment) -> None:
    assignment.finished_at = clock.now()
    assignment.retry_at = None
    _assignment_counts(assignment)
    assignment.save()
    user = assignment.requested_by
    if user is None:
        return
    name = assignment.profile.name
    link = f"/enrollment/apple/assignments/{assignment.pk}/"
    if assignment.state == ProfileAssignment.State.FAILED:
        notification_send(
            user=user,
            title=_("Profile assignment failed"),
            body=_("“%(profile)s” could not be assigned: %(reason)s")
            % {"profile": name, "reason": sync_error_message(assignment.error_code)},
            level=Notification.Level.ERROR,
            link=link,
        )
        return
    body = ngettext(
        "%(succeeded)d of %(count)d device was assigned “%(profile)s”.",
        "%(succeeded)d of %(count)d devices were assigned “%(profile)s”.",
        assignment.device_count,
    ) % {"succeeded": assignment.succeeded, "count": assignment.device_count, "profile": name}
    if assignment.reset_required:
        body += " " + ngettext(
            "%(count)d enrolled device must be reset to get it.",
            "%(count)d enrolled devices must be reset to get it.",
            assignment.reset_required,
        ) % {"count": assignment.reset_required}
    notification_send(
        user=user,
        title=_("Profile assigned"),
        body=body,
        level=Notification.Level.SUCCESS
        if assignment.state == ProfileAssignment.State.SUCCEEDED
        else Notification.Level.WARNING,
        link=link,
    )


# --- Housekeeping -------------------------------------------------------------------------------


def removed_devices_purge(*, now: datetime | None = None) -> int:
    """Devices Apple reported deleted stay listed for SYNC_REMOVED_RETENTION_DAYS, then go."""
    cutoff = (now or clock.now()) - timedelta(days=settings.SYNC_REMOVED_RETENTION_DAYS)
    deleted, _ = Device.objects.filter(removed_by_apple=True, removed_at__lt=cutoff).delete()
    return deleted
