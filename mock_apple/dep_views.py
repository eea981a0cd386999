"""Apple's Device Assignment (DEP) API, at the same paths, methods and JSON as Apple's."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from mock_apple import clock, cursors, oauth
from mock_apple.dep import (
    CONTENT_TYPE,
    DEVICE_FIELDS,
    MAX_LIMIT,
    DepCall,
    DepError,
    dep_endpoint,
    device_json,
    error_response,
    iso,
    json_body,
    json_response,
    limit_of,
    serials_of,
    server_access_check,
)
from mock_apple.models import Device, DeviceEvent, MdmServer, MockConfig, OAuthNonce, Profile, ServerToken
from mock_apple.services import api_activities, assignments, sessions

CURSOR_LIFETIME = timedelta(days=7)
NONCE_LIFETIME = 2 * oauth.TIMESTAMP_WINDOW


@dep_endpoint({"GET": "session"}, authenticated=False)
def session(request: HttpRequest, *, config: MockConfig) -> HttpResponse:
    """GET /session: an OAuth 1.0a-signed request opens an X-ADM-Auth-Session."""
    try:
        signed = oauth.parse(request)
        token = (
            ServerToken.objects.select_related("mdm_server__organization", "issued_by")
            .filter(consumer_key=signed.consumer_key, access_token=signed.token)
            .first()
        )
        if token is None or token.revoked_at is not None:
            raise oauth.OAuthProblem(401, "token_rejected")
        secrets_ok = oauth.verify(
            signed,
            consumer_secret=token.consumer_secret,
            access_secret=token.access_secret,
        )
        if not secrets_ok:
            raise oauth.OAuthProblem(401, "signature_invalid")
        # Apple's server clock is the only clock: the mock's, of the token's organisation (the
        # call acts for it). A client signs with a clock that follows it (the portal signs with its
        # own demo clock, which the trainer moves together with Apple's).
        oauth.check_timestamp(signed, now=clock.now())
        # Nonces are remembered in real time: the table is shared by organisations whose clocks differ.
        _nonce_record(signed.consumer_key, signed.nonce, timezone.now())
    except oauth.OAuthProblem as problem:
        raise DepError(problem.status, problem.problem) from None
    if token.access_token_expiry <= clock.now():
        raise DepError(401, "token_expired")
    server_access_check(token.mdm_server, token.issued_by)
    value = sessions.session_open(server_token=token, ttl_seconds=config.session_ttl_seconds)
    return json_response({"auth_session_token": value})


def _nonce_record(consumer_key: str, nonce: str, now: Any) -> None:
    OAuthNonce.objects.filter(expires_at__lt=now).delete()
    try:
        with transaction.atomic(using="apple"):
            OAuthNonce.objects.create(
                consumer_key=consumer_key, nonce=nonce[:128], expires_at=now + NONCE_LIFETIME
            )
    except IntegrityError:
        raise oauth.OAuthProblem(401, "nonce_used") from None


@dep_endpoint({"GET": "account"})
def account(request: HttpRequest, *, call: DepCall) -> HttpResponse:
    server = call.server
    organization = server.organization
    issued_by = call.session.server_token.issued_by
    admin_id = issued_by.apple_id if issued_by else server.created_by
    data: dict[str, Any] = {
        "server_name": server.name,
        "server_uuid": server.server_uuid,
        "admin_id": admin_id,
        "facilitator_id": admin_id,
        "org_name": organization.name,
        "org_email": organization.email,
        "org_phone": organization.phone,
        "org_address": organization.address,
    }
    if call.version >= 3:
        data.update(
            org_id=organization.org_id,
            org_id_hash=_sha256(organization.org_id),
            org_type=organization.org_type,
            org_version=organization.org_version,
            urls=[_url(uri, methods) for uri, methods in URLS],
        )
    return json_response(data)


# Apple's list, as its /account answers it: 18 entries, paths (not URLs), the roster and the tvOS
# provider endpoints included although this mock does not serve them.
URLS = (
    ("/session", ["GET"]),
    ("/account", ["GET"]),
    ("/server/devices", ["POST"]),
    ("/devices/sync", ["POST"]),
    ("/devices", ["POST"]),
    ("/devices/disown", ["POST"]),
    ("/profile", ["GET", "POST"]),
    ("/profile/devices", ["DELETE", "POST", "PUT"]),
    ("/device/activationlock", ["POST"]),
    ("/roster/class", ["POST"]),
    ("/roster/class/sync", ["POST"]),
    ("/roster/class/person", ["POST"]),
    ("/roster/class/person/sync", ["POST"]),
    ("/roster/class/location", ["POST"]),
    ("/roster/class/location/sync", ["POST"]),
    ("/roster/course", ["POST"]),
    ("/roster/course/sync", ["POST"]),
    ("/profile/tvprovider", ["GET", "POST"]),
)
# What Apple advertises (zentral's fixture of a real answer): clients size their pages from it.
ADVERTISED_LIMIT = {"default": 1000, "maximum": MAX_LIMIT}


def _url(uri: str, methods: list[str]) -> dict[str, Any]:
    url: dict[str, Any] = {"uri": uri, "http_method": methods}
    if uri in ("/server/devices", "/devices/sync"):
        url["limit"] = dict(ADVERTISED_LIMIT)
    return url


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- Fetch and sync -------------------------------------------------------------------------


def _cursor_of(value: Any, call: DepCall) -> cursors.Cursor:
    if not isinstance(value, str):
        raise DepError(400, "INVALID_CURSOR")
    try:
        cursor = cursors.decode(value)
    except cursors.CursorError:
        raise DepError(400, "INVALID_CURSOR") from None
    if cursor.server_id != call.server.pk:
        raise DepError(400, "INVALID_CURSOR")
    if clock.now() - cursor.issued_at > CURSOR_LIFETIME:
        raise DepError(400, "EXPIRED_CURSOR")
    return cursor


@dep_endpoint({"POST": "fetch"})
def fetch_devices(request: HttpRequest, *, call: DepCall) -> HttpResponse:
    """POST /server/devices: walk the devices the server had when the walk began."""
    body = json_body(request)
    limit = limit_of(body)
    api_activities.activities_complete_due(organization=call.server.organization)
    now = clock.now()
    if body.get("cursor") in (None, ""):
        snapshot = DeviceEvent.objects.filter(mdm_server=call.server).aggregate(seq=Max("id"))["seq"] or 0
        cursor = cursors.Cursor(cursors.FETCH, call.server.pk, 0, snapshot, now)
    else:
        cursor = _cursor_of(body["cursor"], call)
        # A sync cursor, or the last page's: the walk is over, the client moves on to sync.
        if cursor.kind != cursors.FETCH or cursor.exhausted:
            raise DepError(400, "EXHAUSTED_CURSOR")
    rows = list(
        Device.objects.filter(
            mdm_server=call.server, id__gt=cursor.position, assignment_seq__lte=cursor.snapshot
        )
        .order_by("id")
        .values("id", *DEVICE_FIELDS)[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    position = rows[-1]["id"] if rows else cursor.position
    issued = cursor.reissued(position=position, issued_at=now, exhausted=not more)
    return json_response(
        {
            "cursor": cursors.encode(issued),
            "devices": [device_json(row, call.version) for row in rows],
            "fetched_until": iso(now),
            "more_to_follow": more,
        }
    )


EVENT_FIELDS = tuple(f"device__{name}" for name in DEVICE_FIELDS)


@dep_endpoint({"POST": "sync"})
def sync_devices(request: HttpRequest, *, call: DepCall) -> HttpResponse:
    """POST /devices/sync: every change of the server's devices since the cursor."""
    body = json_body(request)
    limit = limit_of(body)
    if body.get("cursor") in (None, ""):
        raise DepError(400, "CURSOR_REQUIRED")
    cursor = _cursor_of(body["cursor"], call)
    api_activities.activities_complete_due(organization=call.server.organization)
    now = clock.now()
    if call.config.echoed_cursor_remaining and MockConfig.objects.filter(
        pk=call.config.pk, echoed_cursor_remaining__gt=0
    ).update(echoed_cursor_remaining=call.config.echoed_cursor_remaining - 1):
        # Apple's known bug: the request's own cursor comes back with more_to_follow.
        return json_response(
            {"cursor": body["cursor"], "devices": [], "fetched_until": iso(now), "more_to_follow": True}
        )
    start = cursor.snapshot if cursor.kind == cursors.FETCH else cursor.position
    rows = list(
        DeviceEvent.objects.filter(mdm_server=call.server, id__gt=start)
        .order_by("id")
        .values("id", "op_type", "op_date", "device__mdm_server_id", *EVENT_FIELDS)[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    devices = []
    for row in rows:
        device_row = {name: row[f"device__{name}"] for name in DEVICE_FIELDS}
        # A device that has left this server since shows only what identifies it.
        full = row["op_type"] != "deleted" and row["device__mdm_server_id"] == call.server.pk
        device = device_json(device_row, call.version, full=full)
        device["op_type"] = row["op_type"]
        device["op_date"] = iso(row["op_date"])
        devices.append(device)
    position = rows[-1]["id"] if rows else start
    issued = cursors.Cursor(cursors.SYNC, call.server.pk, position, cursor.snapshot, now)
    return json_response(
        {
            "cursor": cursors.encode(issued),
            "devices": devices,
            "fetched_until": iso(now),
            "more_to_follow": more,
        }
    )


# --- Devices --------------------------------------------------------------------------------


@dep_endpoint({"POST": "details"})
def device_details(request: HttpRequest, *, call: DepCall) -> HttpResponse:
    """POST /devices. A serial this server cannot see answers only its response_status, as Apple."""
    serials = serials_of(json_body(request, required=True))
    rows = {
        row["serial_number"]: row
        for row in Device.objects.filter(mdm_server=call.server, serial_number__in=set(serials)).values(
            *DEVICE_FIELDS
        )
    }
    devices: dict[str, Any] = {}
    for serial in serials:
        if serial in rows:
            devices[serial] = {**device_json(rows[serial], call.version), "response_status": "SUCCESS"}
        else:
            devices[serial] = {"response_status": "NOT_ACCESSIBLE"}
    return json_response({"devices": devices})


@dep_endpoint({"POST": "disown"})
def disown_devices(request: HttpRequest, *, call: DepCall) -> HttpResponse:
    serials = serials_of(json_body(request, required=True))
    return json_response({"devices": assignments.devices_disown(server=call.server, serials=serials)})


@dep_endpoint({"POST": "activationlock"})
def activation_lock(request: HttpRequest, *, call: DepCall) -> HttpResponse:
    body = json_body(request, required=True)
    serial = body.get("device")
    if not serial:
        raise DepError(400, "DEVICE_ID_REQUIRED")
    escrow_key = body.get("escrow_key")
    lost_message = body.get("lost_message")
    if (
        not isinstance(serial, str)
        or (
            escrow_key is not None
            and not (isinstance(escrow_key, str) and re.fullmatch(r"[0-9a-fA-F]{64}", escrow_key))
        )
        or (lost_message is not None and not isinstance(lost_message, str))
    ):
        raise DepError(400, "MALFORMED_REQUEST_BODY")
    status = assignments.device_activation_lock(server=call.server, serial=serial.strip())
    return json_response({"serial_number": serial.strip(), "response_status": status})


# --- Profiles -------------------------------------------------------------------------------

PROFILE_FLAGS = (
    "allow_pairing",
    "is_supervised",
    "is_multi_user",
    "is_mandatory",
    "await_device_configured",
    "is_mdm_removable",
    "auto_advance_setup",
    "do_not_use_profile_from_backup",
    "is_return_to_service",
    # The emulator's own (see profiles.apple): Shared iPad settings carried to the virtual iPad.
    "shared_ipad_temporary_session_only",
)
EMULATOR_KEYS = ("shared_ipad_maximum_user_count",)
FLAG_DEFAULTS = {
    "allow_pairing": True,
    "is_supervised": False,
    "is_multi_user": False,
    "is_mandatory": False,
    "await_device_configured": False,
    "is_mdm_removable": True,
    "auto_advance_setup": False,
}
VERSION_2_KEYS = ("auto_advance_setup", "await_device_configured", "is_multi_user", "support_email_address")
PROFILE_STRINGS = (
    "profile_name",
    "url",
    "configuration_web_url",
    "department",
    "support_phone_number",
    "support_email_address",
    "org_magic",
    "language",
    "region",
)
PROFILE_LISTS = ("skip_setup_items", "anchor_certs", "supervising_host_certs")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _url_ok(value: str) -> bool:
    if len(value) > 2000 or any(ch.isspace() for ch in value):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def profile_validate(body: dict[str, Any]) -> dict[str, Any]:
    """Apple's rules for a profile, each with Apple's error code; returns what is stored."""
    name = body.get("profile_name")
    if name in (None, ""):
        raise DepError(400, "CONFIG_NAME_REQUIRED")
    if not isinstance(name, str) or len(name) > 125:
        raise DepError(400, "CONFIG_NAME_INVALID")
    url = body.get("url")
    if url in (None, ""):
        raise DepError(400, "CONFIG_URL_REQUIRED")
    if not isinstance(url, str) or not _url_ok(url):
        raise DepError(400, "CONFIG_URL_INVALID")
    web_url = body.get("configuration_web_url")
    if web_url not in (None, "") and not (isinstance(web_url, str) and _url_ok(web_url)):
        raise DepError(400, "CONFIG_URL_INVALID")
    checks = (
        ("department", 125, "DEPARTMENT_INVALID"),
        ("support_phone_number", 50, "SUPPORT_PHONE_INVALID"),
        ("support_email_address", 250, "SUPPORT_EMAIL_INVALID"),
        ("org_magic", 256, "MAGIC_INVALID"),
    )
    for key, longest, code in checks:
        value = body.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > longest):
            raise DepError(400, code)
    email = body.get("support_email_address")
    if email and not EMAIL.fullmatch(email):
        raise DepError(400, "SUPPORT_EMAIL_INVALID")
    if any(key in body and not isinstance(body[key], bool) for key in PROFILE_FLAGS):
        raise DepError(400, "FLAGS_INVALID")
    if body.get("is_mdm_removable") is False and body.get("is_supervised") is not True:
        raise DepError(400, "FLAGS_INVALID")
    language, region = body.get("language"), body.get("region")
    if language is not None and not (isinstance(language, str) and re.fullmatch(r"[A-Za-z]{2,3}", language)):
        raise DepError(400, "LOCALE_INVALID")
    if region is not None and not (isinstance(region, str) and re.fullmatch(r"[A-Z]{2}", region)):
        raise DepError(400, "LOCALE_INVALID")
    if region and not language:
        raise DepError(400, "LOCALE_INVALID")
    for key in PROFILE_LISTS:
        value = body.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(item, str) for item in value)
        ):
            raise DepError(400, "MALFORMED_REQUEST_BODY")
    users = body.get("shared_ipad_maximum_user_count")
    if users is not None and not (
        isinstance(users, int) and not isinstance(users, bool) and 1 <= users <= 96
    ):
        raise DepError(400, "MALFORMED_REQUEST_BODY")
    keys = (*PROFILE_STRINGS, *PROFILE_FLAGS, *PROFILE_LISTS, *EMULATOR_KEYS)
    stored = {key: body[key] for key in keys if key in body}
    return stored


