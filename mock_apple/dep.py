"""The shape of Apple's Device Assignment API: headers, errors, sessions, JSON of devices.

`dep_endpoint` wraps every Apple-shaped view with what Apple does before the endpoint itself:
method check, User-Agent, queued faults, the X-ADM-Auth-Session, the server token's state,
the organisation's terms, and afterwards the optional session rotation. The call acts for the
organisation of its session (or, at GET /session, of its server token): its clock, switches
and faults; a call that names none meets the default organisation's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from mock_apple import clock, oauth, tenancy
from mock_apple.models import AuthSession, MdmServer, MockConfig
from mock_apple.services import controls, sessions

CONTENT_TYPE = "application/json;charset=UTF8"
LOWEST_VERSION = 1
HIGHEST_VERSION = 10
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
DEFAULT_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}


class DepError(Exception):
    """An Apple error answer: a status and a bare code string."""

    def __init__(self, status: int, code: str, retry_after: int | None = None) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.retry_after = retry_after


@dataclass
class DepCall:
    """What an authenticated endpoint knows about the call."""

    server: MdmServer
    session: AuthSession
    version: int
    config: MockConfig


def json_response(data: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(data, separators=(",", ":")), status=status, content_type=CONTENT_TYPE)


def error_response(error: DepError, config: MockConfig | None) -> HttpResponse:
    code = error.code or DEFAULT_CODES.get(error.status, "ERROR")
    body = json.dumps(code) if config is not None and config.quoted_errors else code
    response = HttpResponse(body, status=error.status, content_type=CONTENT_TYPE)
    if error.retry_after is not None:
        response["Retry-After"] = str(error.retry_after)
    return response


def protocol_version(request: HttpRequest) -> int:
    """X-Server-Protocol-Version; absent or unreadable means the lowest, as Apple does."""
    try:
        version = int(request.headers.get("X-Server-Protocol-Version", ""))
    except ValueError:
        return LOWEST_VERSION
    return max(LOWEST_VERSION, min(version, HIGHEST_VERSION))


def json_body(request: HttpRequest, *, required: bool = False) -> dict[str, Any]:
    if not request.body.strip():
        if required:
            raise DepError(400, "MALFORMED_REQUEST_BODY")
        return {}
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise DepError(400, "MALFORMED_REQUEST_BODY") from None
    if not isinstance(data, dict):
        raise DepError(400, "MALFORMED_REQUEST_BODY")
    return data


def serials_of(body: Mapping[str, Any], key: str = "devices") -> list[str]:
    devices = body.get(key)
    if not devices:
        raise DepError(400, "DEVICE_ID_REQUIRED")
    if not isinstance(devices, list) or not all(isinstance(item, str) for item in devices):
        raise DepError(400, "MALFORMED_REQUEST_BODY")
    return [item.strip() for item in devices]


def limit_of(body: Mapping[str, Any]) -> int:
    """`limit`: default 100; above the maximum of 1000 it is clamped to 1000 (documented)."""
    limit = body.get("limit")
    if limit is None:
        return DEFAULT_LIMIT
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise DepError(400, "MALFORMED_REQUEST_BODY")
    if limit < 1:
        return DEFAULT_LIMIT
    return min(int(limit), MAX_LIMIT)


def iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


# --- Devices as Apple writes them -----------------------------------------------------------

DEVICE_FIELDS = (
    "serial_number",
    "model",
    "description",
    "color",
    "asset_tag",
    "device_family",
    "os",
    "profile_status",
    "profile_uuid",
    "profile_assign_time",
    "profile_push_time",
    "device_assigned_date",
    "device_assigned_by",
)


def device_json(row: Mapping[str, Any], version: int, *, full: bool = True) -> dict[str, Any]:
    """One device; `full=False` keeps only what a `deleted` sync line or a foreign device shows."""
    device: dict[str, Any] = {
        "serial_number": row["serial_number"],
        "model": row["model"],
        "description": row["description"],
        "color": row["color"],
    }
    if row["asset_tag"]:
        device["asset_tag"] = row["asset_tag"]
    if version >= 2:
        family = row["device_family"]
        os_name = row["os"]
        if family == "iPad" and version < 7:
            os_name = "iOS"
        device["os"] = os_name
        device["device_family"] = family
    if not full:
        return device
    device["profile_status"] = row["profile_status"]
    if row["profile_uuid"]:
        device["profile_uuid"] = row["profile_uuid"]
    for key in ("profile_assign_time", "profile_push_time", "device_assigned_date"):
        if row[key]:
            device[key] = iso(row[key])
    if row["device_assigned_by"]:
        device["device_assigned_by"] = row["device_assigned_by"]
    return device


# --- The wrapper of every Apple-shaped endpoint ---------------------------------------------

View = Callable[..., HttpResponse]


def dep_endpoint(endpoints: Mapping[str, str], *, authenticated: bool = True) -> Callable[[View], View]:
    """`endpoints` maps each accepted method to the endpoint name that faults are queued for."""

    def decorator(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            with tenancy.acting_for(_organization_id(request, authenticated=authenticated)):
                return _call(request, *args, **kwargs)

        def _call(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            config = MockConfig.load()
            try:
                endpoint = endpoints.get(request.method or "")
                if endpoint is None:
                    response = error_response(DepError(405, "METHOD_NOT_ALLOWED"), config)
                    response["Allow"] = ", ".join(endpoints)
                    return response
                if not request.headers.get("User-Agent", "").strip():
                    raise DepError(400, "USER_AGENT_MISSING")
                _apply_fault(endpoint)
                if not authenticated:
                    return view(request, *args, config=config, **kwargs)
                call = _authenticate(request, config)
                response = view(request, *args, call=call, **kwargs)
            except DepError as error:
                return error_response(error, config)
            if config.session_rotation and response.status_code < 400:
                response["X-ADM-Auth-Session"] = sessions.session_rotate(
                    session=call.session, ttl_seconds=config.session_ttl_seconds
                )
            return response

        return wrapper

    return decorator


def _organization_id(request: HttpRequest, *, authenticated: bool) -> int | None:
    """Whom the call is for, read before anything is checked (a fault answers first)."""
    if authenticated:
        return sessions.session_organization_id(request.headers.get("X-ADM-Auth-Session", ""))
    try:
        signed = oauth.parse(request)
    except oauth.OAuthProblem:
        return None
    return sessions.token_organization_id(signed.consumer_key)


def _apply_fault(endpoint: str) -> None:
    fault = controls.fault_wait(endpoint=endpoint)
    if fault is not None and fault.status:
        raise DepError(fault.status, fault.code, fault.retry_after)


def _authenticate(request: HttpRequest, config: MockConfig) -> DepCall:
    session = sessions.session_find(request.headers.get("X-ADM-Auth-Session", ""))
    if session is None:
        raise DepError(401, "UNAUTHORIZED")
    token = session.server_token
    if token.revoked_at is not None:
        raise DepError(401, "token_rejected")
    if token.access_token_expiry <= clock.now():
        raise DepError(401, "token_expired")
    server = token.mdm_server
    server_access_check(server, token.issued_by)
    return DepCall(server=server, session=session, version=protocol_version(request), config=config)


def server_access_check(server: MdmServer, issued_by: Any) -> None:
    """403s that Apple gives to a valid token: new terms to accept, or no permission."""
    if not server.organization.terms_accepted:
        raise DepError(403, "T_C_NOT_SIGNED")
    if server.access_denied or (issued_by is not None and not issued_by.is_active):
        raise DepError(403, "ACCESS_DENIED")
