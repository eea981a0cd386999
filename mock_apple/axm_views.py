"""The Apple School Manager API (and Apple Business API) at Apple's paths: the OAuth 2 token
endpoint and the JSON:API resources under /v1/. The bearer token decides the organisation and
the flavour (school or business)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.core import signing
from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from mock_apple import clock, tenancy
from mock_apple.axm import (
    CONTENT_TYPE,
    DEVICE_VALUES,
    PAGE_VALUES,
    ApiCall,
    ApiError,
    ClientContext,
    api_endpoint,
    client_context,
    error_response,
    fault_apply,
    fixed_texts,
    json_response,
    page_rows,
    rate_limit,
    server_resource,
)
from mock_apple.axm_devices import ATTRIBUTES, device_resource, iso, page_json_text
from mock_apple.models import ApiActivity, Device, MdmServer, MockConfig
from mock_apple.services import api_accounts, api_activities

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_ACTIVITY_DEVICES = 100_000

# --- OAuth 2 --------------------------------------------------------------------------------


@csrf_exempt
def token(request: HttpRequest) -> HttpResponse:
    """POST /auth/oauth2/v2/token (and /auth/oauth2/token): client credentials, ES256 assertion,
    for the organisation of the client (its clock and faults, read with the client at once)."""
    client_id = request.POST.get("client_id", "") if request.method == "POST" else ""
    context = client_context(client_id, "axm_token")
    with tenancy.acting_for(context.account.organization_id if context.account else None):
        config = context.config or MockConfig.load()
        with clock.offset_known(config):
            return _token(request, context)


def _token(request: HttpRequest, context: ClientContext) -> HttpResponse:
    if request.method != "POST":
        response = _oauth_error("invalid_request", "Use POST.", status=405)
        response["Allow"] = "POST"
        return response
    try:
        if context.fault_queued:
            fault_apply("axm_token")
    except ApiError as error:
        return _oauth_error(
            error.code if error.code.startswith("invalid_") else "invalid_client",
            error.detail,
            status=error.status,
        )
    try:
        value, lifetime = api_accounts.token_issue(form=request.POST, account=context.account)
    except api_accounts.OAuthError as error:
        return _oauth_error(error.error, error.description)
    response = json_response({"access_token": value, "token_type": "Bearer", "expires_in": lifetime})
    response["Cache-Control"] = "no-store"
    return response


def _oauth_error(error: str, description: str, *, status: int = 400) -> HttpResponse:
    response = json_response({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    return response


# --- Paging ---------------------------------------------------------------------------------


def _signer() -> signing.Signer:
    return signing.Signer(salt="mock_apple.axm_views.cursor", sep=".")


def _limit(request: HttpRequest) -> int:
    raw = request.GET.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(
            400,
            f"The limit must be a whole number from 1 to {MAX_LIMIT}.",
            source={"parameter": "limit"},
        )
    return limit


def _cursor(request: HttpRequest, scope: str) -> tuple[int, int | None]:
    """(the last id served, the total counted at the first page) of the request's cursor."""
    raw = request.GET.get("cursor")
    if raw is None:
        return 0, None
    try:
        kind, position, total = _signer().unsign_object(raw)
        if kind != scope:
            raise ValueError(kind)
        return int(position), int(total)
    except (signing.BadSignature, ValueError, TypeError):
        raise ApiError(400, "The cursor is not valid.", source={"parameter": "cursor"}) from None


def _position(item: Any) -> int:
    """The id of a page's item: a values() dict, a values_list() tuple (id first) or a model."""
    if isinstance(item, dict):
        return int(item["id"])
    if isinstance(item, tuple):
        return int(item[0])
    return int(item.pk)


def _page(
    request: HttpRequest, call: ApiCall, rows: QuerySet[Any], scope: str
) -> tuple[list[Any], dict[str, Any]]:
    """One keyset page of `rows` (ordered by id) and the document's links and meta."""
    limit = _limit(request)
    position, total = _cursor(request, scope)
    if total is None:
        total = rows.count()
    found = list(rows.filter(id__gt=position)[: limit + 1])
    more = len(found) > limit
    found = found[:limit]
    self_link = f"{call.base}{request.get_full_path()}"
    links: dict[str, Any] = {"self": self_link}
    paging: dict[str, Any] = {"limit": limit, "total": total}
    if more:
        last = _position(found[-1])
        next_cursor = _signer().sign_object([scope, last, total])
        paging["nextCursor"] = next_cursor
        query = request.GET.copy()
        query["cursor"] = next_cursor
        links["next"] = f"{call.base}{request.path}?{urlencode(sorted(query.items()))}"
    return found, {"links": links, "meta": {"paging": paging}}


