"""The class board: for each trainee, when each check of the tour became true, and the last
thing that went wrong. Reads only.

It spans tenants on purpose (the trainees' tenants, seen from the trainer's): each fact is one
grouped query over all the class's tenants, so the board costs the same handful of queries for
3 trainees or 60.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Min, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from asm_portal.models import AuditEvent
from asm_portal.tenancy import every_tenant
from devices.models import Device, EnrollmentState, SyncRun
from devices.sync_rules import sync_error_message
from profiles.models import EnrollmentProfile
from tokens.models import EnrollmentProgramToken, TokenEncryptionKey
from trainer.models import Classroom, Trainee
from trainer.tour import TOUR_CHECKS


@dataclass(frozen=True)
class BoardCell:
    key: str
    at: datetime | None

    @property
    def done(self) -> bool:
        return self.at is not None


@dataclass(frozen=True)
class LastError:
    at: datetime
    text: str


@dataclass
class BoardRow:
    trainee: Trainee
    cells: list[BoardCell] = field(default_factory=list)
    last_error: LastError | None = None

    @property
    def done_count(self) -> int:
        return sum(cell.done for cell in self.cells)


@dataclass(frozen=True)
class Board:
    classroom: Classroom
    columns: list[tuple[str, str | Promise]]
    rows: list[BoardRow]

    @property
    def ready(self) -> int:
        return sum(row.trainee.state == Trainee.State.READY for row in self.rows)

    @property
    def building(self) -> bool:
        return any(row.trainee.state in (Trainee.State.PENDING, Trainee.State.CREATING) for row in self.rows)

    @property
    def percent(self) -> int:
        finished = sum(row.trainee.state in (Trainee.State.READY, Trainee.State.FAILED) for row in self.rows)
        return round(100 * finished / len(self.rows)) if self.rows else 100


def _first(queryset: QuerySet[Any], moment: str) -> dict[int, datetime]:
    """The earliest `moment` per tenant."""
    return {
        row["tenant_id"]: row["first"]
        for row in queryset.values("tenant_id").annotate(first=Min(moment)).order_by()
        if row["first"] is not None
    }


def _check_times(tenant_ids: list[int]) -> dict[str, dict[int, datetime]]:
    """When each check of the tour became true, per tenant (one grouped query per check)."""
    mine = Q(tenant_id__in=tenant_ids)
    tokens = EnrollmentProgramToken.objects.filter(mine)
    devices = Device.objects.filter(mine, removed_by_apple=False)
    token_at = _first(tokens, "created_at")
    key_at = _first(TokenEncryptionKey.objects.filter(mine), "created_at")
    return {
        # An upload uses up the key it was encrypted to: the token proves the key's download.
        "public_key": {
            t: min(at for at in (key_at.get(t), token_at.get(t)) if at)
            for t in key_at.keys() | token_at.keys()
        },
        "token": token_at,
        "profile": _first(EnrollmentProfile.objects.filter(mine), "created_at"),
        "sds": _first(tokens.filter(shared_with_sds=True), "modified_at"),
        "sync": _first(SyncRun.objects.filter(mine, state=SyncRun.State.SUCCEEDED), "finished_at"),
        "assigned": _first(devices.filter(assigned_profile__isnull=False), "profile_assigned_at"),
        "enrolled": _first(devices.filter(enrollment_state=EnrollmentState.ENROLLED), "enrolled_at"),
    }


def _last_errors(tenant_ids: list[int]) -> dict[int, LastError]:
    """The last refusal in each tenant's audit log (a refused upload, an enrollment refused…)
    or the last failed sync, whichever is later."""
    errors: dict[int, LastError] = {}

    def keep(tenant_id: int, at: datetime | None, text: str) -> None:
        if at is not None and (tenant_id not in errors or errors[tenant_id].at < at):
            errors[tenant_id] = LastError(at, text)

    failures = (
        AuditEvent.objects.filter(tenant_id__in=tenant_ids, result=AuditEvent.Result.FAILURE)
        .order_by("tenant_id", "-occurred_at")
        .values("tenant_id", "occurred_at", "action", "details")
    )
    for event in _latest_per_tenant(failures):
        detail = event["details"].get("error") if isinstance(event["details"], dict) else ""
        text = _(event["action"])
        keep(
            event["tenant_id"],
            event["occurred_at"],
            _("%(action)s: %(error)s") % {"action": text, "error": detail} if detail else text,
        )
    runs = (
        SyncRun.objects.filter(tenant_id__in=tenant_ids, state=SyncRun.State.FAILED)
        .order_by("tenant_id", "-finished_at")
        .values("tenant_id", "finished_at", "error_code")
    )
    for run in _latest_per_tenant(runs):
        keep(run["tenant_id"], run["finished_at"], sync_error_message(run["error_code"]))
    return errors


def _latest_per_tenant(rows: Iterable[Any]) -> list[dict[str, Any]]:
    """The first row of each tenant (rows come ordered by tenant, newest first). Few rows: the
    failures of one class; a DISTINCT ON would tie the board to PostgreSQL."""
    seen: set[int] = set()
    latest = []
    for row in rows:
        if row["tenant_id"] not in seen:
            seen.add(row["tenant_id"])
            latest.append(row)
    return latest


def classroom_board(classroom: Classroom) -> Board:
    trainees = list(Trainee.objects.filter(classroom=classroom).order_by("number"))
    tenant_ids = [t.trainee_tenant_id for t in trainees if t.trainee_tenant_id is not None]
    with every_tenant():  # the board spans the class's tenants, and only them
        times = _check_times(tenant_ids)
        errors = _last_errors(tenant_ids)
    rows = []
    for trainee in trainees:
        tenant_id = trainee.trainee_tenant_id
        cells = [
            BoardCell(key, times[key].get(tenant_id) if tenant_id is not None else None)
            for key, _label in TOUR_CHECKS
        ]
        rows.append(BoardRow(trainee, cells, errors.get(tenant_id) if tenant_id is not None else None))
    return Board(classroom, list(TOUR_CHECKS), rows)
