"""Apple's device records as our rows, and writing many at once: the sync's upsert in plain SQL
(PostgreSQL and SQLite), one transaction per page."""

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

APPLE_PROFILE_STATUSES = {
    ProfileStatus.EMPTY.value,
    ProfileStatus.ASSIGNED.value,
    ProfileStatus.PUSHED.value,
    ProfileStatus.REMOVED.value,
}


# --- Apple's device JSON --------------------------------------------------------------------


@lru_cache(maxsize=4096)
def apple_time(value: str) -> datetime | None:
    """Apple's `2026-11-27T05:20:43Z` (cached: a page shares a handful of values)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _text(device: dict[str, Any], key: str, longest: int) -> str:
    value = device.get(key)
    return str(value)[:longest] if value is not None else ""


def _moment(device: dict[str, Any], key: str) -> datetime | None:
    value = device.get(key)
    return apple_time(value) if isinstance(value, str) and value else None


def device_fields(device: dict[str, Any]) -> dict[str, Any]:
    """The columns a device of Apple's answer fills (serial number excluded)."""
    status = _text(device, "profile_status", 16)
    return {
        "model": _text(device, "model", 100),
        "description": _text(device, "description", 200),
        "color": _text(device, "color", 50),
        "asset_tag": _text(device, "asset_tag", 100),
        "os": _text(device, "os", 20),
        "device_family": _text(device, "device_family", 20),
        "device_assigned_date": _moment(device, "device_assigned_date"),
        "device_assigned_by": _text(device, "device_assigned_by", 254),
        "profile_status": status if status in APPLE_PROFILE_STATUSES else ProfileStatus.EMPTY,
        "apple_profile_uuid": _text(device, "profile_uuid", 64).replace("-", "").upper(),
        "apple_profile_assign_time": _moment(device, "profile_assign_time"),
        "apple_profile_push_time": _moment(device, "profile_push_time"),
    }


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


def devices_write(rows: list[list[Any]], *, update_columns: Sequence[str] | None) -> int | None:
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
    adapt = connection.ops.adapt_datetimefield_value
    dates = [index for index, column in enumerate(INSERT_COLUMNS) if column in DATETIME_COLUMNS]
    adapted: dict[Any, Any] = {None: None}  # a page shares a handful of moments: adapt each once
    for row in rows:
        for index in dates:
            value = row[index]
            if value not in adapted:
                adapted[value] = adapt(value)
            row[index] = adapted[value]
    conflict = f"{quote('token_id')}, {quote('serial_number')}"
    if update_columns:
        action = "DO UPDATE SET " + ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in update_columns)
    else:
        action = "DO NOTHING"
    head = (
        f"INSERT INTO {quote(Device._meta.db_table)} ({', '.join(quote(c) for c in INSERT_COLUMNS)}) VALUES "
    )
    one = f"({', '.join(['%s'] * len(INSERT_COLUMNS))})"
    tail = f" ON CONFLICT ({conflict}) {action}"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # SQLite prepares the statement once and runs it per row, in process.
            cursor.executemany(head + one + tail, rows)
            return None if update_columns else cursor.rowcount
        # PostgreSQL: one statement for the page, one array per column (a statement per row
        # costs a parse each; a VALUES list of 26,000 literals costs more to parse than to write).
        # The arrays go as parameters bound on the server, in binary (%b; Django's cursor would
        # write them into the SQL text, character by character).
        fields = {field.column: field for field in Device._meta.concrete_fields}
        arrays = ", ".join(f"%b::{fields[column].db_type(connection)}[]" for column in INSERT_COLUMNS)
        columns = ", ".join(quote(c) for c in INSERT_COLUMNS)
        with psycopg.Cursor(cast("psycopg.Connection[Any]", connection.connection)) as raw:
            # xmax = 0: the row version was inserted, not updated.
            raw.execute(
                f"INSERT INTO {quote(Device._meta.db_table)} ({columns}) SELECT * FROM unnest({arrays}){tail}"
                " RETURNING (xmax = 0)",
                [list(values) for values in zip(*rows, strict=True)],
            )
            return sum(1 for (inserted,) in raw.fetchall() if inserted)


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