def _profile_json(profile: Profile, version: int) -> dict[str, Any]:
    data = {**FLAG_DEFAULTS, "org_magic": "", **profile.data, "profile_uuid": profile.profile_uuid}
    if version < 2:
        for key in VERSION_2_KEYS:
            data.pop(key, None)
    return data


def _profile_for(call: DepCall, profile_uuid: Any, *, not_found_status: int | None = None) -> Profile:
    """The server's profile. An unknown one answers PROFILE_NOT_FOUND: 404 on assign (Apple's,
    observed); on GET /profile Apple's status is unverified, so MockConfig chooses (400 or 404)."""
    if not profile_uuid or not isinstance(profile_uuid, str):
        raise DepError(400, "PROFILE_UUID_REQUIRED")
    # Clients may send a UUID with dashes or in lower case (zentral normalises, others do not).
    normalised = profile_uuid.replace("-", "").upper()
    profile = Profile.objects.filter(mdm_server=call.server, profile_uuid=normalised).first()
    if profile is None:
        raise DepError(not_found_status or call.config.profile_not_found_status, "PROFILE_NOT_FOUND")
    return profile


@dep_endpoint({"GET": "profile_get", "POST": "profile_define"})
def profile(request: HttpRequest, *, call: DepCall) -> HttpResponse:
    """GET /profile?profile_uuid= reads a profile; POST /profile defines one."""
    if request.method == "GET":
        found = _profile_for(call, request.GET.get("profile_uuid"))
        return json_response(_profile_json(found, call.version))
    body = json_body(request, required=True)
    stored = profile_validate(body)
    serials = body.get("devices") or []
    if not isinstance(serials, list) or not all(isinstance(item, str) for item in serials):
        raise DepError(400, "MALFORMED_REQUEST_BODY")
    defined = assignments.profile_define(server=call.server, data=stored)
    answers = {}
    if serials:
        answers = assignments.profile_assign(
            server=call.server, profile=defined, serials=serials, throttling=False
        )
    return json_response({"profile_uuid": defined.profile_uuid, "devices": answers})


