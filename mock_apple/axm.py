"""The shape of the School Manager API (and Apple Business API): JSON:API documents and errors,
the bearer token, the rate limits and queued faults that every /v1/ endpoint goes through, and
devices as Apple writes them (the attributes the inventory lacks are derived from the serial)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache, wraps
from typing import Any, NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from mock_apple import clock, tenancy
from mock_apple.db import DB
from mock_apple.models import (
    ApiAccessToken,
    ApiAccount,
    ApiRateWindow,
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


def iso(moment: datetime | date | None) -> str | None:
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        return f"{moment.isoformat()}T00:00:00Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


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
            # The call acts for its token's organisation: its clock, limits and faults. The token
            # and the switches are read once for the whole call.
            token = api_accounts.token_lookup(_bearer(request))
            with tenancy.acting_for(token.account.organization_id if token else None):
                config = MockConfig.load()
                with clock.offset_known(config):
                    return _call(request, token, config, *args, **kwargs)

        def _call(
            request: HttpRequest,
            token: ApiAccessToken | None,
            config: MockConfig,
            *args: Any,
            **kwargs: Any,
        ) -> HttpResponse:
            try:
                endpoint = endpoints.get(request.method or "")
                if endpoint is None:
                    response = error_response(ApiError(405, f"{request.method} is not allowed here."))
                    response["Allow"] = ", ".join(endpoints)
                    return response
                fault_apply(endpoint)
                call = _authenticate(request, token, config)
                if request.method == "GET":
                    rate_limit(call.organization, "get", call.config.api_get_per_minute, timedelta(minutes=1))
                api_activities.activities_complete_due(organization=call.organization)
                return view(request, *args, call=call, **kwargs)
            except ApiError as error:
                return error_response(error)

        return wrapper

    return decorator


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


ATTRIBUTES = (
    "serialNumber",
    "addedToOrgDateTime",
    "updatedDateTime",
    "deviceModel",
    "productFamily",
    "productType",
    "deviceCapacity",
    "color",
    "partNumber",
    "orderNumber",
    "orderDateTime",
    "status",
    "imei",
    "meid",
    "eid",
    "wifiMacAddress",
    "bluetoothMacAddress",
    "purchaseSourceId",
    "purchaseSourceType",
)
FAMILIES = {"ipad": "iPad", "iphone": "iPhone", "mac": "Mac", "appletv": "AppleTV", "watch": "Watch"}
CAPACITIES = ("64GB", "128GB", "256GB", "512GB")
_TO_DIGITS = str.maketrans("abcdef", "012345")
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
_ORDINAL_ZERO = 48


def _luhn(body: str) -> str:
    """`body` and its Luhn check digit (IMEIs have one)."""
    digits = [ord(char) - _ORDINAL_ZERO for char in reversed(body)]
    total = sum(_DOUBLED[digit] for digit in digits[0::2]) + sum(digits[1::2])
    return body + str((10 - total % 10) % 10)


class Derived(NamedTuple):
    """What the inventory does not hold, derived from the serial number: the same on every read."""

    product_number: str
    capacity: str
    part_number: str
    wifi: str
    bluetooth: str
    purchase_source: str
    digits: str  # of the IMEI, MEID and EID, for cellular devices

    @property
    def imei(self) -> str:
        return _luhn("35" + self.digits[:12])

    @property
    def meid(self) -> str:
        return self.digits[12:26]

    @property
    def eid(self) -> str:
        return "8904" + self.digits[26:54]


# Lookup tables of derived(): a digest's hex digits index them, so that a row costs one SHA-256
# and a few slices (a 1000-device page derives 1000 serials).
_PRODUCT_NUMBERS = {f"{byte:02x}": f"{10 + (byte >> 4) % 6},{1 + (byte & 15) % 8}" for byte in range(256)}
_CAPACITY_OF_DIGIT = {f"{digit:x}": CAPACITIES[digit % 4] for digit in range(16)}
_PART_LETTERS = {f"{byte:02x}": chr(65 + byte % 26) for byte in range(256)}
_sha256 = hashlib.sha256


def _derived_parts(serial: str) -> tuple[str, str, str, str, str, str, str]:
    """Derived's fields: the product number from the digest's first two hex digits, the capacity
    from the third, the part number from the 4th to the 9th, the MAC addresses from its last 12
    bytes, the purchase source from the 11th to the 16th, the IMEI/MEID/EID digits from the 10th on."""
    raw = _sha256(serial.encode()).digest()
    digest = raw.hex()
    return (
        _PRODUCT_NUMBERS[digest[0:2]],
        _CAPACITY_OF_DIGIT[digest[2]],
        f"M{digest[3:7].upper()}{_PART_LETTERS[digest[7:9]]}LL/A",
        raw[20:26].hex(":").upper(),
        raw[26:32].hex(":").upper(),
        digest[10:16].upper(),
        digest[9:].translate(_TO_DIGITS),
    )


def derived(serial: str) -> Derived:
    return Derived(*_derived_parts(serial))


@lru_cache(maxsize=4096)
def _family(device_family: str, description: str) -> tuple[str, bool, str]:
    """(Apple's product family, cellular, the capacity the description names): few distinct rows."""
    family = FAMILIES.get(device_family.replace(" ", "").lower(), device_family)
    upper = description.upper()
    capacity = next((word for word in upper.split() if word.endswith(("GB", "TB"))), "")
    return family, family == "iPhone" or "CELL" in upper, capacity


@lru_cache(maxsize=65536)
def _iso_cached(moment: datetime | date | str) -> str | None:
    if isinstance(moment, str):
        # A UTC timestamp as the database writes it as text ("2026-12-07 13:41:35.123456[+00]"),
        # see PAGE_VALUES: no datetime parsed per row on the hot path.
        return f"{moment[:10]}T{moment[11:19]}Z"
    return iso(moment)


def _facts(row: Mapping[str, Any]) -> tuple[str, bool, str, str | None, str | None]:
    """(product family, cellular, capacity from the description, added, updated)."""
    family, cellular, capacity = _family(str(row["device_family"]), row["description"])
    added = _iso_cached(row["order__order_date"])
    assigned = row["device_assigned_date"]
    return family, cellular, capacity, added, _iso_cached(assigned) if assigned else added


def device_attributes(row: Mapping[str, Any]) -> dict[str, Any]:
    """Apple's attributes of a device row (DEVICE_VALUES); the missing ones from the serial.
    device_json_text writes the same document (keys in ATTRIBUTES' order)."""
    serial = row["serial_number"]
    more = derived(serial)
    family, cellular, capacity, added, updated = _facts(row)
    return {
        "serialNumber": serial,
        "addedToOrgDateTime": added,
        "updatedDateTime": updated,
        "deviceModel": row["model"],
        "productFamily": family,
        "productType": f"{family}{more.product_number}",
        "deviceCapacity": capacity or more.capacity,
        "color": row["color"],
        "partNumber": more.part_number,
        "orderNumber": row["order__order_number"],
        "orderDateTime": added,
        "status": "ASSIGNED" if row["mdm_server__server_uuid"] else "UNASSIGNED",
        "imei": [more.imei] if cellular else [],
        "meid": [more.meid] if cellular else [],
        "eid": more.eid if cellular else "",
        "wifiMacAddress": more.wifi,
        "bluetoothMacAddress": more.bluetooth,
        "purchaseSourceId": more.purchase_source,
        "purchaseSourceType": "APPLE" if row["order__supplier"] == "Apple" else "RESELLER",
    }


def device_resource(
    row: Mapping[str, Any], base: str, fields: tuple[str, ...] | None = None
) -> dict[str, Any]:
    serial = row["serial_number"]
    attributes = device_attributes(row)
    if fields is not None:
        attributes = {name: attributes[name] for name in fields}
    own = f"{base}/v1/orgDevices/{serial}"
    return {
        "type": "orgDevices",
        "id": serial,
        "attributes": attributes,
        "relationships": {
            "assignedServer": {
                "links": {"self": f"{own}/relationships/assignedServer", "related": f"{own}/assignedServer"}
            }
        },
        "links": {"self": own},
    }


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


_quote = json.encoder.encode_basestring_ascii


def _q(value: str | None) -> str:
    return "null" if value is None else str(_quote(value))


def device_json_text(row: Mapping[str, Any], base: str) -> str:
    """device_resource(row, base) already encoded as JSON (see devices_json_text)."""
    return devices_json_text([row], base)


def devices_json_text(rows: Iterable[Mapping[str, Any]], base: str) -> str:
    """device_resource(row, base) of rows of DEVICE_VALUES, already encoded as JSON and joined by
    commas (see page_json_text)."""
    return page_json_text(
        (
            (
                row["id"],
                row["serial_number"],
                row["model"],
                row["description"],
                row["color"],
                row["device_family"],
                row["mdm_server__server_uuid"],
                row["device_assigned_date"],
                (row["order__order_number"], row["order__order_date"], row["order__supplier"]),
            )
            for row in rows
        ),
        base,
    )


# The columns of a page of orgDevices (the hot path of a client's walk), in page_json_text's order:
# the device's own columns only, the assignment time as text; the orders come from one look-up.
PAGE_COLUMNS = ("id", "serial_number", "model", "description", "color", "device_family", "mdm_server_id")


def page_orders(order_ids: Iterable[int]) -> dict[Any, tuple[str, date, str]]:
    """(order number, order date, supplier) of each order of a page."""
    return {
        pk: (number, ordered, supplier)
        for pk, number, ordered, supplier in PurchaseOrder.objects.filter(id__in=set(order_ids)).values_list(
            "id", "order_number", "order_date", "supplier"
        )
    }


@lru_cache(maxsize=4096)
def _family_text(device_family: str, description: str) -> tuple[str, bool, str]:
    """(the product family as JSON text without quotes, cellular, the capacity the description
    names as JSON text or "")."""
    family, cellular, capacity = _family(device_family, description)
    return _quote(family)[1:-1], cellular, _q(capacity) if capacity else ""


def page_json_text(
    rows: Iterable[tuple[Any, ...]], base: str, orders: Mapping[Any, tuple[str, date, str]] | None = None
) -> str:
    """device_resource() of every row, already encoded as JSON and joined by commas: the hot path
    of a 1000-device page, one template per device instead of a dict and its encoding (tests
    prove the two equal). A row is (id, serial number, model, description, colour, device family,
    server (any true value: assigned), assignment time (datetime, or the database's text), order),
    where the order is a key of `orders` or, without `orders`, (number, date, supplier) itself.
    What repeats from row to row (models, colours, orders, families) is written once a page; only
    the inventory's free texts are escaped; the rest is made of safe characters."""
    quoted: dict[str | None, str] = {}
    order_facts: dict[Any, tuple[str, str, str]] = {}
    texts: list[str] = []
    append = texts.append
    for _pk, serial_number, model, description, color, family_raw, server, assigned, order_key in rows:
        serial = _quote(serial_number)
        product, capacity_derived, part, wifi, bluetooth, source_id, digits = _derived_parts(serial_number)
        family_text, cellular, capacity_text = _family_text(str(family_raw), description)
        facts = order_facts.get(order_key)
        if facts is None:
            number, ordered, supplier = orders[order_key] if orders is not None else order_key
            added = _iso_cached(ordered)
            facts = order_facts[order_key] = (
                _q(number),
                f'"{added}"' if added else "null",
                "APPLE" if supplier == "Apple" else "RESELLER",
            )
        order_text, added_text, source = facts
        model_text = quoted.get(model) or quoted.setdefault(model, _q(model))
        color_text = quoted.get(color) or quoted.setdefault(color, _q(color))
        own = f"{base}/v1/orgDevices/{serial[1:-1]}"
        updated_text = f'"{_iso_cached(assigned)}"' if assigned else added_text
        if cellular:
            imei, meid, eid = (
                f'["{_luhn("35" + digits[:12])}"]',
                f'["{digits[12:26]}"]',
                f"8904{digits[26:54]}",
            )
        else:
            imei, meid, eid = "[]", "[]", ""
        capacity = capacity_text or f'"{capacity_derived}"'
        append(
            f'{{"type":"orgDevices","id":{serial},"attributes":{{"serialNumber":{serial},'
            f'"addedToOrgDateTime":{added_text},"updatedDateTime":{updated_text},"deviceModel":{model_text},'
            f'"productFamily":"{family_text}","productType":"{family_text}{product}",'
            f'"deviceCapacity":{capacity},"color":{color_text},'
            f'"partNumber":"{part}","orderNumber":{order_text},'
            f'"orderDateTime":{added_text},"status":"{"ASSIGNED" if server else "UNASSIGNED"}",'
            f'"imei":{imei},"meid":{meid},"eid":"{eid}",'
            f'"wifiMacAddress":"{wifi}","bluetoothMacAddress":"{bluetooth}",'
            f'"purchaseSourceId":"{source_id}","purchaseSourceType":"{source}"}},'
            f'"relationships":{{"assignedServer":{{"links":{{"self":"{own}/relationships/assignedServer",'
            f'"related":"{own}/assignedServer"}}}}}},"links":{{"self":"{own}"}}}}'
        )
    return ",".join(texts)
