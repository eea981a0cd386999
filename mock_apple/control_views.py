"""The control API under /_mock/: fault injection, clock, terms and test data, for tests and trainers.

Never on Apple's paths. Every call needs the shared secret settings.MOCK_APPLE_CONTROL_TOKEN
in the X-Mock-Control-Token header; without a configured secret the API does not exist.

Each trainee has an organisation of their own: a call acts for the organisation named by its
X-Mock-Organization header (an org_id), or without one for the default organisation (the
oldest), and sees and changes only that organisation's clock, switches, faults, terms, servers
and rows. /_mock/organizations creates, lists and deletes the organisations themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

from mock_apple import clock, scenario, tenancy
from mock_apple.ipad import device, fleet, identity, session, setup_assistant, wake
from mock_apple.models import (
    ApiAccount,
    Device,
    ForcedResponse,
    MdmServer,
    MockConfig,
    Organization,
    ServerToken,
    VirtualDevice,
    current_organization_pk,
)
from mock_apple.services import api_accounts as api_accounts_services
from mock_apple.services import api_activities, controls, mdm_servers
from mock_apple.services import assignments as assignments_services
from mock_apple.services import organization as organization_services

View = Callable[..., HttpResponse]
ORGANIZATION_HEADER = "X-Mock-Organization"
CONTROL_ORIGIN = "Control API"  # who acts, in an organisation's activity log


class ControlRequest(HttpRequest):
    organization: Organization | None  # None: no organisation exists yet


def control(*methods: str, scoped: bool = True) -> Callable[[View], View]:
    """`scoped`: the call acts for the organisation of X-Mock-Organization (404 when unknown)."""

    def decorator(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            expected = settings.MOCK_APPLE_CONTROL_TOKEN
            if not expected:
                raise Http404
            if not constant_time_compare(request.headers.get("X-Mock-Control-Token", ""), expected):
                return JsonResponse({"error": "X-Mock-Control-Token is missing or wrong."}, status=403)
            if request.method not in methods:
                response = JsonResponse({"error": "Method not allowed."}, status=405)
                response["Allow"] = ", ".join(methods)
                return response
            organization: Organization | None = None
            if scoped:
                org_id = request.headers.get(ORGANIZATION_HEADER, "").strip()
                organization = (
                    Organization.objects.filter(org_id=org_id).first()
                    if org_id
                    else Organization.objects.filter(pk=current_organization_pk()).first()
                )
                if org_id and organization is None:
                    return JsonResponse({"error": f"There is no organisation {org_id!r}."}, status=404)
            request.organization = organization  # type: ignore[attr-defined]
            with tenancy.acting_for(organization.pk if organization else None):
                return _run(view, request, *args, **kwargs)

        return wrapper

    return decorator


def _run(view: View, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """The view, its refusals as 400 JSON."""
    try:
        return view(request, *args, **kwargs)
    except ValidationError as error:
        fields = error.message_dict if hasattr(error, "error_dict") else {}
        return JsonResponse({"error": " ".join(error.messages), "fields": fields}, status=400)
    except ValueError as error:
        return JsonResponse({"error": str(error)}, status=400)


def _organization_required(request: ControlRequest) -> Organization:
    if request.organization is None:
        raise ValueError("There is no organisation: run seed_apple first.")
    return request.organization


def _body(request: HttpRequest) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    try:
        data = json.loads(request.body)
    except ValueError:
        raise ValueError("The body is not JSON.") from None
    if not isinstance(data, dict):
        raise ValueError("The body must be a JSON object.")
    return data


def _int(data: dict[str, Any], key: str, default: int | None = None) -> int | None:
    value = data.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} must be a whole number.")
    return int(value)


def _fault_json(fault: ForcedResponse) -> dict[str, Any]:
    return {
        "id": fault.pk,
        "endpoint": fault.endpoint,
        "status": fault.status,
        "code": fault.code,
        "retry_after": fault.retry_after,
        "latency_ms": fault.latency_ms,
        "remaining": fault.remaining,
    }


def _config_json(config: MockConfig) -> dict[str, Any]:
    return {name: getattr(config, name) for name in controls.CONFIG_FIELDS}


def _server_json(server: MdmServer) -> dict[str, Any]:
    token = ServerToken.objects.filter(mdm_server=server, revoked_at__isnull=True).first()
    return {
        "name": server.name,
        "server_uuid": server.server_uuid,
        "devices": getattr(server, "device_count", None),
        "access_denied": server.access_denied,
        "has_certificate": bool(server.certificate_pem),
        "token": {"consumer_key": token.consumer_key, "expiry": token.access_token_expiry.isoformat()}
        if token
        else None,
    }


@control("GET")
def state(request: ControlRequest) -> HttpResponse:
    organization = request.organization
    servers = (
        MdmServer.objects.filter(organization=organization)
        .annotate(device_count=Count("devices"))
        .order_by("name")
    )
    return JsonResponse(
        {
            "clock": {"now": clock.now().isoformat(), "offset_seconds": int(clock.offset().total_seconds())},
            "config": _config_json(MockConfig.load()),
            "faults": [_fault_json(fault) for fault in _faults_of(request)],
            "terms": {
                "version": organization.terms_version,
                "accepted_version": organization.terms_accepted_version,
            }
            if organization
            else None,
            "servers": [_server_json(server) for server in servers],
            "endpoints": list(controls.ENDPOINTS),
            "organization": _organization_json(organization) if organization else None,
        }
    )


def _faults_of(request: ControlRequest) -> Any:
    return ForcedResponse.objects.filter(organization=request.organization)


@control("GET", "POST", "DELETE")
def faults(request: ControlRequest) -> HttpResponse:
    """POST queues a forced answer: {endpoint, status, code, retry_after, latency_ms, count}."""
    if request.method == "DELETE":
        controls.faults_clear()
        return HttpResponse(status=204)
    if request.method == "POST":
        data = _body(request)
        fault = controls.fault_queue(
            endpoint=str(data.get("endpoint", "")),
            status=_int(data, "status"),
            code=str(data.get("code", "")),
            retry_after=_int(data, "retry_after"),
            latency_ms=_int(data, "latency_ms", 0) or 0,
            count=_int(data, "count", 1) or 1,
        )
        return JsonResponse(_fault_json(fault), status=201)
    return JsonResponse({"faults": [_fault_json(fault) for fault in _faults_of(request)]})


@control("DELETE")
def fault(request: ControlRequest, pk: int) -> HttpResponse:
    """DELETE one queued fault (a trainer clears one drill and leaves the others running)."""
    deleted, _ = _faults_of(request).filter(pk=pk).delete()
    if not deleted:
        return JsonResponse({"error": "No such fault."}, status=404)
    return HttpResponse(status=204)


@control("GET", "PATCH", "PUT")
def config(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        controls.config_update(**_body(request))
    return JsonResponse(_config_json(MockConfig.load()))


@control("GET", "PUT")
def clock_offset(request: HttpRequest) -> HttpResponse:
    """PUT {"offset_seconds": n}: move the mock's clock (cursor age, sessions, token expiry)."""
    if request.method == "PUT":
        seconds = _int(_body(request), "offset_seconds")
        if seconds is None:
            raise ValueError("offset_seconds is required.")
        controls.clock_set_offset(seconds=seconds)
    return JsonResponse(
        {"now": clock.now().isoformat(), "offset_seconds": int(clock.offset().total_seconds())}
    )