@dep_endpoint({"POST": "profile_assign", "PUT": "profile_assign", "DELETE": "profile_remove"})
def profile_devices(request: HttpRequest, *, call: DepCall) -> HttpResponse:
    """POST or PUT /profile/devices assigns (nanodep still PUTs); DELETE, with a body, removes."""
    body = json_body(request, required=True)
    if request.method == "DELETE":
        serials = serials_of(body)
        return json_response({"devices": assignments.profile_clear(server=call.server, serials=serials)})
    if not body.get("profile_uuid"):
        raise DepError(400, "PROFILE_UUID_REQUIRED")
    serials = serials_of(body)
    found = _profile_for(call, body["profile_uuid"], not_found_status=404)
    answers = assignments.profile_assign(
        server=call.server, profile=found, serials=serials, throttling=call.version >= 9
    )
    data: dict[str, Any] = {"profile_uuid": found.profile_uuid, "devices": answers}
    if call.version >= 10 and "THROTTLED" in answers.values():
        data["retry_after_seconds"] = call.config.retry_after_seconds
    return json_response(data)


# --- Beta enrollment and account-driven enrollment ------------------------------------------

BETA_TITLES = (("iOS 27 Developer Beta", "iOS"), ("macOS 27 Developer Beta", "OSX"))


@dep_endpoint({"GET": "os_beta"})
def beta_enrollment_tokens(request: HttpRequest, *, call: DepCall) -> HttpResponse:
    """GET /os-beta-enrollment/tokens: the organisation's AppleSeed for IT tokens (made up,
    stable per organisation)."""
    org_id = call.server.organization.org_id
    tokens = [
        {"title": title, "os": os_name, "token": _sha256(f"{org_id}:{os_name}")[:40]}
        for title, os_name in BETA_TITLES
    ]
    return json_response({"betaEnrollmentTokens": tokens, "seedBuildTokens": tokens})


