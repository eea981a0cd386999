"""A probe of every URL pattern of both services: bad ids in the path, the query string and the
form never end in a 500 (issue 15, "Bad input").

Generated from the two URLconfs (the portal's and the mock Apple service's, walked recursively
through their includes): each pattern is probed with oversized, negative, non-numeric, empty and
non-ASCII-digit values and a valid-looking id of nothing in each path parameter, by GET and by a
CSRF-less POST; then, with the path filled with values that exist, each query and form parameter
the views read gets the same bad values. The portal is probed as a signed-in administrator, and
its device-facing URLs (those that need no sign-in) anonymously too; the mock as anonymous and
as the organisation's signed-in administrator, with a live DEP session, a live API bearer token
and the control secret, so that the probe reaches past each service's authentication.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from devices.models import Device
from mock_apple import clock as apple_clock
from mock_apple.models import ApiAccessToken, Organization
from mock_apple.services import api_accounts, sessions
from tests.devices.conftest import devices_create
from tests.mock_apple.conftest import (
    APPLE_DB,
    admin_of,
    apple_settings,  # noqa: F401 (a fixture of the mock's tests, used here)
    organization_create,
    server_with_token,
    signed_in,
)
from tests.profiles.conftest import profile_create, token_create

OVERSIZED = "9223372036854775808"  # 2**63: one more than PostgreSQL's bigint holds
# Oversized (one past bigint, and past any 64-bit integer), negative, non-numeric, a decimal,
# empty; digits that int() reads though nobody typed them ("²" is isdigit(), "١٢٣" is Arabic-Indic
# 123); a NUL, which PostgreSQL refuses in any text it is given; a number of 40 digits.
BAD_IDS = (
    OVERSIZED,
    "99999999999999999999",
    "-1",
    "abc",
    "1.5",
    "",
    "\u00b2",
    "\u0661\u0662\u0663",
    "1\x00",
    "9" * 40,
)
# In a path, an empty value or a NUL is no segment a client sends as such: their encoded forms.
PATH_BAD_IDS = (*[b for b in BAD_IDS if b not in ("", "1\x00")], "%00", "%20")
# Query and form parameters get one value of each kind that has failed before (too large for
# the database, negative, not a number, digits int() reads but the database does not, a NUL);
# the path parameters get all of BAD_IDS. Every value on every parameter of ~200 URLs would
# take 11 minutes of the suite for the same failures.
PARAMETER_BAD_IDS = (OVERSIZED, "-1", "abc", "\u0661\u0662\u0663", "1\x00")
NOTHING = "2147483000"  # a valid-looking id that no row has
# The query and form parameters the portal's views read (grep request.GET / request.POST, and
# the filters' from_query / from_params).
PORTAL_PARAMETERS = (
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
    "dir",
    "serial",
    "status",
    "state",
    "profile_status",
    "fragment",
    "tab",
    "step",
    "next",
    "return",
    "roles",
    "upn",
)
# The mock Apple service's (its pages, the DEP and School Manager APIs, the control API).
MOCK_PARAMETERS = (
    "page",
    "q",
    "key",
    "ticket",
    "next",
    "limit",
    "cursor",
    "profile_uuid",
    "fields[orgDevices]",
    "pane",
    "action",
    "app",
    "password",
    "role",
    "location",
    "show",
    "sort",
)

_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>[^>]+)>[^)]*\)")


@dataclass(frozen=True)
class Route:
    name: str
    route: str  # the full route, parameters still in <converter:name> (or regex group) form
    login_required: bool = True

    @property
    def parameters(self) -> list[str]:
        return [m["name"] for m in _PARAMETER.finditer(self.route)] + [
            m["name"] for m in _REGEX_GROUP.finditer(self.route)
        ]

    def fill(self, values: dict[str, str]) -> str:
        path = _PARAMETER.sub(lambda m: values[m["name"]], self.route)
        path = _REGEX_GROUP.sub(lambda m: values[m["name"]], path)
        return "/" + path.removeprefix("^").removesuffix("$").replace("\\", "")


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield Route(
                name=f"{namespace}{entry.name or entry.lookup_str}",
                route=prefix + str(entry.pattern),
                login_required=getattr(entry.callback, "login_required", True),
            )


def _routes(urlconf: str) -> list[Route]:
    found = {r.route: r for r in _walk(get_resolver(urlconf).url_patterns)}
    return sorted(found.values(), key=lambda r: r.route)


PORTAL_ROUTES = _routes("asm_portal.urls")
MOCK_ROUTES = _routes("mock_apple.urls")


def _answer(
    client: Client, method: str, url: str, data: dict[str, str] | None, headers: dict[str, str]
) -> int:
    if method == "GET":
        return client.get(url, data, headers=headers).status_code
    return client.post(url, data or {}, headers=headers).status_code


def _no_500(
    client: Client,
    method: str,
    url: str,
    data: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> list[str]:
    status = _answer(client, method, url, data, headers or {})
    return [f"{method} {url!r} {data or ''} -> {status}"] if status >= 500 else []


def _probe(
    route: Route,
    client: Client,
    good: dict[str, list[str]],
    parameters: tuple[str, ...],
    headers: dict[str, str] | None = None,
) -> list[str]:
    """Bad values in each path parameter (the others valid), then, on the path filled with
    values that exist (the first that is found), in each query and form parameter."""
    failures: list[str] = []
    names = route.parameters

    def value(name: str, candidate: str | None = None) -> str:
        return candidate if candidate is not None else good.get(name, good["*"])[0]

    for name in names:
        for bad in (*PATH_BAD_IDS, NOTHING):
            url = route.fill({n: value(n) for n in names} | {name: bad})
            failures += _no_500(client, "GET", url, headers=headers)
            failures += _no_500(client, "POST", url, headers=headers)

    url = route.fill({n: value(n) for n in names})
    if names:
        for candidate in good["*"]:
            attempt = route.fill({n: value(n, candidate if n not in good else None) for n in names})
            if _answer(client, "GET", attempt, None, headers or {}) != 404:
                url = attempt
                break
    if _answer(client, "GET", url, None, headers or {}) == 200:  # POST-only views read nothing by GET
        for parameter in parameters:
            for bad in PARAMETER_BAD_IDS:
                failures += _no_500(client, "GET", url, {parameter: bad}, headers)
    for bad in PARAMETER_BAD_IDS:
        form = dict.fromkeys(parameters, bad) | {"confirm": "yes"}
        failures += _no_500(client, "POST", url, form, headers)
        for parameter in ("device", "profile", "serial", "show", "page", "key"):
            failures += _no_500(client, "POST", url + f"?{parameter}={bad}", {parameter: bad}, headers)
    return failures


# --- The portal ----------------------------------------------------------------------------


@pytest.fixture
def portal_world(db: None) -> dict[str, list[str]]:
    """Rows for the path parameters to name: a token, its profile, a device with the profile."""
    token = token_create()
    profile = profile_create(token)
    (device,) = devices_create(token, 1)
    Device.objects.filter(pk=device.pk).update(assigned_profile=profile)
    ids = [str(token.pk), str(profile.pk), str(device.pk)]
    return {"token_id": [str(token.pk)], "profile_id": [str(profile.pk)], "pk": ids, "*": ids}


def test_the_probe_covers_both_services() -> None:
    portal = {r.name for r in PORTAL_ROUTES}
    assert {"devices:list", "devices:token_devices", "sds:person_list", "devices:assign"} <= portal
    assert {"enroll:enroll", "enroll:web_enrollment"} <= {
        r.name for r in PORTAL_ROUTES if not r.login_required
    }
    assert len(PORTAL_ROUTES) > 50
    mock = {r.name for r in MOCK_ROUTES}
    assert {"asm_person", "ipad_device", "axm_device", "mock_fault", "dep_profile"} <= mock
    assert len(MOCK_ROUTES) > 50


@pytest.mark.parametrize("route", PORTAL_ROUTES, ids=[r.name for r in PORTAL_ROUTES])
def test_no_500_from_bad_input_on_the_portal(
    route: Route, portal_world: dict[str, list[str]], admin_user: Any
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    failures = _probe(route, client, portal_world, PORTAL_PARAMETERS)
    if not route.login_required:  # what devices and the sign-in page call, without a session
        failures += _probe(route, Client(raise_request_exception=False), portal_world, PORTAL_PARAMETERS)
    assert not failures, "\n".join(failures)


# --- The mock Apple service ------------------------------------------------------------------


@pytest.fixture
def mock_world(apple_settings: Any) -> tuple[Organization, dict[str, list[str]], dict[str, str]]:  # noqa: F811
    """An organisation with devices, an MDM server, a person; and the headers that reach past
    the DEP API's session, the School Manager API's bearer token and the control API's secret."""
    organization = organization_create(devices=3)
    server, _ = server_with_token(organization, devices=2)
    session = sessions.session_open(server_token=server.tokens.get(), ttl_seconds=600)
    new = api_accounts.api_account_create(actor=None, organization=organization, name="Probe")
    bearer = "probe-bearer-value"
    now = apple_clock.now()
    ApiAccessToken.objects.create(
        token_digest=api_accounts.digest(bearer),
        account=new.account,
        created_at=now,
        expires_at=now + timedelta(hours=1),
    )
    serial = organization.devices.order_by("serial_number").values_list("serial_number", flat=True)[0]
    account = admin_of(organization)
    good = {
        "serial": [serial],
        "device_id": [serial],
        "server_uuid": [server.server_uuid],
        "server_id": [server.server_uuid],
        "org_id": [organization.org_id],
        "client_id": [new.account.client_id],
        "pk": [str(account.pk), "1"],
        "*": [serial, server.server_uuid, str(account.pk), "1"],
    }
    headers = {
        "X-ADM-Auth-Session": session,
        "X-Server-Protocol-Version": "7",
        "Authorization": f"Bearer {bearer}",
        "X-Mock-Control-Token": settings.MOCK_APPLE_CONTROL_TOKEN,
    }
    return organization, good, headers


@pytest.mark.django_db(databases=APPLE_DB)
@pytest.mark.parametrize("route", MOCK_ROUTES, ids=[r.name for r in MOCK_ROUTES])
def test_no_500_from_bad_input_on_the_mock(
    route: Route, mock_world: tuple[Organization, dict[str, list[str]], dict[str, str]]
) -> None:
    organization, good, headers = mock_world
    anonymous = Client(raise_request_exception=False)
    administrator = signed_in(admin_of(organization))
    administrator.raise_request_exception = False
    failures = _probe(route, anonymous, good, MOCK_PARAMETERS)
    failures += _probe(route, administrator, good, MOCK_PARAMETERS, headers)
    assert not failures, "\n".join(failures)