# --- orgDevices -----------------------------------------------------------------------------


def _devices(call: ApiCall) -> QuerySet[Device]:
    return Device.objects.filter(organization=call.organization, disowned_at__isnull=True)


def _fields(request: HttpRequest) -> tuple[str, ...] | None:
    raw = request.GET.get("fields[orgDevices]")
    if raw is None:
        return None
    names = tuple(name.strip() for name in raw.split(",") if name.strip())
    unknown = [name for name in names if name not in ATTRIBUTES]
    if not names or unknown:
        raise ApiError(
            400,
            f"Unknown fields of orgDevices: {', '.join(unknown) or raw}.",
            source={"parameter": "fields[orgDevices]"},
        )
    return names


@api_endpoint({"GET": "axm_devices"})
def org_devices(request: HttpRequest, *, call: ApiCall) -> HttpResponse:
    """GET /v1/orgDevices: the organisation's devices, in keyset pages."""
    fields = _fields(request)
    assigned_text = Cast("device_assigned_date", CharField())
    if fields is not None:
        rows = _devices(call).order_by("id").values(*PAGE_VALUES, assigned_text=assigned_text)
        found, document = _page(request, call, rows, f"D{call.organization.pk}")
        found = page_rows(found, call.organization)
        return json_response({"data": [device_resource(row, call.base, fields) for row in found], **document})
    # The whole resources, the hot path of a client's walk: each device's fixed text (written
    # when it was bought), its assignment and its links (see axm_devices.page_json_text).
    tuples = (
        _devices(call)
        .order_by("id")
        .values_list("id", "serial_number", "api_attributes", "mdm_server_id", assigned_text)
    )
    found, document = _page(request, call, tuples, f"D{call.organization.pk}")
    missing = fixed_texts(pk for pk, _serial, fixed, _server, _assigned in found if not fixed)
    data = page_json_text(
        ((serial, fixed or missing[pk], server, assigned) for pk, serial, fixed, server, assigned in found),
        call.base,
    )
    rest = json.dumps(document, separators=(",", ":"))[1:]
    return HttpResponse(f'{{"data":[{data}],{rest}', content_type=CONTENT_TYPE)


def _device_row(call: ApiCall, device_id: str) -> dict[str, Any]:
    row = _devices(call).filter(serial_number=device_id).values(*DEVICE_VALUES).first()
    if row is None:
        raise ApiError(404, f"There is no orgDevices resource with the id {device_id}.")
    return dict(row)


@api_endpoint({"GET": "axm_device"})
def org_device(request: HttpRequest, device_id: str, *, call: ApiCall) -> HttpResponse:
    row = _device_row(call, device_id)
    resource = device_resource(row, call.base, _fields(request))
    return json_response({"data": resource, "links": {"self": f"{call.base}{request.get_full_path()}"}})


@api_endpoint({"GET": "axm_device"})
def apple_care_coverage(request: HttpRequest, device_id: str, *, call: ApiCall) -> HttpResponse:
    """GET /v1/orgDevices/{id}/appleCareCoverage: Apple's limited warranty from the order date."""
    row = _device_row(call, device_id)
    start = datetime.combine(row["order__order_date"], datetime.min.time(), tzinfo=clock.now().tzinfo)
    end = start + timedelta(days=365)
    coverage = {
        "type": "appleCareCoverage",
        "id": f"{device_id}-LIMITED",
        "attributes": {
            "status": "ACTIVE" if clock.now() < end else "INACTIVE",
            "paymentType": "NONE",
            "description": "Limited Warranty",
            "agreementNumber": None,
            "startDateTime": iso(start),
            "endDateTime": iso(end),
            "isRenewable": False,
            "isCanceled": False,
            "contractCancelDateTime": None,
        },
    }
    self_link = f"{call.base}{request.get_full_path()}"
    return json_response(
        {"data": [coverage], "links": {"self": self_link}, "meta": {"paging": {"limit": 1, "total": 1}}}
    )


@api_endpoint({"GET": "axm_device"})
def assigned_server_linkage(request: HttpRequest, device_id: str, *, call: ApiCall) -> HttpResponse:
    row = _device_row(call, device_id)
    server = row["mdm_server__server_uuid"]
    own = f"{call.base}/v1/orgDevices/{device_id}"
    return json_response(
        {
            "data": {"type": "mdmServers", "id": server} if server else None,
            "links": {"self": f"{own}/relationships/assignedServer", "related": f"{own}/assignedServer"},
        }
    )


