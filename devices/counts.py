"""Exact device totals at a million devices, without counting a million rows.

Intune's grid shows exact totals; a COUNT(*) over the million devices of a tenant (or the two
thirds of them without a profile) reads the whole table every time. The totals are instead kept
in `DeviceTally` rows, current in the transaction of every write that changes them: triggers on
the devices table add what each write changed, whoever writes (the sync's plain SQL and COPY,
assignment rounds, enrollment and check-in, the administrator's Delete, the purge, a preset, a
tenant's deletion). Nothing to call from the writers, nothing a new writer can forget:
`tests/devices/test_counts.py` proves each of them keeps the totals equal to a recount.

- PostgreSQL: one AFTER … FOR EACH STATEMENT trigger per event, with its transition tables: a
  statement of 1,000 rows appends one row per (token, state, profile status, profile, removed)
  group it changed, +n or -n; an UPDATE that changes none of those columns appends nothing.
  Appending never waits on another writer's row (updating one counter row would make every
  writer of a token queue behind the page being synced, and could deadlock with the devices'
  own row locks). Readers sum the rows; `device_tallies_compact` folds them (each full sync of
  200,000 devices appends a few hundred).
- SQLite (one writer at a time): row triggers add to the group's one row (an upsert on a unique
  index that only SQLite has).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Count, Q, Sum

from devices.models import Device, DeviceTally

DEVICES = Device._meta.db_table
TALLY = DeviceTally._meta.db_table
# The columns of a group, as the devices table names them.
GROUP = "tenant_id, token_id, enrollment_state, profile_status, COALESCE(assigned_profile_id, 0), removed_by_apple"
TALLY_COLUMNS = "tenant_id, token_id, enrollment_state, profile_status, profile_id, removed_by_apple, devices"

_POSTGRESQL_FUNCTION = f"""
CREATE OR REPLACE FUNCTION devices_tally_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {TALLY} ({TALLY_COLUMNS})
        SELECT {GROUP}, count(*) FROM tally_new GROUP BY 1, 2, 3, 4, 5, 6;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO {TALLY} ({TALLY_COLUMNS})
        SELECT {GROUP}, -count(*) FROM tally_old GROUP BY 1, 2, 3, 4, 5, 6;
    ELSE
        INSERT INTO {TALLY} ({TALLY_COLUMNS})
        SELECT g1, g2, g3, g4, g5, g6, sum(n) FROM (
            SELECT {GROUP}, 1 FROM tally_new UNION ALL SELECT {GROUP}, -1 FROM tally_old
        ) AS changed (g1, g2, g3, g4, g5, g6, n)
        GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(n) <> 0;
    END IF;
    RETURN NULL;
