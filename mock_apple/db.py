"""The mock Apple database: its alias and the helpers every service module shares."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from django.db import connections

from mock_apple.models import Organization

DB = "apple"
CHUNK = 900  # values per IN (…), under SQLite's bound-parameter limit
BULK = 10_000  # rows from which a bulk change refreshes the planner's statistics

T = TypeVar("T")


def chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """`values` in slices of CHUNK, for the IN (…) lists of queries."""
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def organization_lock(organization: Organization) -> None:
    """Serialise the changes of one organisation (call inside a transaction on DB)."""
    Organization.objects.select_for_update().filter(pk=organization.pk).values_list("pk").first()


def tables_analyze(*tables: str) -> None:
    """Refresh the planner's statistics after a bulk change, so that the very next fetch or
    inventory page uses the indexes (PostgreSQL's autovacuum would get there, but later)."""
    with connections[DB].cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connections[DB].ops.quote_name(table)}")


def commit_unsynced() -> None:
    """Let the current transaction commit without waiting for its write-ahead log to reach the
    disk (PostgreSQL; call inside a transaction on DB): for rows whose loss in a crash costs a
    client one more request (a token, an assertion's jti), on a machine where that wait is most
    of the request. Nothing to do on SQLite (its WAL mode already commits without a sync)."""
    connection = connections[DB]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
