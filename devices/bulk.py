"""Apple's device records as our rows, and writing many at once: the sync's upsert in plain SQL
(PostgreSQL and SQLite), one transaction per page.

PostgreSQL gets a page in binary COPY (psycopg formats the rows in C) into a temporary staging
table, then one INSERT … SELECT … ON CONFLICT merges it; a token that has no devices yet gets
its pages copied straight into the devices table (`devices_copy`). Where the time went before
(issue 20, README "Where a full sync spends its time"): building the rows in Python and binding
them as 26 arrays (psycopg dumps array elements in Python) cost the worker as much as the
database spent writing them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

import psycopg
from django.db import connections, router, transaction

from devices.models import Device, ProfileStatus

# What Apple says about a device, in the order of the grid's columns.
APPLE_FIELDS = (
    "model",
    "description",
    "color",
    "asset_tag",
    "os",
    "device_family",
    "device_assigned_date",
    "device_assigned_by",
    "profile_status",
    "apple_profile_uuid",
    "apple_profile_assign_time",
    "apple_profile_push_time",
)

APPLE_PROFILE_STATUSES = frozenset(
    {
        ProfileStatus.EMPTY.value,
        ProfileStatus.ASSIGNED.value,
        ProfileStatus.PUSHED.value,
        ProfileStatus.REMOVED.value,
    }
)
EMPTY_STATUS: str = ProfileStatus.EMPTY.value


# --- Apple's device JSON --------------------------------------------------------------------


@lru_cache(maxsize=4096)
def apple_time(value: str) -> datetime | None:
    """Apple's `2026-11-27T05:20:43Z` (cached: a page shares a handful of values)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def device_values(device: dict[str, Any]) -> tuple[Any, ...]:
    """The columns a device of Apple's answer fills (serial number excluded), in APPLE_FIELDS
    order: a tuple, not a dict, as the sync builds 200,000 of them."""
    get = device.get
    model, description, color, asset_tag = get("model"), get("description"), get("color"), get("asset_tag")
    os_name, family, assigned_by = get("os"), get("device_family"), get("device_assigned_by")
    status, uuid = get("profile_status"), get("profile_uuid")
    assigned, assign_time, push_time = (
        get("device_assigned_date"),
        get("profile_assign_time"),
        get("profile_push_time"),
    )
    return (
        "" if model is None else str(model)[:100],
        "" if description is None else str(description)[:200],
        "" if color is None else str(color)[:50],
        "" if asset_tag is None else str(asset_tag)[:100],
        "" if os_name is None else str(os_name)[:20],
        "" if family is None else str(family)[:20],
        apple_time(assigned) if isinstance(assigned, str) and assigned else None,
        "" if assigned_by is None else str(assigned_by)[:254],
        # Every known status is shorter than the column: the cut never makes one.
        status if isinstance(status, str) and status in APPLE_PROFILE_STATUSES else EMPTY_STATUS,
        "" if uuid is None else str(uuid)[:64].replace("-", "").upper(),
        apple_time(assign_time) if isinstance(assign_time, str) and assign_time else None,
        apple_time(push_time) if isinstance(push_time, str) and push_time else None,
    )


def serial_of(device: dict[str, Any]) -> str:
    value = device.get("serial_number")
    return str(value).strip().upper()[:32] if value else ""


# --- Writing devices ---------------------------------------------------------------------------

INSERT_COLUMNS = (
    "tenant_id",  # the token's tenant: raw SQL bypasses the scope, so the row says it itself
    "token_id",
    "serial_number",
    *APPLE_FIELDS,
    "assigned_profile_id",
    "profile_assigned_at",
    "enrollment_state",
    "last_contacted_at",
    "removed_by_apple",
    "removed_at",
    "enrolled_user_name",
    "device_name",
    "enrolled_profile_id",
    "created_at",
    "updated_at",
    "last_seen_run_id",
)
DATETIME_COLUMNS = frozenset(
    field.column for field in Device._meta.concrete_fields if field.get_internal_type() == "DateTimeField"
)
DATETIME_INDEXES = tuple(index for index, column in enumerate(INSERT_COLUMNS) if column in DATETIME_COLUMNS)