@api_endpoint({"GET": "axm_device"})
def assigned_server(request: HttpRequest, device_id: str, *, call: ApiCall) -> HttpResponse:
    row = _device_row(call, device_id)
    server = MdmServer.objects.filter(server_uuid=row["mdm_server__server_uuid"]).first()
    data = server_resource(server, call.base) if server else None
    return json_response({"data": data, "links": {"self": f"{call.base}{request.get_full_path()}"}})


# --- mdmServers -----------------------------------------------------------------------------


@api_endpoint({"GET": "axm_servers"})
def mdm_servers(request: HttpRequest, *, call: ApiCall) -> HttpResponse:
    rows = MdmServer.objects.filter(organization=call.organization).order_by("id")
    found, document = _page(request, call, rows, f"M{call.organization.pk}")
    return json_response({"data": [server_resource(server, call.base) for server in found], **document})


@api_endpoint({"GET": "axm_server_devices"})
def mdm_server_devices(request: HttpRequest, server_id: str, *, call: ApiCall) -> HttpResponse:
    server = MdmServer.objects.filter(organization=call.organization, server_uuid=server_id).first()
    if server is None:
        raise ApiError(404, f"There is no mdmServers resource with the id {server_id}.")
    rows = Device.objects.filter(mdm_server=server).order_by("id").values("id", "serial_number")
    found, document = _page(request, call, rows, f"S{server.pk}")
    data = [{"type": "orgDevices", "id": row["serial_number"]} for row in found]
    return json_response({"data": data, **document})


# --- orgDeviceActivities --------------------------------------------------------------------


def activity_resource(activity: ApiActivity, base: str) -> dict[str, Any]:
    own = f"{base}/v1/orgDeviceActivities/{activity.activity_id}"
    attributes: dict[str, Any] = {
        "status": activity.status,
        "subStatus": activity.sub_status,
        "createdDateTime": iso(activity.created_at),
        "activityType": activity.activity_type,
    }
    if activity.status == ApiActivity.Status.COMPLETED:
        attributes["completedDateTime"] = iso(activity.completed_at)
        value = _log_signer().sign(activity.activity_id)
        attributes["downloadUrl"] = f"{base}/v1/activity-logs/{value}.csv"
    return {
        "type": "orgDeviceActivities",
        "id": activity.activity_id,
        "attributes": attributes,
        "links": {"self": own},
    }


def _log_signer() -> signing.Signer:
    return signing.Signer(salt="mock_apple.axm_views.activity_log", sep=".")


def _invalid(
    detail: str, pointer: str, status: int = 409, code: str = "ENTITY_ERROR.ATTRIBUTE.INVALID"
) -> ApiError:
    return ApiError(status, detail, code=code, source={"pointer": pointer})


def _activity_request(call: ApiCall, body: Any) -> api_activities.ActivityRequest:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise _invalid("The request body must be a document with data.", "/data", 400, "ENTITY_ERROR.INVALID")
    if data.get("type") != "orgDeviceActivities":
        raise _invalid(
            "The type must be orgDeviceActivities.", "/data/type", 409, "ENTITY_ERROR.TYPE_MISMATCH"
        )
    attributes = data.get("attributes")
    kind = attributes.get("activityType") if isinstance(attributes, dict) else None
    allowed = api_activities.BUSINESS_TYPES if call.business else api_activities.SCHOOL_TYPES
    if kind not in allowed:
        raise _invalid(
            f"The activityType must be one of {', '.join(allowed)}.", "/data/attributes/activityType"
        )
    relationships = data.get("relationships")
    if not isinstance(relationships, dict):
        raise _invalid(
            "The relationships are required.",
            "/data/relationships",
            409,
            "ENTITY_ERROR.RELATIONSHIP.REQUIRED",
        )
    devices = (
        (relationships.get("devices") or {}).get("data")
        if isinstance(relationships.get("devices"), dict)
        else None
    )
    if (
        not isinstance(devices, list)
        or not devices
        or not all(
            isinstance(item, dict) and item.get("type") == "orgDevices" and isinstance(item.get("id"), str)
            for item in devices
        )
    ):
        raise _invalid(
            "Give the devices as a list of orgDevices.",
            "/data/relationships/devices",
            409,
            "ENTITY_ERROR.RELATIONSHIP.INVALID",
        )
    if len(devices) > MAX_ACTIVITY_DEVICES:
        raise _invalid(
            "Too many devices in one activity.",
            "/data/relationships/devices",
            409,
            "ENTITY_ERROR.RELATIONSHIP.INVALID",
        )
    serials = list(dict.fromkeys(item["id"].strip().upper() for item in devices))
    server = None
    linkage = relationships.get("mdmServer")
    if linkage is not None:
        server_data = linkage.get("data") if isinstance(linkage, dict) else None
        if (
            not isinstance(server_data, dict)
            or server_data.get("type") != "mdmServers"
            or not isinstance(server_data.get("id"), str)
        ):
            raise _invalid(
                "The mdmServer must be an mdmServers resource.",
                "/data/relationships/mdmServer",
                409,
                "ENTITY_ERROR.RELATIONSHIP.INVALID",
            )
        server = MdmServer.objects.filter(
            organization=call.organization, server_uuid=server_data["id"]
        ).first()
        if server is None:
            raise ApiError(
                404,
                f"There is no mdmServers resource with the id {server_data['id']}.",
                source={"pointer": "/data/relationships/mdmServer/data/id"},
            )
    if kind in api_activities.NEEDS_SERVER and server is None:
        raise _invalid(
            f"{kind} needs an mdmServer.",
            "/data/relationships/mdmServer",
            409,
            "ENTITY_ERROR.RELATIONSHIP.REQUIRED",
        )
    deadline = None
    if kind in api_activities.NEEDS_DEADLINE:
        deadline = _deadline(attributes if isinstance(attributes, dict) else {})
    return api_activities.ActivityRequest(
        activity_type=str(kind), serials=serials, server=server, deadline=deadline
    )


