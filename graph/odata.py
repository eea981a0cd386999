"""OData query options as Microsoft Graph reads them: $select, $filter, $orderby, $top, $count,
and server-driven paging with `@odata.nextLink` skip tokens (the last row's sort key, never an
offset: a page stays right while rows are added before it).

Collections are described by `Fields`: each Graph property that may be filtered or sorted on,
with the column it reads. Small collections (tokens, profiles) are paged in Python over the
serialized rows; the devices (200,000 of them) in the database, from an index.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import F, Q, QuerySet
from django.http import QueryDict

MAX_TOP = 999
DEFAULT_PAGE = 100


class ODataError(ValueError):
    """A query option Graph would refuse: 400 BadRequest with this message."""


@dataclass(frozen=True)
class Clause:
    name: str
    op: str  # "eq" | "startswith"
    value: Any


@dataclass(frozen=True)
class Query:
    select: tuple[str, ...] = ()
    filters: tuple[Clause, ...] = ()
    orderby: tuple[tuple[str, bool], ...] = ()  # (property, descending)
    top: int | None = None
    count: bool = False
    skiptoken: list[Any] | None = None
    extra: dict[str, str] = field(default_factory=dict)


_LITERAL = r"(?:'(?:[^']|'')*'|true|false|null|-?\d+|[0-9a-fA-F-]{36})"
_EQ = re.compile(rf"^\s*(\w+)\s+eq\s+({_LITERAL})\s*$", re.IGNORECASE)
_STARTSWITH = re.compile(r"^\s*startswith\(\s*(\w+)\s*,\s*('(?:[^']|'')*')\s*\)\s*$", re.IGNORECASE)
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


def _literal(text: str) -> Any:
    lowered = text.lower()
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def _filters(text: str, filterable: Mapping[str, Any], startswith: frozenset[str]) -> tuple[Clause, ...]:
    clauses = []
    for part in _AND.split(text.strip()):
        if match := _EQ.match(part):
            name, value = match.group(1), _literal(match.group(2))
            if name not in filterable:
                raise ODataError(f"Invalid filter clause: filtering on '{name}' is not supported.")
            clauses.append(Clause(name, "eq", value))
        elif match := _STARTSWITH.match(part):
            name, value = match.group(1), _literal(match.group(2))
            if name not in startswith:
                raise ODataError(f"Invalid filter clause: startswith is not supported on '{name}'.")
            clauses.append(Clause(name, "startswith", value))
        else:
            raise ODataError(
                f"Invalid filter clause: '{part.strip()[:100]}'. Supported: 'property eq value' and "
                "startswith(property,'prefix'), joined by 'and'."
            )
    return tuple(clauses)


def skiptoken_encode(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def _skiptoken_decode(text: str) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ODataError("The $skiptoken is not valid.") from None
    if not isinstance(values, list):
        raise ODataError("The $skiptoken is not valid.")
    return values


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def scalar_properties(items: list[dict[str, Any]], properties: frozenset[str]) -> frozenset[str]:
    """The properties whose values can be sorted: never a collection or an object."""
    return frozenset(name for name in properties if all(_scalar(item.get(name)) for item in items))


def query_parse(
    params: QueryDict,
    *,
    properties: frozenset[str],
    filterable: Mapping[str, Any],
    sortable: frozenset[str],
    startswith: frozenset[str] = frozenset(),
    consistency_level: str = "",
) -> Query:
    """Read the query options, refusing what Graph would refuse (and what this collection cannot do)."""
    known = {"$select", "$filter", "$orderby", "$top", "$count", "$skiptoken", "$expand", "$search", "$skip"}
    for key in params:
        if key.startswith("$") and key not in known:
            raise ODataError(f"Query option '{key}' is not allowed.")
    if params.get("$skip"):
        raise ODataError("Query option '$skip' is not supported: follow @odata.nextLink.")
    if params.get("$search") or params.get("$expand"):
        raise ODataError("Query options '$search' and '$expand' are not supported on this collection.")
    select: tuple[str, ...] = ()
    if raw := params.get("$select", "").strip():
        select = tuple(name.strip() for name in raw.split(",") if name.strip())
        unknown = [name for name in select if name not in properties]
        if unknown:
            raise ODataError(f"Could not find a property named '{unknown[0]}' on type.")
    filters = (
        _filters(params.get("$filter", ""), filterable, startswith)
        if params.get("$filter", "").strip()
        else ()
    )
    orderby: list[tuple[str, bool]] = []
    if raw := params.get("$orderby", "").strip():
        for part in raw.split(","):
            words = part.split()
            if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
                raise ODataError(f"Invalid $orderby expression: '{part.strip()}'.")
            if words[0] not in sortable:
                raise ODataError(f"Sorting on '{words[0]}' is not supported.")
            orderby.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    if len(orderby) > 1:
        raise ODataError("Sorting on more than one property is not supported.")
    top = None
    if raw := params.get("$top", "").strip():
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_TOP:
            raise ODataError(f"Invalid value for $top: it must be between 1 and {MAX_TOP}.")
        top = int(raw)
    count = params.get("$count", "").lower() == "true"
    if count and consistency_level.lower() != "eventual":
        raise ODataError("$count is only supported with the ConsistencyLevel header set to 'eventual'.")
    skiptoken = _skiptoken_decode(params.get("$skiptoken", "")) if params.get("$skiptoken") else None
    return Query(select, filters, tuple(orderby), top, count, skiptoken)


def select_apply(item: dict[str, Any], select: tuple[str, ...]) -> dict[str, Any]:
    if not select:
        return item
    kept = {name: item[name] for name in select if name in item}
    if "@odata.type" in item:
        kept = {"@odata.type": item["@odata.type"], **kept}
    return kept


# --- Small collections, in Python -----------------------------------------------------------


def _sort_key(value: Any) -> tuple[int, Any]:
    # Nulls last, whatever the direction (as the database query below does).
    return (1, "") if value is None else (0, value)


def page_items(
    items: list[dict[str, Any]], query: Query
) -> tuple[list[dict[str, Any]], int, list[Any] | None]:
    """Filter, sort and page serialized rows; returns (page, total, next skiptoken values)."""
    for clause in query.filters:
        if clause.op == "eq":
            items = [item for item in items if item.get(clause.name) == clause.value]
        else:
            prefix = str(clause.value).lower()
            items = [item for item in items if str(item.get(clause.name) or "").lower().startswith(prefix)]
    name, descending = query.orderby[0] if query.orderby else ("id", False)
    ordered = sorted(items, key=lambda item: str(item["id"]))
    ordered.sort(key=lambda item: _sort_key(item.get(name)), reverse=descending)
    if descending:
        # Keep nulls last when descending too.
        ordered = [item for item in ordered if item.get(name) is not None] + [
            item for item in ordered if item.get(name) is None
        ]
    total = len(ordered)
    if query.skiptoken is not None:
        ids = [str(item["id"]) for item in ordered]
        last = str(query.skiptoken[-1]) if query.skiptoken else ""
        start = ids.index(last) + 1 if last in ids else 0
        ordered = ordered[start:]
    size = query.top or DEFAULT_PAGE
    page = ordered[:size]
    next_token = [page[-1].get(name), str(page[-1]["id"])] if len(ordered) > size else None
    return page, total, next_token


# --- Large collections, in the database ----------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A Graph property read from a column (`to_db` turns a filter's literal into its value)."""

    column: str
    to_db: Callable[[Any], Any] = lambda value: value
    is_datetime: bool = False
    # startswith() on it: serial numbers are upper case (the prefix is upper-cased and matched
    # exactly, from their index); names match whatever their case.
    ignore_case: bool = False