def devices_write(rows: Sequence[Sequence[Any]], *, update_columns: Sequence[str] | None) -> int | None:
    """INSERT … ON CONFLICT (token, serial) DO UPDATE (or DO NOTHING), many rows at once; how
    many rows were new, when the database can tell (None: SQLite's upsert cannot).

    Plain SQL: the ORM's bulk_create spends ~80 ms per 1,000 rows preparing values, more than
    the database takes to write them, and a full sync writes 200,000. PostgreSQL and SQLite
    both speak this upsert.
    """
    if not rows:
        return 0
    connection = connections[router.db_for_write(Device)]
    quote = connection.ops.quote_name
    conflict = f"{quote('token_id')}, {quote('serial_number')}"
    if update_columns:
        action = "DO UPDATE SET " + ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in update_columns)
    else:
        action = "DO NOTHING"
    columns = ", ".join(quote(c) for c in INSERT_COLUMNS)
    tail = f" ON CONFLICT ({conflict}) {action}"
    if connection.vendor != "postgresql":
        # SQLite prepares the statement once and runs it per row, in process.
        adapt = connection.ops.adapt_datetimefield_value
        adapted: dict[Any, Any] = {None: None}  # a page shares a handful of moments: adapt each once
        values = []
        for row in rows:
            listed = list(row)
            for index in DATETIME_INDEXES:
                moment = listed[index]
                if moment not in adapted:
                    adapted[moment] = adapt(moment)
                listed[index] = adapted[moment]
            values.append(listed)
        one = f"({', '.join(['%s'] * len(INSERT_COLUMNS))})"
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {quote(Device._meta.db_table)} ({columns}) VALUES {one}{tail}", values
            )
            return None if update_columns else cursor.rowcount
    # PostgreSQL: the page goes in binary COPY into the staging table, then one statement merges
    # it (and empties the staging table, whose rows would otherwise outlive a savepoint). One
    # row comes back: how many rows the merge inserted (xmax = 0: a row version inserted, not
    # updated).
    with connection.wrap_database_errors, psycopg.Cursor(_raw(connection)) as raw:
        raw.execute(STAGING_CREATE)
        _copy(raw, STAGING_TABLE, rows)
        raw.execute(
            f"WITH page AS (DELETE FROM {STAGING_TABLE} RETURNING {columns}),"
            f" written AS (INSERT INTO {quote(Device._meta.db_table)} ({columns})"
            f" SELECT {columns} FROM page{tail} RETURNING (xmax = 0) AS inserted)"
            " SELECT count(*) FILTER (WHERE inserted) FROM written"
        )
        inserted = raw.fetchone()
        return int(inserted[0]) if inserted else 0


def devices_copy(rows: Sequence[Sequence[Any]]) -> int:
    """PostgreSQL only: the rows copied straight into the devices table (binary COPY), for a
    token that has no devices yet: nothing to merge, so no staging and no conflict check. A
    serial number already there fails the COPY with an IntegrityError (the unique index): the
    caller rolls the page back and writes it with `devices_write` instead."""
    if not rows:
        return 0
    connection = connections[router.db_for_write(Device)]
    # Django's exceptions (IntegrityError), as its own cursor would raise them.
    with connection.wrap_database_errors, psycopg.Cursor(_raw(connection)) as raw:
        _copy(raw, connection.ops.quote_name(Device._meta.db_table), rows)
    return len(rows)


def copy_supported() -> bool:
    """Whether the devices' database takes pages by COPY (PostgreSQL)."""
    return connections[router.db_for_write(Device)].vendor == "postgresql"


# The staging table of a page: the inserted columns, no index, no constraint, private to the
# session (temporary: no WAL) and emptied at each commit. Created by the first page of a
# connection's transaction (a rolled-back creation is created again by the next page).
STAGING_TABLE = "devices_device_page"
STAGING_CREATE = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING_TABLE} ON COMMIT DELETE ROWS AS"
    f" SELECT {', '.join(INSERT_COLUMNS)} FROM {Device._meta.db_table} WITH NO DATA"
)


def _copy_types() -> list[str]:
    """The PostgreSQL types of INSERT_COLUMNS, as psycopg's binary COPY needs them said."""
    fields = {field.column: field for field in Device._meta.concrete_fields}
    names = {
        "CharField": "text",
        "DateTimeField": "timestamptz",
        "BooleanField": "bool",
        "BigIntegerField": "int8",
        "ForeignKey": "int8",  # every key of the project is a BigAutoField
    }
    return [names[fields[column].get_internal_type()] for column in INSERT_COLUMNS]


COPY_TYPES = _copy_types()


def _copy(raw: psycopg.Cursor[Any], table: str, rows: Sequence[Sequence[Any]]) -> None:
    columns = ", ".join(INSERT_COLUMNS)
    with raw.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(COPY_TYPES)
        for row in rows:
            copy.write_row(row)


def _raw(connection: Any) -> psycopg.Connection[Any]:
    """psycopg's own connection under Django's (its cursor would write parameters into the SQL
    text; COPY is psycopg's)."""
    connection.ensure_connection()
    return cast("psycopg.Connection[Any]", connection.connection)


@contextmanager
def page_transaction() -> Iterator[None]:
    """One page and the cursor after it. PostgreSQL need not wait for the disk at each commit
    (synchronous_commit off): a page lost in a database crash is read again from the cursor
    before it, the writes being upserts; nothing is ever half-written."""
    with transaction.atomic():
        connection = connections[router.db_for_write(Device)]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield
