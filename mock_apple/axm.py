"""The shape of the School Manager API (and Apple Business API): JSON:API documents and errors,
the bearer token, the rate limits and queued faults that every /v1/ endpoint goes through, and
devices as Apple writes them (the attributes the inventory lacks are derived from the serial)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from mock_apple import clock, tenancy
from mock_apple.axm_devices import FIXED_TEXT_VALUES, fixed_text, iso
from mock_apple.db import DB
from mock_apple.models import (
    ApiAccessToken,
    ApiAccount,
    ApiActivity,
    ApiRateWindow,
    Device,
    ForcedResponse,
    MdmServer,
    MockConfig,
    Organization,
    PurchaseOrder,
)
from mock_apple.services import api_accounts, api_activities, controls

CONTENT_TYPE = "application/json"
TITLES = {
    400: "A parameter has an invalid value",
    401: "Authentication credentials are missing or invalid",
    403: "The request is forbidden",
    404: "The specified resource does not exist",
    405: "The method is not allowed",
    409: "The request entity is not valid",
    429: "The rate limit was exceeded",
}
CODES = {
    400: "PARAMETER_ERROR.INVALID",
    401: "NOT_AUTHORIZED",
    403: "FORBIDDEN_ERROR",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "ENTITY_ERROR",
    429: "RATE_LIMIT_EXCEEDED",
}


class ApiError(Exception):
    """A JSON:API error answer."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        code: str = "",
        source: dict[str, str] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code or CODES.get(status, "UNEXPECTED_ERROR")
        self.source = source
        self.retry_after = retry_after


def json_response(data: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(data, separators=(",", ":")), status=status, content_type=CONTENT_TYPE)


def error_response(error: ApiError) -> HttpResponse:
    item: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "status": str(error.status),
        "code": error.code,
        "title": TITLES.get(error.status, "An error occurred"),
        "detail": error.detail,
    }
    if error.source:
        item["source"] = error.source
    response = json_response({"errors": [item]}, status=error.status)
    if error.retry_after is not None:
        response["Retry-After"] = str(error.retry_after)
    return response