@control("POST")
def terms(request: ControlRequest) -> HttpResponse:
    """{"action": "publish"} publishes new terms (T_C_NOT_SIGNED); "accept" accepts them."""
    organization = _organization_required(request)
    action = _body(request).get("action")
    if action == "publish":
        organization = organization_services.terms_publish(organization=organization)
    elif action == "accept":
        organization = organization_services.terms_accept(actor=None, organization=organization)
    else:
        raise ValueError('action must be "publish" or "accept".')
    return JsonResponse(
        {"version": organization.terms_version, "accepted_version": organization.terms_accepted_version}
    )


@control("POST")
def reset(request: HttpRequest) -> HttpResponse:
    """Every fault, session setting and the clock back to the defaults."""
    return JsonResponse(_config_json(controls.mock_reset()))


@control("GET", "POST")
def servers(request: ControlRequest) -> HttpResponse:
    """POST {"name", "assign": n}: the MDM server (created if needed), n more devices, a new token."""
    if request.method == "GET":
        found = (
            MdmServer.objects.filter(organization=request.organization)
            .annotate(device_count=Count("devices"))
            .order_by("name")
        )
        return JsonResponse({"servers": [_server_json(server) for server in found]})
    data = _body(request)
    organization = _organization_required(request)
    name = str(data.get("name", "")).strip()
    server = MdmServer.objects.filter(organization=organization, name=name).first()
    if server is None:
        server = mdm_servers.mdm_server_create(actor=None, organization=organization, name=name)
    assign = _int(data, "assign", 0) or 0
    if assign:
        assignments_services.devices_assign_unassigned(
            server=server, count=assign, assigned_by=_admin_id(organization)
        )
    _, values = mdm_servers.server_token_issue(actor=None, server=server, issued_by=_admin(organization))
    server.device_count = Device.objects.filter(mdm_server=server).count()  # type: ignore[attr-defined]
    return JsonResponse({"server": _server_json(server), "token": values}, status=201)