END
$$;
"""
POSTGRESQL_INSTALL = [
    _POSTGRESQL_FUNCTION,
    f"CREATE TRIGGER devices_tally_insert AFTER INSERT ON {DEVICES} REFERENCING NEW TABLE AS tally_new "
    "FOR EACH STATEMENT EXECUTE FUNCTION devices_tally_statement()",
    f"CREATE TRIGGER devices_tally_update AFTER UPDATE ON {DEVICES} "
    "REFERENCING OLD TABLE AS tally_old NEW TABLE AS tally_new "
    "FOR EACH STATEMENT EXECUTE FUNCTION devices_tally_statement()",
    f"CREATE TRIGGER devices_tally_delete AFTER DELETE ON {DEVICES} REFERENCING OLD TABLE AS tally_old "
    "FOR EACH STATEMENT EXECUTE FUNCTION devices_tally_statement()",
]
POSTGRESQL_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS devices_tally_insert ON {DEVICES}",
    f"DROP TRIGGER IF EXISTS devices_tally_update ON {DEVICES}",
    f"DROP TRIGGER IF EXISTS devices_tally_delete ON {DEVICES}",
    "DROP FUNCTION IF EXISTS devices_tally_statement()",
]


def _sqlite_add(row: str, sign: str) -> str:
    return (
        f"INSERT INTO {TALLY} ({TALLY_COLUMNS}) VALUES ({row}.tenant_id, {row}.token_id, "
        f"{row}.enrollment_state, {row}.profile_status, COALESCE({row}.assigned_profile_id, 0), "
        f"{row}.removed_by_apple, {sign}1) "
        "ON CONFLICT (token_id, enrollment_state, profile_status, profile_id, removed_by_apple) "
        f"DO UPDATE SET devices = devices {sign} 1;"
    )


_CHANGED = " OR ".join(
    f"OLD.{column} IS NOT NEW.{column}"
    for column in (
        "tenant_id",
        "token_id",
        "enrollment_state",
        "profile_status",
        "assigned_profile_id",
        "removed_by_apple",
    )
)
SQLITE_INSTALL = [
    f"CREATE UNIQUE INDEX devicetally_group ON {TALLY} "
    "(token_id, enrollment_state, profile_status, profile_id, removed_by_apple)",
    f"CREATE TRIGGER devices_tally_insert AFTER INSERT ON {DEVICES} BEGIN {_sqlite_add('NEW', '+')} END",
    f"CREATE TRIGGER devices_tally_delete AFTER DELETE ON {DEVICES} BEGIN {_sqlite_add('OLD', '-')} END",
    f"CREATE TRIGGER devices_tally_update AFTER UPDATE ON {DEVICES} WHEN {_CHANGED} "
    f"BEGIN {_sqlite_add('OLD', '-')} {_sqlite_add('NEW', '+')} END",
]
SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS devices_tally_insert",
    "DROP TRIGGER IF EXISTS devices_tally_delete",
    "DROP TRIGGER IF EXISTS devices_tally_update",
    "DROP INDEX IF EXISTS devicetally_group",
]


def _connection() -> BaseDatabaseWrapper:
    return connections[router.db_for_write(Device)]


def device_tallies_install(connection: BaseDatabaseWrapper) -> None:
    """The triggers (the migration calls it), then the tallies of the devices already there."""
    statements = POSTGRESQL_INSTALL if connection.vendor == "postgresql" else SQLITE_INSTALL
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        cursor.execute(f"DELETE FROM {TALLY}")
        cursor.execute(
            f"INSERT INTO {TALLY} ({TALLY_COLUMNS}) SELECT {GROUP}, count(*) FROM {DEVICES} "
            "GROUP BY 1, 2, 3, 4, 5, 6"
        )


def device_tallies_uninstall(connection: BaseDatabaseWrapper) -> None:
    statements = POSTGRESQL_UNINSTALL if connection.vendor == "postgresql" else SQLITE_UNINSTALL
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def device_tallies_compact(*, token_ids: Iterable[int] | None = None) -> int:
    """Fold the appended rows into one per group (all tokens, or these), drop the groups that sum
    to nothing and the rows of tokens deleted since; returns the rows left. Safe beside writers:
    rows appended meanwhile are not in the DELETE's snapshot and stay as they are. Spans tenants
    when given no tokens (beat's daily sweep), hence plain SQL."""
    connection = _connection()
    where, params = ("", []) if token_ids is None else ("WHERE token_id = ANY(%s)", [list(token_ids)])
    if connection.vendor != "postgresql":
        # SQLite already keeps one row per group; only the empty groups go.
        where = "WHERE devices = 0" if token_ids is None else ""
        with connection.cursor() as cursor:
            if token_ids is None:
                cursor.execute(f"DELETE FROM {TALLY} {where}")
            cursor.execute(f"SELECT count(*) FROM {TALLY}")
            return int(cursor.fetchone()[0])
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(
            f"WITH folded AS (DELETE FROM {TALLY} {where} RETURNING {TALLY_COLUMNS}) "
            f"INSERT INTO {TALLY} ({TALLY_COLUMNS}) "
            "SELECT f.tenant_id, f.token_id, f.enrollment_state, f.profile_status, f.profile_id, "
            "f.removed_by_apple, sum(f.devices) FROM folded f "
            "WHERE EXISTS (SELECT 1 FROM tokens_enrollmentprogramtoken t WHERE t.id = f.token_id) "
            "GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(f.devices) <> 0",
            params,
        )
        cursor.execute(f"SELECT count(*) FROM {TALLY}")
        return int(cursor.fetchone()[0])


# --- Reading the totals --------------------------------------------------------------------------


def tally_filter(
    *,
    token_id: int | None = None,
    profile_status: str = "",
    state: str = "",
    profile: int | None = None,
    present_only: bool = False,
) -> Q:
    """The groups a grid's pills choose (`profile`: a profile's id, 0 for unassigned)."""
    condition = Q()
    if token_id is not None:
        condition &= Q(token_id=token_id)
    if profile_status:
        condition &= Q(profile_status=profile_status)
    if state:
        condition &= Q(enrollment_state=state)
    if profile is not None:
        condition &= Q(profile_id=profile)
    if present_only:
        condition &= Q(removed_by_apple=False)
    return condition


def tally_total(condition: Q) -> int:
    """The devices of the tenant in scope in the chosen groups: a sum over a few rows."""
    return int(DeviceTally.objects.filter(condition).aggregate(total=Sum("devices"))["total"] or 0)


def tally_totals_by(field: str, condition: Q, keys: Iterable[Any] | None) -> dict[Any, int]:
    """Sums per `field` (token_id, profile_id) for these keys (None: every key), in one query;
    keys without devices are left out, as a GROUP BY of the devices would."""
    if keys is not None:
        condition &= Q(**{f"{field}__in": list(keys)})
    rows = (
        DeviceTally.objects.filter(condition)
        .order_by()
        .values(field)
        .annotate(total=Sum("devices"))
        .values_list(field, "total")
    )
    return {key: int(total) for key, total in rows if total}


def _groups(rows: Any, profile: str, total: Any) -> dict[tuple[Any, ...], int]:
    """(token, state, profile status, profile or 0, removed) → `total`, empty groups left out."""
    grouped = (
        rows.order_by()
        .values("token_id", "enrollment_state", "profile_status", profile, "removed_by_apple")
        .annotate(n=total)
        .values_list("token_id", "enrollment_state", "profile_status", profile, "removed_by_apple", "n")
    )
    return {
        (token, state, status, profile_id or 0, removed): int(n)
        for token, state, status, profile_id, removed, n in grouped
        if n
    }


def tally_recount() -> dict[tuple[Any, ...], int]:
    """The groups as the devices say (tests, and a check after a doubt): group → devices."""
    return _groups(Device.objects, "assigned_profile_id", Count("id"))


def tally_groups() -> dict[tuple[Any, ...], int]:
    """The groups as the tallies say, empty groups left out (compare with `tally_recount`)."""
    return _groups(DeviceTally.objects, "profile_id", Sum("devices"))


def tally_differences() -> list[tuple[Any, ...]]:
    """The groups whose tallies differ from a recount of the devices, in one query (empty when
    `tally_groups() == tally_recount()`): (token, state, profile status, profile or 0, removed,
    devices counted minus tallied). Reads every tenant's rows (plain SQL, no scope)."""
    key = "token_id, enrollment_state, profile_status, profile_id, removed_by_apple"
    with _connection().cursor() as cursor:
        cursor.execute(
            f"SELECT {key}, SUM(n) FROM ("
            f" SELECT token_id, enrollment_state, profile_status, COALESCE(assigned_profile_id, 0) AS profile_id,"
            f" removed_by_apple, 1 AS n FROM {DEVICES}"
            f" UNION ALL SELECT {key}, -devices FROM {TALLY}"
            f") AS g GROUP BY {key} HAVING SUM(n) <> 0"
        )
        return [tuple(row) for row in cursor.fetchall()]
