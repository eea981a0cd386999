"""Database ids from the outside world, parsed in one place.

Every id the portal reads from a URL path, a query string or a form goes through `parse_id`
(query and form values) or the `id` path converter (URL paths, registered at start-up by
`AsmPortalConfig.ready()`). Both accept only what a primary key can be: ASCII digits, from 1 to
PostgreSQL's bigint maximum. Anything else is no id at all: a query filter is ignored, a path
does not match (404). `str.isdigit()` is not enough: it accepts "²" and "١", which `int()`
refuses or reads as a number nobody typed.
"""

from __future__ import annotations

import re

MAX_ID = 2**63 - 1  # PostgreSQL's bigint (and SQLite's INTEGER) holds no more
_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(value: object) -> int | None:
    """A valid database id, or None for anything else (empty, negative, oversized, not ASCII)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= MAX_ID else None
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def parse_ids(values: object) -> list[int]:
    """The valid ids among `values` (a list from `QueryDict.getlist`), each once, sorted."""
    if not isinstance(values, list | tuple | set):
        return []
    return sorted({number for value in values if (number := parse_id(value)) is not None})


class DatabaseIdConverter:
    """`<id:pk>`: like `<int:pk>`, but only ids a table can hold; others are a 404."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError(value)  # the pattern does not match: the resolver answers 404
        return number

    def to_url(self, value: int | str) -> str:
        return str(int(value))
