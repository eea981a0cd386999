"""Pinning a blade's number of queries (issue 20): each blade is read with enough rows on its
page that a query per row (an N+1) would pass its limit, full page and htmx fragment alike."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from django.test import Client

MaxQueries = Callable[[int], AbstractContextManager[Any]]


def blade_read(client: Client, url: str, max_queries: MaxQueries, limit: int, *, htmx: bool = False) -> str:
    """GET `url` (warmed once: the session, the caches) within `limit` queries; its HTML."""
    headers = {"HX-Request": "true"} if htmx else {}
    assert client.get(url, headers=headers).status_code == 200, url
    with max_queries(limit):
        response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return response.content.decode()
