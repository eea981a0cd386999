"""What each Graph call does: read through the selectors, write through the same services as
the blades (tokens, profiles, devices, School Data Sync), as the calling application.

Writes need `DeviceManagementServiceConfig.ReadWrite.All`; reads either permission. An object is
looked up before the permission is checked: another tenant's object is a 404, as an id of nothing.
"""

from __future__ import annotations

import plistlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse, JsonResponse, QueryDict

from devices.assignment import profile_assign
from devices.models import Device, ProfileAssignment
from devices.selection import DeviceActionRefused
from devices.sync_requests import sync_request
from devices.sync_rules import SyncRefused
from graph import odata, resources
from graph.actors import ServiceActor, app_actor
from graph.issuing import Caller
from graph.models import READ_ROLE, READ_WRITE_ROLE
from graph.odata import ODataError, Query
from mdm.checkin import ProtocolRefused as MdmRefused
from mdm.enrollment_profile import enrollment_profile_export_document
from profiles import graph as profile_graph
from profiles import services as profile_services
from profiles.models import EnrollmentProfile, VppToken
from profiles.rules import ProfileValues
from profiles.services import ProfileRefused
from sds.sharing import SdsShareConflict, SdsShareError, token_sds_share, token_sds_unshare
from tokens import services as token_services
from tokens.models import EnrollmentProgramToken, TokenEncryptionKey
from tokens.refusals import UploadError

JSON_CONTENT_TYPE = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
)
DEP = ("deviceManagement", "depOnboardingSettings")


class GraphError(Exception):
    def __init__(
        self, status: int, code: str, message: str, *, retry_after: int | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.extra = extra


@dataclass
class GraphCall:
    method: str
    segments: list[str]
    path: str
    params: QueryDict
    headers: Mapping[str, str]
    body: dict[str, Any]
    caller: Caller
    origin: str

    @property
    def actor(self) -> ServiceActor:
        app = self.caller.app
        return app_actor(display_name=app.display_name, client_id=str(app.client_id), roles=self.caller.roles)

    def require_read(self) -> None:
        if not {READ_ROLE, READ_WRITE_ROLE} & set(self.caller.roles):
            raise _denied()

    def require_write(self) -> None:
        if READ_WRITE_ROLE not in self.caller.roles:
            raise _denied()

    def context(self, fragment: str) -> str:
        return f"{self.origin}/beta/$metadata#{fragment}"


def _denied() -> GraphError:
    return GraphError(
        403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
    )


def _not_found(what: str) -> GraphError:
    return GraphError(404, "ResourceNotFound", f"Resource not found: {what}.")


def _json(body: dict[str, Any], status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response.headers["Content-Type"] = JSON_CONTENT_TYPE
    response.headers["OData-Version"] = "4.0"
    return response


def _no_content() -> HttpResponse:
    return HttpResponse(status=204)


def _bad_request(message: str, **extra: Any) -> GraphError:
    return GraphError(400, "BadRequest", message, **extra)


def _method_not_allowed(call: GraphCall) -> GraphError:
    return GraphError(405, "BadRequest", f"The HTTP method '{call.method}' is not allowed on this resource.")


# --- Lookups -------------------------------------------------------------------------------------


def _token(token_id: str) -> EnrollmentProgramToken:
    token = (
        EnrollmentProgramToken.objects.filter(pk=int(token_id)).first()
        if token_id.isdigit() and len(token_id) < 19
        else None
    )
    if token is None:
        raise _not_found(f"depOnboardingSetting '{token_id}'")
    return token


def _profile(token: EnrollmentProgramToken, profile_id: str) -> EnrollmentProfile:
    try:
        public_id = uuid.UUID(profile_id)
    except ValueError:
        public_id = None
    profile = (
        EnrollmentProfile.objects.select_related("token").filter(token=token, public_id=public_id).first()
        if public_id
        else None
    )
    if profile is None:
        raise _not_found(f"enrollmentProfile '{profile_id}'")
    return profile


# --- Collections -------------------------------------------------------------------------------


def _query(call: GraphCall, **kwargs: Any) -> Query:
    try:
        return odata.query_parse(
            call.params, consistency_level=call.headers.get("ConsistencyLevel", ""), **kwargs
        )
    except ODataError as error:
        raise _bad_request(str(error)) from None


def _next_link(call: GraphCall, token_values: list[Any] | None) -> dict[str, str]:
    if token_values is None:
        return {}
    params = {key: value for key, value in call.params.items() if key != "$skiptoken"}
    params["$skiptoken"] = odata.skiptoken_encode(token_values)
    return {"@odata.nextLink": f"{call.origin}/beta/{call.path.strip('/')}?{urlencode(params, safe='$')}"}


def _collection(
    call: GraphCall, context: str, items: list[dict[str, Any]], properties: frozenset[str]
) -> JsonResponse:
    query = _query(
        call,
        properties=properties,
        filterable=dict.fromkeys(properties),
        sortable=odata.scalar_properties(items, properties),
        startswith=frozenset({"tokenName", "displayName"}) & properties,
    )
    page, total, next_values = odata.page_items(items, query)
    body: dict[str, Any] = {"@odata.context": call.context(context)}
    if query.count:
        body["@odata.count"] = total
    body["value"] = [odata.select_apply(item, query.select) for item in page]
    body.update(_next_link(call, next_values))
    return _json(body)


def _entity(call: GraphCall, context: str, item: dict[str, Any], properties: frozenset[str]) -> JsonResponse:
    query = _query(call, properties=properties, filterable={}, sortable=frozenset())
    return _json(
        {"@odata.context": call.context(f"{context}/$entity"), **odata.select_apply(item, query.select)}
    )


def _string(call: GraphCall, value: str) -> JsonResponse:
    return _json({"@odata.context": call.context("Edm.String"), "value": value})


# --- depOnboardingSettings ----------------------------------------------------------------------


def settings_list(call: GraphCall) -> HttpResponse:
    call.require_read()
    return _collection(
        call, "deviceManagement/depOnboardingSettings", resources.tokens_json(), resources.TOKEN_PROPERTIES
    )


def setting_get(call: GraphCall, token: EnrollmentProgramToken) -> HttpResponse:
    call.require_read()
    item = resources.token_json(token, resources.token_synced_device_count(token))
    return _entity(call, "deviceManagement/depOnboardingSettings", item, resources.TOKEN_PROPERTIES)


def public_key_get(call: GraphCall, token: EnrollmentProgramToken) -> HttpResponse:
    """getEncryptionPublicKey: the renewal key of this token (made on first call, for a writer)."""
    call.require_read()
    key = TokenEncryptionKey.objects.filter(token=token).order_by("-created_at", "-pk").first()
    if key is None:
        call.require_write()
        key = token_services.token_public_key_create(actor=call.actor, token=token, data_sharing_consent=True)
    return _string(call, key.certificate_pem)


def public_key_generate(call: GraphCall, token: EnrollmentProgramToken) -> HttpResponse:
    call.require_write()
    key = token_services.token_public_key_create(actor=call.actor, token=token, data_sharing_consent=True)
    return _string(call, key.certificate_pem)


def dep_token_upload(call: GraphCall, token: EnrollmentProgramToken) -> HttpResponse:
    """uploadDepToken: renew the token with a new server token (.p7m) for its key."""
    call.require_write()
    apple_id, dep_token = call.body.get("appleId"), call.body.get("depToken")
    if (
        not isinstance(apple_id, str)
        or not apple_id.strip()
        or not isinstance(dep_token, str)
        or not dep_token
    ):
        raise _bad_request("appleId and depToken (the .p7m file's content) are required.")
    key_ids = list(TokenEncryptionKey.objects.filter(token=token).values_list("pk", flat=True))
    try:
        token_services.token_renew(
            actor=call.actor, token=token, apple_id=apple_id.strip(), data=dep_token.encode(), key_ids=key_ids
        )
    except UploadError as refused:
        raise _bad_request(str(refused)) from None
    return _no_content()


def sync(call: GraphCall, token: EnrollmentProgramToken) -> HttpResponse:
    call.require_write()
    try:
        sync_request(actor=call.actor, token=token)
    except SyncRefused as refused:
        raise GraphError(409, "Conflict", str(refused)) from None
    return _no_content()


def sds_share(call: GraphCall, token: EnrollmentProgramToken) -> HttpResponse:
    call.require_write()
    try:
        token_sds_share(actor=call.actor, token=token)
    except SdsShareConflict as conflict:
        raise GraphError(409, "Conflict", str(conflict)) from None
    except SdsShareError as refused:
        raise _bad_request(str(refused)) from None
    return _no_content()


def sds_unshare(call: GraphCall, token: EnrollmentProgramToken) -> HttpResponse:
    call.require_write()
    token_sds_unshare(actor=call.actor, token=token)
    return _no_content()


# --- enrollmentProfiles --------------------------------------------------------------------------


def _profiles_context(token: EnrollmentProgramToken) -> str:
    return f"deviceManagement/depOnboardingSettings('{token.pk}')/enrollmentProfiles"


def _profile_properties() -> frozenset[str]:
    return profile_graph.graph_properties()


def _refused(refusal: ProfileRefused) -> GraphError:
    details = [
        {"code": "InvalidValue", "message": str(message), "target": field}
        for field, messages in refusal.errors.items()
        for message in messages
    ]
    return _bad_request(str(refusal), details=details)


def _values(call: GraphCall, base: ProfileValues) -> ProfileValues:
    try:
        values = profile_graph.values_from_graph(call.body, base=base)
    except profile_graph.GraphBodyError as error:
        raise _bad_request(str(error)) from None
    # The form offers the tenant's VPP tokens only; Graph names one by its id.
    vpp = values.vpp_token
    if vpp and not (vpp.isdigit() and len(vpp) < 19 and VppToken.objects.filter(pk=int(vpp)).exists()):
        raise _bad_request(f"companyPortalVppTokenId '{vpp[:64]}' is not a VPP token of this tenant.")
    return values


def profiles_list(call: GraphCall, token: EnrollmentProgramToken) -> HttpResponse:
    call.require_read()
    profiles = (
        EnrollmentProfile.objects.filter(token=token).select_related("token").prefetch_related("certificates")
    )
    items = [profile_services.profile_graph_json(profile) for profile in profiles]
    return _collection(call, _profiles_context(token), items, _profile_properties())


def profile_create(call: GraphCall, token: EnrollmentProgramToken) -> HttpResponse:
    call.require_write()
    odata_type = call.body.get("@odata.type", "#microsoft.graph.depIOSEnrollmentProfile")
    if odata_type not in (
        "#microsoft.graph.depIOSEnrollmentProfile",
        "microsoft.graph.depIOSEnrollmentProfile",
    ):
        raise _bad_request(f"This emulator creates iOS/iPadOS profiles only, not '{odata_type}'.")
    values = _values(call, ProfileValues())
    try:
        result = profile_services.profile_create(actor=call.actor, token=token, values=values)
    except ProfileRefused as refusal:
        raise _refused(refusal) from None
    item = profile_services.profile_graph_json(result.profile)
    response = _json(
        {"@odata.context": call.context(f"{_profiles_context(token)}/$entity"), **item}, status=201
    )
    response.headers["Location"] = f"{call.origin}/beta/{call.path.strip('/')}/{item['id']}"
    return response


def profile_get(call: GraphCall, profile: EnrollmentProfile) -> HttpResponse:
    call.require_read()
    item = profile_services.profile_graph_json(profile)
    return _entity(call, _profiles_context(profile.token), item, _profile_properties())


def profile_update(call: GraphCall, profile: EnrollmentProfile) -> HttpResponse:
    call.require_write()
    values = _values(call, profile.values())
    try:
        result = profile_services.profile_update(actor=call.actor, profile=profile, values=values)
    except ProfileRefused as refusal:
        raise _refused(refusal) from None
    item = profile_services.profile_graph_json(result.profile)
    return _json({"@odata.context": call.context(f"{_profiles_context(profile.token)}/$entity"), **item})


def profile_delete(call: GraphCall, profile: EnrollmentProfile) -> HttpResponse:
    call.require_write()
    try:
        profile_services.profile_delete(actor=call.actor, profile=profile)
    except ProfileRefused as refusal:
        raise _refused(refusal) from None
    return _no_content()


def profile_set_default(call: GraphCall, profile: EnrollmentProfile) -> HttpResponse:
    call.require_write()
    profile_services.profile_set_default(actor=call.actor, profile=profile)
    return _no_content()


def profile_assign_devices(call: GraphCall, profile: EnrollmentProfile) -> HttpResponse:
    """updateDeviceProfileAssignment: deviceIds are serial numbers, up to the blade's limit."""
    call.require_write()
    device_ids = call.body.get("deviceIds")
    if not isinstance(device_ids, list) or not all(isinstance(value, str) for value in device_ids):
        raise _bad_request("deviceIds must be a collection of serial numbers.")
    try:
        profile_assign(
            actor=call.actor, profile=profile, serials=device_ids, source=ProfileAssignment.Source.PROFILE
        )
    except DeviceActionRefused as refused:
        raise _bad_request(str(refused)) from None
    return _no_content()


def profile_mobileconfig(call: GraphCall, profile: EnrollmentProfile) -> HttpResponse:
    """The profile as Intune's *Export profile* gives it, for Apple Configurator: the MDM payload,
    the SCEP payload with a one-time challenge and the tenant's CA, the push topic. Graph names
    Read as enough; the emulator asks ReadWrite, as the blade asks an administrator, because the
    file enrolls a device into the tenant."""
    call.require_write()
    try:
        document = enrollment_profile_export_document(actor=call.actor, profile=profile)
    except MdmRefused as refused:
        raise GraphError(400, "BadRequest", str(refused)) from None
    return _string(call, plistlib.dumps(document, fmt=plistlib.FMT_XML).decode())


def default_profile(call: GraphCall, token: EnrollmentProgramToken) -> HttpResponse:
    call.require_read()
    profile = EnrollmentProfile.objects.select_related("token").filter(token=token, is_default=True).first()
    if profile is None:
        raise _not_found("defaultIosEnrollmentProfile")
    item = profile_services.profile_graph_json(profile)
    return _entity(
        call,
        f"deviceManagement/depOnboardingSettings('{token.pk}')/defaultIosEnrollmentProfile",
        item,
        _profile_properties(),
    )


# --- importedAppleDeviceIdentities --------------------------------------------------------------


def devices_list(call: GraphCall, token: EnrollmentProgramToken) -> HttpResponse:
    call.require_read()
    query = _query(
        call,
        properties=resources.DEVICE_PROPERTIES,
        filterable=resources.DEVICE_FILTERABLE,
        sortable=resources.DEVICE_SORTABLE,
        startswith=frozenset({"serialNumber"}),
    )
    filterable = {name: resources.DEVICE_COLUMNS[name] for name in resources.DEVICE_FILTERABLE}
    base = Device.objects.filter(token=token)
    columns = {**filterable, **{name: resources.DEVICE_COLUMNS[name] for name in resources.DEVICE_SORTABLE}}
    try:
        queryset, next_key = odata.queryset_page(
            base.values(*resources.DEVICE_VALUES),
            query,
            columns=columns,
            default_order="serialNumber",
            unique_column="serial_number",
        )
    except ODataError as error:
        raise _bad_request(str(error)) from None
    size = query.top or odata.DEFAULT_PAGE
    rows = list(queryset[: size + 1])
    body: dict[str, Any] = {
        "@odata.context": call.context(
            f"deviceManagement/depOnboardingSettings('{token.pk}')/importedAppleDeviceIdentities"
        )
    }
    if query.count:
        counted, _next = odata.queryset_page(
            base,
            odata.Query(filters=query.filters),
            columns=columns,
            default_order="serialNumber",
            unique_column="serial_number",
        )
        body["@odata.count"] = counted.order_by().count()
    body["value"] = [odata.select_apply(resources.device_json(row), query.select) for row in rows[:size]]
    body.update(_next_link(call, next_key(rows[size - 1]) if len(rows) > size else None))
    return _json(body)


def device_get(call: GraphCall, token: EnrollmentProgramToken, device_id: str) -> HttpResponse:
    call.require_read()
    pk = resources.DEVICE_COLUMNS["id"].to_db(device_id)
    row = Device.objects.filter(token=token, pk=pk).values(*resources.DEVICE_VALUES).first()
    if row is None:
        raise _not_found(f"importedAppleDeviceIdentity '{device_id}'")
    item = resources.device_json(row)
    return _entity(
        call,
        f"deviceManagement/depOnboardingSettings('{token.pk}')/importedAppleDeviceIdentities",
        item,
        resources.DEVICE_PROPERTIES,
    )


# --- Routing --------------------------------------------------------------------------------------

TokenHandler = Callable[[GraphCall, EnrollmentProgramToken], HttpResponse]
ProfileHandler = Callable[[GraphCall, EnrollmentProfile], HttpResponse]

TOKEN_ROUTES: dict[tuple[str, str], TokenHandler] = {
    ("GET", ""): setting_get,
    ("GET", "getEncryptionPublicKey"): public_key_get,
    ("POST", "generateEncryptionPublicKey"): public_key_generate,
    ("POST", "uploadDepToken"): dep_token_upload,
    ("POST", "syncWithAppleDeviceEnrollmentProgram"): sync,
    ("POST", "shareForSchoolDataSyncService"): sds_share,
    ("POST", "unshareForSchoolDataSyncService"): sds_unshare,
    ("GET", "enrollmentProfiles"): profiles_list,
    ("POST", "enrollmentProfiles"): profile_create,
    ("GET", "defaultIosEnrollmentProfile"): default_profile,
    ("GET", "importedAppleDeviceIdentities"): devices_list,
}
PROFILE_ROUTES: dict[tuple[str, str], ProfileHandler] = {
    ("GET", ""): profile_get,
    ("PATCH", ""): profile_update,
    ("DELETE", ""): profile_delete,
    ("POST", "setDefaultProfile"): profile_set_default,
    ("POST", "updateDeviceProfileAssignment"): profile_assign_devices,
    ("GET", "exportMobileConfig"): profile_mobileconfig,
}


def _route(
    call: GraphCall, routes: Mapping[tuple[str, str], Callable[..., HttpResponse]], name: str, *args: Any
) -> HttpResponse:
    handler = routes.get((call.method, name))
    if handler is None:
        if any(route_name == name for _method, route_name in routes):
            raise _method_not_allowed(call)
        raise _bad_request(f"Resource not found for the segment '{name}'.")
    return handler(call, *args)


def dispatch(call: GraphCall) -> HttpResponse:
    segments = call.segments
    if tuple(segments[:2]) != DEP:
        raise _bad_request(f"Resource not found for the segment '{(segments or [''])[0]}'.")
    rest = segments[2:]
    if not rest:
        if call.method != "GET":
            raise _method_not_allowed(call)
        return settings_list(call)
    token = _token(rest[0])
    rest = rest[1:]
    if len(rest) <= 1:
        return _route(call, TOKEN_ROUTES, rest[0] if rest else "", token)
    if rest[0] == "importedAppleDeviceIdentities" and len(rest) == 2:
        if call.method != "GET":
            raise _method_not_allowed(call)
        return device_get(call, token, rest[1])
    if rest[0] == "enrollmentProfiles" and len(rest) in (2, 3):
        profile = _profile(token, rest[1])
        return _route(call, PROFILE_ROUTES, rest[2] if len(rest) == 3 else "", profile)
    raise _bad_request(f"Resource not found for the segment '{rest[-1]}'.")
