"""A probe of every URL pattern of the portal: bad ids in the path, the query string and the form
never end in a 500 (issue 15, "Bad input").

Generated from the URLconf: each pattern (walked recursively through its includes) is probed
with an oversized, a negative, a non-numeric id and a valid-looking id of nothing in each path
parameter, by GET and by a CSRF-less POST as an administrator; then, with the path filled with
ids that exist, each query and form parameter the views read gets the same bad values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from devices.models import Device
from tests.devices.conftest import devices_create
from tests.profiles.conftest import profile_create, token_create

OVERSIZED = "9223372036854775808"  # 2**63: one more than PostgreSQL's bigint holds
# Oversized, negative, non-numeric; a digit that int() refuses ("²".isdigit() is True); a NUL,
# which PostgreSQL refuses in any text it is given; a number beyond any integer column.
BAD_IDS = (OVERSIZED, "-1", "abc", "\u00b2", "1\x00", "9" * 40)
NOTHING = "2147483000"  # a valid-looking id that no row has
# The query and form parameters the portal's views read (grep request.GET / request.POST).
PARAMETERS = (
    "profile",
    "token",
    "device",
    "show",
    "page",
    "school",
    "class",
    "person",
    "q",
    "sort",
    "serial",
)

_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    name: str
    route: str  # the full route, parameters still in <converter:name> form

    @property
    def parameters(self) -> list[tuple[str, str]]:
        return [(m["converter"] or "str", m["name"]) for m in _PARAMETER.finditer(self.route)]

    def fill(self, values: dict[str, str]) -> str:
        return "/" + _PARAMETER.sub(lambda m: values[m["name"]], self.route)


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield Route(
                name=f"{namespace}{entry.name or entry.lookup_str}", route=prefix + str(entry.pattern)
            )


ROUTES = sorted({r.route: r for r in _walk(get_resolver().url_patterns)}.values(), key=lambda r: r.route)


def _no_500(client: Client, method: str, url: str, data: dict[str, str] | None = None) -> list[str]:
    response = client.get(url, data) if method == "GET" else client.post(url, data or {})
    return [f"{method} {url} {data or ''} -> {response.status_code}"] if response.status_code >= 500 else []


@pytest.fixture
def world(db: None) -> dict[str, list[str]]:
    """Rows for the path parameters to name: a token, its profile, a device with the profile."""
    token = token_create()
    profile = profile_create(token)
    (device,) = devices_create(token, 1)
    Device.objects.filter(pk=device.pk).update(assigned_profile=profile)
    ids = [str(token.pk), str(profile.pk), str(device.pk)]
    return {"token_id": [str(token.pk)], "profile_id": [str(profile.pk)], "pk": ids, "*": ids}


def test_the_probe_covers_the_portal() -> None:
    names = {r.name for r in ROUTES}
    assert {"devices:list", "devices:token_devices", "sds:person_list", "devices:assign"} <= names
    assert len(ROUTES) > 50


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_no_500_from_bad_input(route: Route, world: dict[str, list[str]], admin_user: Any) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    failures: list[str] = []
    parameters = route.parameters

    # 1. Bad values in each path parameter (the others valid).
    for _converter, name in parameters:
        for bad in (*BAD_IDS, NOTHING):
            values = {n: world.get(n, world["*"])[0] for _c, n in parameters} | {name: bad}
            url = route.fill(values)
            failures += _no_500(client, "GET", url)
            failures += _no_500(client, "POST", url)

    # 2. The path filled with rows that exist (the first that answers), then bad query and
    # form parameters, one at a time.
    url = route.fill({n: world.get(n, world["*"])[0] for _c, n in parameters})
    if parameters:
        for candidate in world["*"]:
            attempt = route.fill(
                {n: world.get(n, [candidate])[0] if n != "pk" else candidate for _c, n in parameters}
            )
            if client.get(attempt).status_code != 404:
                url = attempt
                break
    if client.get(url).status_code == 200:  # a POST-only view has nothing more to read by GET
        for parameter in PARAMETERS:
            for bad in BAD_IDS:
                failures += _no_500(client, "GET", url, {parameter: bad})
    for bad in BAD_IDS:
        form = dict.fromkeys(PARAMETERS, bad) | {"confirm": "yes"}
        failures += _no_500(client, "POST", url, form)
        for parameter in ("device", "profile", "serial", "show"):
            failures += _no_500(
                client, "POST", url + f"?{parameter}={bad}", {parameter: bad, "confirm": "yes"}
            )
    assert not failures, "\n".join(failures)