def _admin(organization: Any) -> Any:
    return organization.accounts.filter(role="administrator", is_active=True).order_by("id").first()


def _admin_id(organization: Any) -> str:
    admin = _admin(organization)
    return admin.apple_id if admin else ""


def _server(request: ControlRequest, server_uuid: str) -> MdmServer:
    """A server of the call's organisation (another's is a 404)."""
    return get_object_or_404(MdmServer, organization=request.organization, server_uuid=server_uuid)


@control("POST")
def server_token(request: ControlRequest, server_uuid: str) -> HttpResponse:
    server = _server(request, server_uuid)
    _, values = mdm_servers.server_token_issue(
        actor=None, server=server, issued_by=_admin(server.organization)
    )
    return JsonResponse({"token": values}, status=201)


@control("POST")
def server_revoke(request: ControlRequest, server_uuid: str) -> HttpResponse:
    return JsonResponse({"revoked": mdm_servers.server_token_revoke(server=_server(request, server_uuid))})


@control("PUT")
def server_access(request: ControlRequest, server_uuid: str) -> HttpResponse:
    """{"denied": true}: the server's tokens get 403 ACCESS_DENIED until set back to false."""
    server = _server(request, server_uuid)
    denied = _body(request).get("denied")
    if not isinstance(denied, bool):
        raise ValueError("denied must be true or false.")
    MdmServer.objects.filter(pk=server.pk).update(access_denied=denied)
    return JsonResponse({"server_uuid": server.server_uuid, "access_denied": denied})


@control("POST")
def assignments(request: ControlRequest) -> HttpResponse:
    """{"action": "assign"|"unassign", "serials": [...], "server_uuid"}: as the ASM portal does,
    with the same sync events."""
    data = _body(request)
    organization = _organization_required(request)
    serials = data.get("serials")
    if not isinstance(serials, list) or not all(isinstance(item, str) for item in serials):
        raise ValueError("serials must be a list of serial numbers.")
    ids = assignments_services.serials_resolve(
        organization=organization, serials=[s.strip().upper() for s in serials]
    )
    by = _admin_id(organization)
    if data.get("action") == "assign":
        server = _server(request, str(data.get("server_uuid", "")))
        result = assignments_services.devices_assign(
            actor=None, organization=organization, server=server, device_ids=ids, assigned_by=by
        )
    elif data.get("action") == "unassign":
        result = assignments_services.devices_unassign(
            actor=None, organization=organization, device_ids=ids, assigned_by=by
        )
    else:
        raise ValueError('action must be "assign" or "unassign".')
    return JsonResponse(
        {
            "added": result.added,
            "moved": result.moved,
            "unassigned": result.unassigned,
            "unchanged": result.unchanged,
        }
    )


