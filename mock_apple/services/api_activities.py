"""orgDeviceActivities: device assignments asked through the School Manager API.

Apple accepts an activity at once (IN_PROGRESS) and processes it later. The mock has no worker
of its own, so an activity completes lazily and deterministically: once its due time (created +
MockConfig.api_activity_seconds, on the mock's clock) has passed, the first one to look at it
completes it — a read of the activity through the API, any API call of the organisation, a DEP
fetch or sync, the ASM portal's activity list, or `manage.py mock_apple_complete_activities`.
From outside it behaves as Apple's: IN_PROGRESS, then COMPLETED; and since a DEP sync looks
first, an MDM server never misses an assignment that is due. A worker would add a process to
the mock and make tests wait on wall time; moving the mock's clock completes activities too.

Completing goes through services.assignments, as the ASM portal's Device Assignments do: the
same DeviceEvents, so the portal's next delta sync sees the change.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from mock_apple import clock, tenancy
from mock_apple.csv_cells import csv_text
from mock_apple.db import DB, chunks
from mock_apple.models import ApiAccount, ApiActivity, Device, MdmServer, MockConfig, Organization
from mock_apple.services import assignments

ASSIGN = "ASSIGN_DEVICES"
UNASSIGN = "UNASSIGN_DEVICES"
ASSIGN_WITH_DEADLINE = "ASSIGN_DEVICES_WITH_MDM_MIGRATION_DEADLINE"
UPDATE_DEADLINE = "UPDATE_MDM_MIGRATION_DEADLINE"
CANCEL_MIGRATION = "CANCEL_MDM_MIGRATION"
RELEASE = "RELEASE_DEVICES"
SCHOOL_TYPES = (ASSIGN, UNASSIGN, ASSIGN_WITH_DEADLINE, UPDATE_DEADLINE, CANCEL_MIGRATION)
BUSINESS_TYPES = (*SCHOOL_TYPES, RELEASE)
NEEDS_SERVER = (ASSIGN, ASSIGN_WITH_DEADLINE)
NEEDS_DEADLINE = (ASSIGN_WITH_DEADLINE, UPDATE_DEADLINE)
MAX_DEADLINE = timedelta(days=90)
READABLE_FOR = timedelta(days=30)
LOG_HEADER = ("Serial Number", "Status", "Details")


@dataclass(frozen=True)
class ActivityRequest:
    activity_type: str
    serials: list[str]
    server: MdmServer | None
    deadline: datetime | None


def activity_create(
    *, organization: Organization, account: ApiAccount | None, request: ActivityRequest
) -> ApiActivity:
    """Accept the activity (the view has checked the request): IN_PROGRESS, due after the delay."""
    now = clock.now()
    delay = MockConfig.load().api_activity_seconds
    return ApiActivity.objects.create(
        organization=organization,
        activity_id=str(uuid.uuid4()),
        account=account,
        activity_type=request.activity_type,
        sub_status="SUBMITTED",
        mdm_server=request.server,
        serials=request.serials,
        deadline=request.deadline,
        created_at=now,
        due_at=now + timedelta(seconds=delay),
    )


def activity_get(*, organization: Organization, activity_id: str) -> ApiActivity | None:
    """The activity, completed first if due; None when unknown or older than 30 days."""
    activities_complete_due(organization=organization)
    activity = ApiActivity.objects.filter(organization=organization, activity_id=activity_id).first()
    if activity is None or activity.created_at < clock.now() - READABLE_FOR:
        return None
    return activity


def activities_complete_due(*, organization: Organization | None = None) -> int:
    """Complete every IN_PROGRESS activity whose time has come (on its organisation's clock);
    returns how many. Without an organisation: those of every organisation."""
    if organization is None:
        pending = Organization.objects.filter(
            api_activities__status=ApiActivity.Status.IN_PROGRESS
        ).distinct()
        return sum(activities_complete_due(organization=item) for item in pending)
    with tenancy.acting_for(organization.pk):
        due = ApiActivity.objects.filter(
            organization=organization, status=ApiActivity.Status.IN_PROGRESS, due_at__lte=clock.now()
        )
        done = 0
        for pk in due.order_by("id").values_list("id", flat=True):
            done += activity_complete(pk=pk)
        return done


def activity_complete(*, pk: int) -> int:
    """Process one activity: assign, unassign or release its devices, write its log."""
    with transaction.atomic(using=DB):
        activity = (
            ApiActivity.objects.select_for_update(of=("self",))
            .select_related("organization", "mdm_server")
            .filter(pk=pk, status=ApiActivity.Status.IN_PROGRESS)
            .first()
        )
        if activity is None:  # another process completed it
            return 0
        rows = _process(activity)
        activity.status = ApiActivity.Status.COMPLETED
        failed = sum(1 for _, status, _ in rows if status == "FAILED")
        if failed == 0:
            activity.sub_status = "COMPLETED_WITH_SUCCESS"
        elif failed == len(rows):
            activity.sub_status = "COMPLETED_WITH_FAILURE"
        else:
            activity.sub_status = "COMPLETED_WITH_ERROR"
        activity.completed_at = clock.now()
        activity.log_csv = _csv(rows)
        activity.save(update_fields=["status", "sub_status", "completed_at", "log_csv"])
    return 1


def _process(activity: ApiActivity) -> list[tuple[str, str, str]]:
    organization = activity.organization
    found = _devices_of(organization, activity.serials)
    rows: list[tuple[str, str, str]] = []
    ids: list[int] = []
    by = f"API: {activity.account.name}" if activity.account_id and activity.account else "API"
    server = activity.mdm_server
    for serial in activity.serials:
        device = found.get(serial)
        if device is None:
            # Apple's quirk: a serial not in the organisation does not fail the activity.
            rows.append((serial, "NOT_FOUND", "The device is not in your organization."))
            continue
        device_id, current = device
        if activity.activity_type == UNASSIGN and server is not None and current not in (None, server.pk):
            rows.append((serial, "FAILED", "The device is assigned to another device management service."))
            continue
        ids.append(device_id)
        rows.append((serial, "SUCCESS", _success_detail(activity, current)))
    kind = activity.activity_type
    if kind in NEEDS_SERVER and server is not None and ids:
        assignments.devices_assign(
            actor=None, organization=organization, server=server, device_ids=ids, assigned_by=by
        )
    elif kind == UNASSIGN and ids:
        assignments.devices_unassign(actor=None, organization=organization, device_ids=ids, assigned_by=by)
    elif kind == RELEASE and ids:
        assignments.devices_release(organization=organization, device_ids=ids, released_by=by)
    return rows


def _success_detail(activity: ApiActivity, current: int | None) -> str:
    kind = activity.activity_type
    server = activity.mdm_server
    if kind in NEEDS_SERVER and server is not None and current == server.pk:
        return "The device was already assigned to this device management service."
    if kind == UNASSIGN and current is None:
        return "The device was not assigned."
    if kind == RELEASE:
        return "The device was released from your organization."
    if kind in (UPDATE_DEADLINE, CANCEL_MIGRATION):
        return "The MDM migration was updated."
    return "The device was processed."


def _devices_of(organization: Organization, serials: Sequence[str]) -> dict[str, tuple[int, int | None]]:
    found: dict[str, tuple[int, int | None]] = {}
    for chunk in chunks(sorted(set(serials))):
        for serial, pk, server in Device.objects.filter(
            organization=organization, disowned_at__isnull=True, serial_number__in=chunk
        ).values_list("serial_number", "id", "mdm_server_id"):
            found[serial] = (pk, server)
    return found


def _csv(rows: list[tuple[str, str, str]]) -> str:
    # The serial numbers are the API client's: a cell that would be a formula is neutralised.
    return csv_text([LOG_HEADER, *rows], lineterminator="\n")


def activities_recent(*, organization: Organization, limit: int = 20) -> list[ApiActivity]:
    """For the ASM portal's list: the latest activities, completed first when due."""
    activities_complete_due(organization=organization)
    since = clock.now() - READABLE_FOR
    return list(
        ApiActivity.objects.filter(Q(organization=organization) & Q(created_at__gte=since))
        .select_related("mdm_server", "account")
        .order_by("-created_at", "-id")[:limit]
    )
