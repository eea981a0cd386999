"""Plain-SQL inserts for the mock's large writes: a 200,000-device seed, a 50,000-device preset,
the change-feed lines of a mass assignment.

`bulk_create` builds a model instance per row and renders every value through the field API:
for 100,000 rows that is most of the time the write takes. Here the caller gives the columns
it sets as plain tuples; every other column gets its field's default, rendered once. PostgreSQL
receives the rows through COPY, SQLite through one prepared statement (executemany).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connections, models

DB = "apple"


def rows_insert(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert `rows` (values of `fields`, in that order) into `model`'s table, in the caller's
    transaction. The primary key comes from the database; the other columns take their default."""
    connection = connections[DB]
    given: list[models.Field[Any, Any]] = []
    for name in fields:
        field = model._meta.get_field(name)
        assert isinstance(field, models.Field), f"{name} is not a column of {model.__name__}"
        given.append(field)
    others = [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in fields and field.attname not in fields
    ]
    constants = tuple(field.get_db_prep_save(field.get_default(), connection) for field in others)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in [*given, *others])
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # psycopg adapts datetimes, booleans and None itself; COPY skips the SQL parser per row.
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((*row, *constants))
            return
        adapt = connection.ops.adapt_datetimefield_value
        dated = [index for index, field in enumerate(given) if isinstance(field, models.DateTimeField)]

        def prepared() -> Iterable[tuple[Any, ...]]:
            for row in rows:
                values = list(row)
                for index in dated:
                    if isinstance(values[index], datetime):
                        values[index] = adapt(values[index])
                yield (*values, *constants)

        marks = ", ".join(["%s"] * (len(given) + len(others)))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(prepared()))