@control("POST")
def scenario_reset(request: ControlRequest) -> HttpResponse:
    """{"apple": {...}, "seed", "push_csr", "server_certificates": {name: pem}}: the organisation
    wiped and built again from a trainer preset's Apple part (see mock_apple.scenario); the
    other organisations stay as they are."""
    data = _body(request)
    certificates = data.get("server_certificates") or {}
    if not isinstance(certificates, dict) or not all(isinstance(v, str) for v in certificates.values()):
        raise ValueError("server_certificates must map MDM server names to PEM text.")
    result = scenario.scenario_build(
        spec=data.get("apple") or {},
        seed=str(data.get("seed", "")),
        push_csr=str(data.get("push_csr") or ""),
        server_certificates=certificates,
        organization=request.organization,
    )
    return JsonResponse(
        {
            **scenario.scenario_summary(result.organization),
            "push_certificate": result.push_certificate_pem,
            "servers": result.servers,
        },
        status=201,
    )


# --- The School Manager API -----------------------------------------------------------------


def _organization(request: ControlRequest, data: dict[str, Any]) -> Organization:
    pk = _int(data, "organization")
    organization = Organization.objects.filter(pk=pk).first() if pk else request.organization
    if organization is None:
        raise ValueError("There is no such organisation: run seed_apple first.")
    return organization


def _api_account_json(account: ApiAccount) -> dict[str, Any]:
    return {
        "name": account.name,
        "client_id": account.client_id,
        "key_id": account.key_id,
        "created_at": account.created_at.isoformat(),
        "revoked_at": account.revoked_at.isoformat() if account.revoked_at else None,
    }


@control("GET", "POST")
def api_accounts(request: ControlRequest) -> HttpResponse:
    """POST {"name", "organization"?} creates an API account and returns its private key, once."""
    if request.method == "POST":
        data = _body(request)
        created = api_accounts_services.api_account_create(
            actor=None,
            organization=_organization(request, data),
            name=str(data.get("name", "")),
            origin=CONTROL_ORIGIN,
        )
        return JsonResponse(
            {
                **_api_account_json(created.account),
                "private_key_pem": created.private_key_pem,
                "scope": created.scope,
            },
            status=201,
        )
    found = ApiAccount.objects.filter(organization=request.organization)
    return JsonResponse({"api_accounts": [_api_account_json(a) for a in found]})


@control("POST")
def api_account_revoke(request: ControlRequest, client_id: str) -> HttpResponse:
    account = get_object_or_404(ApiAccount, organization=request.organization, client_id=client_id)
    api_accounts_services.api_account_revoke(actor=None, account=account, origin=CONTROL_ORIGIN)
    return JsonResponse(_api_account_json(account))


@control("POST")
def api_tokens_expire(request: ControlRequest) -> HttpResponse:
    """Every access token of the organisation expires now (the next call answers 401; a new
    token works)."""
    organization = _organization_required(request)
    return JsonResponse({"expired": api_accounts_services.api_tokens_expire(organization=organization)})


@control("POST")
def api_activities_complete(request: ControlRequest) -> HttpResponse:
    """Complete the organisation's activities whose time has come (as reading them would)."""
    organization = _organization_required(request)
    return JsonResponse({"completed": api_activities.activities_complete_due(organization=organization)})


# --- The organisations: one per trainee ----------------------------------------------------


def _organization_json(organization: Organization) -> dict[str, Any]:
    return {"org_id": organization.org_id, "name": organization.name, "domain": organization.domain}


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string.")
    return value