def base_url(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


# --- The wrapper of every /v1/ endpoint -----------------------------------------------------


@dataclass
class ApiCall:
    organization: Organization
    account: ApiAccount
    config: MockConfig
    base: str  # scheme and host, for the links

    @property
    def business(self) -> bool:
        return api_accounts.is_business(self.organization)


View = Callable[..., HttpResponse]


def api_endpoint(endpoints: Mapping[str, str]) -> Callable[[View], View]:
    """`endpoints` maps each accepted method to the endpoint name faults are queued for."""

    def decorator(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            # The call acts for its token's organisation: its clock, limits and faults. The token,
            # the switches and whether a fault or an activity waits are read once, in one query.
            endpoint = endpoints.get(request.method or "")
            context = call_context(_bearer(request), endpoint or "")
            token = context.token
            with tenancy.acting_for(token.account.organization_id if token else None):
                config = context.config or MockConfig.load()
                with clock.offset_known(config):
                    return _call(request, endpoint, context, config, *args, **kwargs)

        def _call(
            request: HttpRequest,
            endpoint: str | None,
            context: CallContext,
            config: MockConfig,
            *args: Any,
            **kwargs: Any,
        ) -> HttpResponse:
            try:
                if endpoint is None:
                    response = error_response(ApiError(405, f"{request.method} is not allowed here."))
                    response["Allow"] = ", ".join(endpoints)
                    return response
                if context.fault_queued:
                    fault_apply(endpoint)
                call = _authenticate(request, context.token, config)
                if request.method == "GET":
                    rate_limit(call.organization, "get", call.config.api_get_per_minute, timedelta(minutes=1))
                if context.next_due is not None and context.next_due <= clock.now():
                    api_activities.activities_complete_due(organization=call.organization)
                return view(request, *args, call=call, **kwargs)
            except ApiError as error:
                return error_response(error)

        return wrapper

    return decorator


@dataclass(frozen=True)
class CallContext:
    """What an API call reads before anything else, in one query (call_context)."""

    token: ApiAccessToken | None  # live or not, with its account and organisation
    config: MockConfig | None  # its organisation's switches (None: not made yet)
    fault_queued: bool  # a fault may wait for the endpoint (always True without a token)
    next_due: datetime | None  # when the organisation's first IN_PROGRESS activity is due


def call_context(bearer: str, endpoint: str) -> CallContext:
    """The token of a bearer value with its account, organisation and switches, whether a fault
    is queued for `endpoint` and when an activity is due: one round trip to the database instead
    of four, for every call (a walk of 200 pages makes 200 calls). Without a token, the call
    meets the default organisation's faults as before (fault_queued: look)."""
    if not bearer:
        return CallContext(None, None, True, None)
    organization = OuterRef("account__organization")
    token = (
        ApiAccessToken.objects.select_related("account__organization__mock_config")
        .annotate(
            fault_queued=Exists(
                ForcedResponse.objects.filter(
                    organization=organization,
                    endpoint__in=(endpoint, controls.ANY_ENDPOINT),
                    remaining__gt=0,
                )
            ),
            next_due=Subquery(
                ApiActivity.objects.filter(organization=organization, status=ApiActivity.Status.IN_PROGRESS)
                .order_by("due_at")
                .values("due_at")[:1]
            ),
        )
        .filter(token_digest=api_accounts.digest(bearer))
        .first()
    )
    if token is None:
        return CallContext(None, None, True, None)
    try:
        config: MockConfig | None = token.account.organization.mock_config
    except MockConfig.DoesNotExist:
        config = None
    return CallContext(token, config, token.fault_queued, token.next_due)


@dataclass(frozen=True)
class ClientContext:
    """What the token endpoint reads before anything else, in one query (client_context)."""

    account: ApiAccount | None  # the form's client, revoked or not, with its organisation
    config: MockConfig | None  # its organisation's switches (None: not made yet)
    fault_queued: bool  # a fault may wait for the token endpoint (always True without a client)


def client_context(client_id: str, endpoint: str) -> ClientContext:
    """The API account of a client id with its organisation and switches, and whether a fault is
    queued for `endpoint`: one round trip for what took four."""
    account = (
        ApiAccount.objects.select_related("organization__mock_config")
        .annotate(
            fault_queued=Exists(
                ForcedResponse.objects.filter(
                    organization=OuterRef("organization"),
                    endpoint__in=(endpoint, controls.ANY_ENDPOINT),
                    remaining__gt=0,
                )
            )
        )
        .filter(client_id=client_id)
        .first()
        if client_id
        else None
    )
    if account is None:
        return ClientContext(None, None, True)
    try:
        config: MockConfig | None = account.organization.mock_config
    except MockConfig.DoesNotExist:
        config = None
    return ClientContext(account, config, account.fault_queued)


def fault_apply(endpoint: str) -> None:
    fault = controls.fault_wait(endpoint=endpoint)
    if fault is not None and fault.status:
        detail = f"A fault was injected for {endpoint}."
        raise ApiError(fault.status, detail, code=fault.code, retry_after=fault.retry_after)


def _bearer(request: HttpRequest) -> str:
    """The Authorization header's bearer value ("" when there is none)."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _authenticate(request: HttpRequest, token: ApiAccessToken | None, config: MockConfig) -> ApiCall:
    """The call's live token (looked up by the wrapper) and its organisation, or a 401/403."""
    if not _bearer(request):
        raise ApiError(401, "Provide an access token in the Authorization header (Bearer).")
    live = api_accounts.token_live(token)
    if live is None:
        raise ApiError(401, "The access token is not valid, has expired or was revoked.")
    organization = live.account.organization
    if not organization.terms_accepted:
        raise ApiError(
            403, "An Administrator must accept the new Terms and Conditions in Apple School Manager."
        )
    return ApiCall(organization=organization, account=live.account, config=config, base=base_url(request))


def rate_limit(organization: Organization, kind: str, limit: int, window: timedelta) -> None:
    """Count the call in the organisation's current window; over the limit: 429 and Retry-After."""
    if not limit:
        return
    now = clock.now()
    seconds = int(window.total_seconds())
    start = datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, tz=now.tzinfo)
    rows = ApiRateWindow.objects.filter(organization=organization, kind=kind, window_start=start)
    if not rows.filter(count__lt=limit).update(count=F("count") + 1):
        if not rows.exists():
            try:
                with transaction.atomic(using=DB):
                    ApiRateWindow.objects.create(
                        organization=organization, kind=kind, window_start=start, count=1
                    )
                ApiRateWindow.objects.filter(
                    organization=organization, kind=kind, window_start__lt=start
                ).delete()
                return
            except IntegrityError:
                if rows.filter(count__lt=limit).update(count=F("count") + 1):
                    return
        retry = max(1, int((start + window - now).total_seconds()))
        raise ApiError(
            429,
            f"The rate limit of {limit} requests per {seconds // 60} minutes was exceeded.",
            retry_after=retry,
        )


def rate_windows_clear() -> None:
    ApiRateWindow.objects.all().delete()


# --- Devices as Apple writes them -----------------------------------------------------------

OWN_VALUES = ("id", "serial_number", "model", "description", "color", "device_family")
DEVICE_VALUES = (
    *OWN_VALUES,
    "device_assigned_date",
    "mdm_server__server_uuid",
    "order__order_number",
    "order__order_date",
    "order__supplier",
)
# The hot path (a page of orgDevices) reads the device's own columns only, with the assignment
# time as text; page_rows() adds the order and the server from two small look-ups.
PAGE_VALUES = (*OWN_VALUES, "mdm_server_id", "order_id")


def page_rows(rows: list[dict[str, Any]], organization: Organization) -> list[dict[str, Any]]:
    """Complete rows of PAGE_VALUES (+ `assigned_text`, the assignment time as text) into
    DEVICE_VALUES' keys."""
    order_ids = {row["order_id"] for row in rows}
    orders = {
        pk: (number, ordered, supplier)
        for pk, number, ordered, supplier in PurchaseOrder.objects.filter(id__in=order_ids).values_list(
            "id", "order_number", "order_date", "supplier"
        )
    }
    servers = dict(MdmServer.objects.filter(organization=organization).values_list("id", "server_uuid"))
    for row in rows:
        number, ordered, supplier = orders[row["order_id"]]
        row["order__order_number"] = number
        row["order__order_date"] = ordered
        row["order__supplier"] = supplier
        row["mdm_server__server_uuid"] = servers.get(row["mdm_server_id"])
        row["device_assigned_date"] = row.pop("assigned_text")
    return rows


def server_resource(server: Any, base: str) -> dict[str, Any]:
    own = f"{base}/v1/mdmServers/{server.server_uuid}"
    return {
        "type": "mdmServers",
        "id": server.server_uuid,
        "attributes": {
            "serverName": server.name,
            "serverType": "MDM",
            "createdDateTime": iso(server.created_at),
            "updatedDateTime": iso(server.certificate_uploaded_at or server.created_at),
        },
        "relationships": {
            "devices": {"links": {"self": f"{own}/relationships/devices"}},
        },
    }


def fixed_texts(device_ids: Iterable[int]) -> dict[int, str]:
    """axm_devices.fixed_text of devices whose Device.api_attributes is empty (devices written
    without it, such as those of a database older than the column): derived now, never stored."""
    ids = list(device_ids)
    if not ids:
        return {}
    rows = Device.objects.filter(id__in=ids).values_list("id", *FIXED_TEXT_VALUES)
    return {pk: fixed_text(*values) for pk, *values in rows}