def _deadline(attributes: dict[str, Any]) -> datetime:
    """Apple's activityTypeMetadata.mdmMigrationDeadlineDateTime, at most 90 days ahead."""
    pointer = "/data/attributes/activityTypeMetadata/mdmMigrationDeadlineDateTime"
    metadata = attributes.get("activityTypeMetadata")
    raw = metadata.get("mdmMigrationDeadlineDateTime") if isinstance(metadata, dict) else None
    try:
        value = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(
            "The mdmMigrationDeadlineDateTime must be a date and time (ISO 8601).", pointer
        ) from None
    if value.tzinfo is None:
        raise _invalid("The mdmMigrationDeadlineDateTime needs a time zone.", pointer)
    now = clock.now()
    if value <= now or value > now + api_activities.MAX_DEADLINE:
        raise _invalid("The mdmMigrationDeadlineDateTime must be in the next 90 days.", pointer)
    return value


@api_endpoint({"POST": "axm_activity_create"})
def org_device_activities(request: HttpRequest, *, call: ApiCall) -> HttpResponse:
    """POST /v1/orgDeviceActivities: accepted at once, IN_PROGRESS."""
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(
            400, "The request body is not JSON.", code="ENTITY_ERROR.INVALID", source={"pointer": ""}
        ) from None
    asked = _activity_request(call, body)
    rate_limit(call.organization, "activity", call.config.api_activity_posts_per_hour, timedelta(hours=1))
    activity = api_activities.activity_create(
        organization=call.organization, account=call.account, request=asked
    )
    resource = activity_resource(activity, call.base)
    return json_response({"data": resource, "links": {"self": resource["links"]["self"]}}, status=201)


@api_endpoint({"GET": "axm_activity"})
def org_device_activity(request: HttpRequest, activity_id: str, *, call: ApiCall) -> HttpResponse:
    activity = api_activities.activity_get(organization=call.organization, activity_id=activity_id)
    if activity is None:
        raise ApiError(404, f"There is no orgDeviceActivities resource with the id {activity_id}.")
    resource = activity_resource(activity, call.base)
    return json_response({"data": resource, "links": {"self": resource["links"]["self"]}})


def activity_log(request: HttpRequest, value: str) -> HttpResponse:
    """The downloadUrl: presigned (no bearer token, as Apple's), readable for 30 days."""
    try:
        activity_id = _log_signer().unsign(value)
    except signing.BadSignature:
        return error_response(ApiError(404, "This download link is not valid."))
    activity = ApiActivity.objects.filter(
        activity_id=activity_id, status=ApiActivity.Status.COMPLETED
    ).first()
    if activity is None:
        return error_response(ApiError(404, "This activity log has expired."))
    with tenancy.acting_for(activity.organization_id):
        expired = activity.created_at < clock.now() - api_activities.READABLE_FOR
    if expired:
        return error_response(ApiError(404, "This activity log has expired."))
    response = HttpResponse(activity.log_csv, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{activity_id}.csv"'
    return response


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /v1/: a JSON:API 404, never Django's HTML page."""
    return error_response(ApiError(404, f"The path {request.path} is not a resource of this API."))