@control("GET", "POST", scoped=False)
def organizations(request: HttpRequest) -> HttpResponse:
    """POST {"name", "domain", "admin_first_name", "admin_last_name", "language"}: a trainee's
    organisation and its Administrator, whose generated password this answer gives, once."""
    if request.method == "GET":
        found = Organization.objects.order_by("pk")
        return JsonResponse({"organizations": [_organization_json(item) for item in found]})
    data = _body(request)
    created = organization_services.organization_create(
        name=_text(data, "name"),
        domain=_text(data, "domain"),
        admin_first_name=_text(data, "admin_first_name"),
        admin_last_name=_text(data, "admin_last_name"),
        language=_text(data, "language"),
    )
    return JsonResponse(
        {
            **_organization_json(created.organization),
            "admin_apple_id": created.admin.apple_id,
            "admin_password": created.admin_password,
            "asm_url": f"{settings.APPLE_PUBLIC_URL}{reverse('asm_home')}",
        },
        status=201,
    )


@control("DELETE", scoped=False)
def organization(request: HttpRequest, org_id: str) -> HttpResponse:
    """Delete the organisation and every row of it; the counts per model."""
    found = Organization.objects.filter(org_id=org_id).first()
    if found is None:
        return JsonResponse({"error": f"There is no organisation {org_id!r}."}, status=404)
    return JsonResponse({"deleted": organization_services.organization_delete(organization=found)})


# --- Virtual iPads, headless (issue 23) -------------------------------------------------------


def _ipad(request: ControlRequest, serial: str) -> VirtualDevice:
    """The organisation's device with this serial, as a virtual iPad (made at first use)."""
    organization = _organization_required(request)
    device = get_object_or_404(Device, organization=organization, serial_number=serial)
    return identity.virtual_device_of(device)


@control("GET")
def ipad(request: ControlRequest, serial: str) -> HttpResponse:
    """GET /_mock/ipads/<serial>: the device's state, profiles, apps, identity and command log."""
    # A query string carries text: ?log=200 is the number 200.
    log = request.GET.get("log", "50")
    if not log.isdigit():
        raise ValueError("log must be a whole number.")
    limit = int(log) or 50
    return JsonResponse(device.device_state(_ipad(request, serial), log_limit=min(limit, 1000)))


@control("POST")
def ipad_power(request: ControlRequest, serial: str) -> HttpResponse:
    """POST /_mock/ipads/<serial>/power {"on": true|false}: powering on delivers the last push."""
    virtual = _ipad(request, serial)
    if _body(request).get("on", True):
        setup_assistant.power_on(virtual)
        wake.power_on_wake(virtual)
    else:
        setup_assistant.power_off(virtual)
    return JsonResponse(device.device_state(virtual))


# The Setup Assistant panes a script answers: action → (function, takes a value).
PANE_ACTIONS: dict[str, tuple[Callable[..., Any], bool]] = {
    "language": (setup_assistant.choose_language, True),
    "region": (setup_assistant.choose_region, True),
    "wifi": (setup_assistant.join_wifi, True),
    "remote_management": (setup_assistant.remote_management_continue, False),
    "continue": (setup_assistant.pane_continue, False),
    "retry": (setup_assistant.retry, False),
}


@control("POST")
def ipad_pane(request: ControlRequest, serial: str) -> HttpResponse:
    """POST /_mock/ipads/<serial>/pane {"action": "language", "value": "fr"}: answer the pane on
    screen as a person would (language, region, wifi, remote_management, continue, retry)."""
    data = _body(request)
    action = PANE_ACTIONS.get(str(data.get("action")))
    if action is None:
        raise ValueError(f"action must be one of {', '.join(PANE_ACTIONS)}.")
    function, takes_value = action
    virtual = _ipad(request, serial)
    if takes_value:
        function(virtual, str(data.get("value", "")))
    else:
        function(virtual)
    return JsonResponse(device.device_state(virtual))