@dep_endpoint({"GET": "ade_profile", "POST": "ade_profile", "DELETE": "ade_profile"})
def ade_profile(request: HttpRequest, *, call: DepCall) -> HttpResponse:
    """/account-driven-enrollment/profile: the MDM Service Discovery URL of the server."""
    server = call.server
    if request.method == "POST":
        url = json_body(request, required=True).get("mdm_service_discovery_url")
        if url in (None, ""):
            raise DepError(400, "MDM_SERVICE_DISCOVERY_URL_REQUIRED")
        if not isinstance(url, str) or not _url_ok(url):
            raise DepError(400, "MDM_SERVICE_DISCOVERY_URL_NOT_VALID")
        MdmServer.objects.filter(pk=server.pk).update(ade_discovery_url=url, ade_updated_at=clock.now())
        return HttpResponse(status=200, content_type=CONTENT_TYPE)
    if request.method == "DELETE":
        MdmServer.objects.filter(pk=server.pk).update(ade_discovery_url="", ade_updated_at=clock.now())
        return HttpResponse(status=200, content_type=CONTENT_TYPE)
    server.refresh_from_db(fields=["ade_discovery_url", "ade_updated_at"])
    data: dict[str, Any] = {}
    if server.ade_discovery_url:
        data = {
            "mdm_service_discovery_url": server.ade_discovery_url,
            "last_updated_timestamp": iso(server.ade_updated_at),
        }
    return json_response(data)


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """A path Apple does not serve: Apple's plain answer, never Django's HTML page."""
    return error_response(DepError(404, "NOT_FOUND"), MockConfig.load())