def queryset_page(
    queryset: QuerySet[Any],
    query: Query,
    *,
    columns: Mapping[str, Column],
    default_order: str,
    unique_column: str,
) -> tuple[QuerySet[Any], Callable[[dict[str, Any]], list[Any]]]:
    """Filter, order and start a page after the skiptoken's row (keyset paging). Returns the
    page's queryset (top + 1 rows: the last one says there is a next page) and how to make the
    next skiptoken from a row of `.values()`."""
    for clause in query.filters:
        column = columns[clause.name]
        if clause.op == "eq":
            value = column.to_db(clause.value)
            queryset = queryset.filter(
                **{f"{column.column}__isnull": True} if value is None else {column.column: value}
            )
        elif column.ignore_case:
            queryset = queryset.filter(**{f"{column.column}__istartswith": str(clause.value)})
        else:
            queryset = queryset.filter(**{f"{column.column}__startswith": str(clause.value).upper()})
    name, descending = query.orderby[0] if query.orderby else (default_order, False)
    column = columns[name]
    key = column.column
    if key == unique_column:
        queryset = queryset.order_by(F(key).desc() if descending else F(key).asc())
        if query.skiptoken:
            last = query.skiptoken[0]
            if not isinstance(last, str | int) or isinstance(last, bool):
                raise ODataError("The $skiptoken is not valid.")
            queryset = queryset.filter(**{f"{key}__lt" if descending else f"{key}__gt": last})
        return queryset, lambda row: [row[key]]
    order = F(key).desc(nulls_last=True) if descending else F(key).asc(nulls_last=True)
    queryset = queryset.order_by(order, "pk")
    if query.skiptoken and len(query.skiptoken) == 2:
        last_value, last_pk = query.skiptoken
        if not isinstance(last_pk, int) or isinstance(last_pk, bool) or not _scalar(last_value):
            raise ODataError("The $skiptoken is not valid.")
        if isinstance(last_value, str) and column.is_datetime:
            try:
                last_value = datetime.fromisoformat(last_value)
            except ValueError:
                raise ODataError("The $skiptoken is not valid.") from None
        if last_value is None:
            queryset = queryset.filter(Q(**{f"{key}__isnull": True}) & Q(pk__gt=last_pk))
        else:
            beyond = Q(**{f"{key}__lt" if descending else f"{key}__gt": last_value})
            same = Q(**{key: last_value}) & Q(pk__gt=last_pk)
            queryset = queryset.filter(beyond | same | Q(**{f"{key}__isnull": True}))
    return queryset, lambda row: [row[key], row["pk"]]