@control("POST")
def ipad_setup(request: ControlRequest, serial: str) -> HttpResponse:
    """POST /_mock/ipads/<serial>/setup {"language", "region", "wifi_network"}: Setup Assistant
    without a touch, through enrollment to the home screen; 409 with the failure code if not."""
    data = _body(request)
    language = str(data.get("language") or "en")
    if language not in ("en", "fr"):
        raise ValueError("language must be en or fr.")
    virtual = _ipad(request, serial)
    outcome = device.setup_unattended(
        virtual,
        language=language,
        region=str(data.get("region") or "US")[:8],
        wifi_network=str(data.get("wifi_network") or "")[:64],
    )
    status = 200 if outcome.ok and not outcome.awaiting_configuration else 409
    return JsonResponse(
        {
            "failure": outcome.failure,
            "detail": outcome.detail,
            "awaiting_configuration": outcome.awaiting_configuration,
            "device": device.device_state(virtual),
        },
        status=status,
    )


@control("POST")
def ipad_checkin(request: ControlRequest, serial: str) -> HttpResponse:
    """POST /_mock/ipads/<serial>/checkin: a ServerURL session now (Check in now)."""
    virtual = _ipad(request, serial)
    result = session.check_in_now(virtual)
    return JsonResponse(
        {
            "commands": result.commands,
            "http_status": result.http_status,
            "error": result.error,
            "device": device.device_state(virtual),
        }
    )


@control("POST")
def ipad_erase(request: ControlRequest, serial: str) -> HttpResponse:
    """POST /_mock/ipads/<serial>/erase: Erase All Content and Settings (back to Setup Assistant)."""
    return JsonResponse(device.device_state(device.wipe(_ipad(request, serial))))


MAX_FLEET_OVER_HTTP = 50  # more devices take minutes: the management command ipad_fleet runs them


@control("POST")
def ipad_fleet(request: ControlRequest) -> HttpResponse:
    """POST /_mock/ipads/fleet {"count": N, "workers": W}: N assigned devices enroll at once."""
    data = _body(request)
    count = _int(data, "count", 10) or 0
    if not 1 <= count <= MAX_FLEET_OVER_HTTP:
        raise ValueError(f"count must be between 1 and {MAX_FLEET_OVER_HTTP} (ipad_fleet does more).")
    workers = min(max(_int(data, "workers", 8) or 1, 1), 32)
    result = fleet.fleet_enroll(_organization_required(request), count=count, workers=workers)
    return JsonResponse(
        {
            "enrolled": sorted(result.durations),
            "failures": result.failures,
            "p50_seconds": result.percentile(0.5),
            "p95_seconds": result.percentile(0.95),
        }
    )


@control("POST")
def server_profile(request: ControlRequest, server_uuid: str) -> HttpResponse:
    """POST /_mock/servers/<uuid>/profile {"profile": {DEP profile: url, await_device_configured,
    anchor_certs…}, "serials": [...]}: define a profile on the MDM server and assign it, as the
    server's own DEP client would (POST /profile) — for MDM servers without a DEP client."""
    data = _body(request)
    server = _server(request, server_uuid)
    profile_data = data.get("profile")
    serials = data.get("serials", [])
    if not isinstance(profile_data, dict) or not isinstance(profile_data.get("url"), str):
        raise ValueError('profile must be a DEP profile object with a "url".')
    if not isinstance(serials, list) or not all(isinstance(each, str) for each in serials):
        raise ValueError("serials must be a list of serial numbers.")
    defined = assignments_services.profile_define(
        server=server, data={"profile_name": "MDM developer", **profile_data}
    )
    answers = (
        assignments_services.profile_assign(server=server, profile=defined, serials=serials, throttling=False)
        if serials
        else {}
    )
    return JsonResponse({"profile_uuid": defined.profile_uuid, "devices": answers}, status=201)
