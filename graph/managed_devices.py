"""Intune's managed devices in Microsoft Graph's shapes (beta): `deviceManagement/managedDevices`,
one `managedDevice`, its remote actions and DELETE.

Reads need DeviceManagementManagedDevices.Read.All or .ReadWrite.All; the actions
.PrivilegedOperations.All (wipe and retire also .ReadWrite.All); DELETE .ReadWrite.All — the
permissions each Graph page lists. Every action goes through the blade's service
(`mdm.device_actions`): the same rules, daily caps, precedence of Retire/Wipe/Delete and audit,
with the application as the actor. A device is looked up before the permission is checked:
another tenant's device is a 404, as an id of nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse

from graph import odata
from graph.actors import ServiceActor, app_actor
from graph.handlers import (
    GraphCall,
    GraphError,
    _bad_request,
    _denied,
    _json,
    _method_not_allowed,
    _next_link,
    _no_content,
    _not_found,
    _query,
)
from graph.models import DEVICES_PRIVILEGED_ROLE, DEVICES_READ_ROLE, DEVICES_READ_WRITE_ROLE
from graph.odata import Column, ODataError
from graph.resources import when
from mdm.device_actions import ACTIONS, DeviceActionRefused, device_action_request
from mdm.models import DeviceAction, ManagedDevice
from mdm.selectors import LISTED_STATES, operating_system

MANAGED = ("deviceManagement", "managedDevices")
CONTEXT = "deviceManagement/managedDevices"
READ_ROLES = frozenset({DEVICES_READ_ROLE, DEVICES_READ_WRITE_ROLE})
ACTION_ROLES = frozenset({DEVICES_PRIVILEGED_ROLE})
# Graph's wipe and retire pages also accept ReadWrite.All; DELETE needs it.
WIPE_RETIRE_ROLES = frozenset({DEVICES_PRIVILEGED_ROLE, DEVICES_READ_WRITE_ROLE})
DELETE_ROLES = frozenset({DEVICES_READ_WRITE_ROLE})

# Graph's actionName of deviceActionResults (its remoteAction values) for each of the portal's.
_ACTION_NAMES = {
    "retire": "retire",
    "wipe": "factoryReset",
    "delete": "delete",
    "remote_lock": "remoteLock",
    "sync": "syncDevice",
    "reset_passcode": "resetPasscode",
    "restart": "rebootNow",
    "shutdown": "shutDown",
    "lost_mode_enable": "enableLostMode",
    "lost_mode_disable": "disableLostMode",
    "locate": "locateDevice",
    "play_sound": "playLostModeSound",
    "rename": "setDeviceName",
    "activation_lock_bypass": "bypassActivationLock",
    "logout_user": "logoutSharedAppleDeviceActiveUser",
    "delete_user": "deleteUserFromSharedAppleDevice",
}
_ACTION_STATES = {"pending": "pending", "done": "done", "failed": "failed", "cancelled": "canceled"}

VALUES = (
    "pk",
    "device_name",
    "serial_number",
    "udid",
    "model_name",
    "product_name",
    "os_version",
    "is_supervised",
    "is_shared_ipad",
    "user_principal_name",
    "management_state",
    "enrolled_at",
    "last_checkin_at",
    "lost_mode_enabled",
    "inventory",
    "security_info",
)
# Graph's "non-default" properties: null in a list, given by a single GET that $selects them.
NON_DEFAULT = frozenset({"activationLockBypassCode", "udid", "iccid", "notes"})


def _gigabytes(value: Any) -> int:
    return int(value * 1_000_000_000) if isinstance(value, int | float) else 0


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def device_json(row: Mapping[str, Any], results: list[dict[str, Any]]) -> dict[str, Any]:
    """A managedDevice (beta) of a row of `.values(*VALUES)` and its deviceActionResults."""
    inventory = row["inventory"] or {}
    security = row["security_info"] or {}
    upn = row["user_principal_name"]
    encryption = security.get("HardwareEncryptionCaps")
    return {
        "@odata.type": "#microsoft.graph.managedDevice",
        "id": str(row["pk"]),
        "userId": None,
        "deviceName": row["device_name"],
        "managedDeviceOwnerType": "company",
        "deviceActionResults": results,
        "enrolledDateTime": when(row["enrolled_at"]),
        "lastSyncDateTime": when(row["last_checkin_at"]),
        "operatingSystem": "iOS",
        "complianceState": "unknown",
        "jailBroken": "False",
        "managementAgent": "mdm",
        "osVersion": row["os_version"],
        "easActivated": False,
        "easDeviceId": _text(inventory.get("EASDeviceIdentifier")),
        "azureADRegistered": bool(upn),
        "deviceEnrollmentType": "appleBulkWithUser" if upn else "appleBulkWithoutUser",
        "activationLockBypassCode": None,
        "emailAddress": upn or None,
        "azureADDeviceId": None,
        "deviceRegistrationState": "registered",
        "deviceCategoryDisplayName": "Unknown",
        "isSupervised": row["is_supervised"],
        "isEncrypted": isinstance(encryption, int) and encryption in (1, 2, 3),
        "userPrincipalName": upn or None,
        "model": row["model_name"],
        "manufacturer": "Apple",
        "imei": _text(inventory.get("IMEI")),
        "serialNumber": row["serial_number"],
        "phoneNumber": _text(inventory.get("PhoneNumber")),
        "userDisplayName": None,
        "wiFiMacAddress": _text(inventory.get("WiFiMAC")),
        "subscriberCarrier": _text(inventory.get("CurrentCarrierNetwork")),
        "meid": _text(inventory.get("MEID")),
        "totalStorageSpaceInBytes": _gigabytes(inventory.get("DeviceCapacity")),
        "freeStorageSpaceInBytes": _gigabytes(inventory.get("AvailableDeviceCapacity")),
        "managedDeviceName": f"{upn or row['serial_number']}_iPad",
        "managementState": row["management_state"],
        "lostModeState": "enabled" if row["lost_mode_enabled"] else "disabled",
        "deviceType": "iPad" if operating_system_of(row) == "iPadOS" else "iPhone",
        "sharedDevice": row["is_shared_ipad"],
        "udid": None,
        "iccid": None,
        "notes": None,
        "roleScopeTagIds": ["0"],
    }


def operating_system_of(row: Mapping[str, Any]) -> str:
    return operating_system(ManagedDevice(product_name=row["product_name"], model_name=row["model_name"]))


PROPERTIES = frozenset(
    device_json(
        {
            **dict.fromkeys(VALUES),
            "pk": 0,
            "serial_number": "",
            "product_name": "",
            "model_name": "",
            "inventory": {},
            "security_info": {},
        },
        [],
    )
)
COLUMNS = {
    "id": Column(
        "pk", lambda value: int(str(value)) if str(value).isdigit() and len(str(value)) < 19 else -1
    ),
    "deviceName": Column("device_name", ignore_case=True),
    "serialNumber": Column("serial_number", lambda value: str(value).upper()),
    "userPrincipalName": Column("user_principal_name", ignore_case=True),
    "osVersion": Column("os_version"),
    "managementState": Column("management_state"),
    "isSupervised": Column("is_supervised"),
    "lastSyncDateTime": Column("last_checkin_at", is_datetime=True),
    "enrolledDateTime": Column("enrolled_at", is_datetime=True),
    "model": Column("model_name"),
}
FILTERABLE = frozenset(
    {"id", "deviceName", "serialNumber", "userPrincipalName", "osVersion", "managementState", "isSupervised"}
)
STARTSWITH = frozenset({"deviceName", "serialNumber", "userPrincipalName"})
SORTABLE = frozenset(
    {"deviceName", "serialNumber", "userPrincipalName", "osVersion", "lastSyncDateTime", "enrolledDateTime"}
)


def _action_results(device_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """deviceActionResults: each device's latest action of each kind (one query for a page)."""
    results: dict[int, list[dict[str, Any]]] = defaultdict(list)
    seen: set[tuple[int, str]] = set()
    actions = (
        DeviceAction.objects.filter(device_id__in=device_ids)
        .order_by("-requested_at", "-id")
        .values_list("device_id", "kind", "state", "requested_at", "finished_at")
    )
    for device_id, kind, state, requested_at, finished_at in actions:
        if (device_id, kind) in seen:
            continue
        seen.add((device_id, kind))
        results[device_id].append(
            {
                "actionName": _ACTION_NAMES.get(kind, kind),
                "actionState": _ACTION_STATES.get(state, "none"),
                "startDateTime": when(requested_at),
                "lastUpdatedDateTime": when(finished_at or requested_at),
            }
        )
    return results


def _require(call: GraphCall, roles: frozenset[str]) -> ServiceActor:
    if not roles & set(call.caller.roles):
        raise _denied()
    app = call.caller.app
    return app_actor(
        display_name=app.display_name,
        client_id=str(app.client_id),
        roles=call.caller.roles,
        write_roles=ACTION_ROLES | DELETE_ROLES,
    )


def _listed() -> QuerySet[ManagedDevice]:
    # As the Devices blade: a deleted device leaves the list at once, a retired or wiped one
    # once the device has done it.
    return ManagedDevice.objects.filter(management_state__in=LISTED_STATES)


def _device(device_id: str) -> ManagedDevice:
    pk = COLUMNS["id"].to_db(device_id)
    device = _listed().filter(pk=pk).first()
    if device is None:
        raise _not_found(f"managedDevice '{device_id[:64]}'")
    return device


def devices_list(call: GraphCall) -> HttpResponse:
    """Without $orderby, in the order of their ids: a script walking 200,000 devices reads each
    page from the primary key's index, whatever its skip token."""
    _require(call, READ_ROLES)
    query = _query(
        call, properties=PROPERTIES, filterable=FILTERABLE, sortable=SORTABLE, startswith=STARTSWITH
    )
    try:
        queryset, next_key = odata.queryset_page(
            _listed().values(*VALUES), query, columns=COLUMNS, default_order="id", unique_column="pk"
        )
    except ODataError as error:
        raise _bad_request(str(error)) from None
    size = query.top or odata.DEFAULT_PAGE
    rows = list(queryset[: size + 1])
    body: dict[str, Any] = {"@odata.context": call.context(CONTEXT)}
    if query.count:
        counted, _next = odata.queryset_page(
            _listed(),
            odata.Query(filters=query.filters),
            columns=COLUMNS,
            default_order="id",
            unique_column="pk",
        )
        body["@odata.count"] = counted.order_by().count()
    page = rows[:size]
    results = _action_results([row["pk"] for row in page])
    body["value"] = [odata.select_apply(device_json(row, results[row["pk"]]), query.select) for row in page]
    body.update(_next_link(call, next_key(rows[size - 1]) if len(rows) > size else None))
    return _json(body)


def device_get(call: GraphCall, device: ManagedDevice) -> HttpResponse:
    _require(call, READ_ROLES)
    query = _query(call, properties=PROPERTIES, filterable={}, sortable=frozenset())
    row = {name: getattr(device, name) for name in VALUES}  # the listed device `_device` loaded
    item = device_json(row, _action_results([device.pk])[device.pk])
    # The non-default properties, when asked for by name on one device.
    selected = set(query.select) & NON_DEFAULT
    if "udid" in selected:
        item["udid"] = device.udid
    if "iccid" in selected:
        item["iccid"] = _text((device.inventory or {}).get("ICCID"))
    if "activationLockBypassCode" in selected:
        item["activationLockBypassCode"] = device.activation_lock_bypass_code or None
    return _json(
        {"@odata.context": call.context(f"{CONTEXT}/$entity"), **odata.select_apply(item, query.select)}
    )


# --- Actions ---------------------------------------------------------------------------------


def _string(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _bad_request(f"The property '{key}' must be a string.")
    return value


def _parameters(kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """The blade's parameters from Graph's action body (its names)."""
    if kind == "rename":
        return {"device_name": _string(body, "deviceName")}
    if kind == "lost_mode_enable":
        return {
            "message": _string(body, "message"),
            "phone_number": _string(body, "phoneNumber"),
            "footnote": _string(body, "footer"),
        }
    if kind == "play_sound":
        # Graph's durationInMinutes is a string.
        return {"duration_minutes": _string(body, "durationInMinutes")}
    if kind == "wipe":
        persist = body.get("persistEsimDataPlan", False)
        if not isinstance(persist, bool):
            raise _bad_request("The property 'persistEsimDataPlan' must be a boolean.")
        # keepEnrollmentData, keepUserData and macOsUnlockCode do not apply to iOS: Intune ignores them.
        return {"remove_data_plan": not persist}
    if kind == "delete_user":
        return {"user_principal_name": _string(body, "userPrincipalName")}
    return {}


def _refused(refusal: DeviceActionRefused) -> GraphError:
    details = [
        {"code": "InvalidValue", "message": str(message), "target": field}
        for field, messages in refusal.errors.items()
        for message in messages
    ]
    message = str(refusal) or (details[0]["message"] if details else "The action was refused.")
    return _bad_request(message, details=details) if details else _bad_request(message)


def _act(call: GraphCall, device: ManagedDevice, kind: str, roles: frozenset[str]) -> HttpResponse:
    actor = _require(call, roles)
    try:
        device_action_request(device=device, kind=kind, user=actor, parameters=_parameters(kind, call.body))
    except DeviceActionRefused as refused:
        raise _refused(refused) from None
    return _no_content()


_GRAPH_KINDS = {action.graph: kind for kind, action in ACTIONS.items() if kind != "delete"}


def _route_device(call: GraphCall, device: ManagedDevice, name: str) -> HttpResponse:
    if name == "":
        if call.method == "GET":
            return device_get(call, device)
        if call.method == "DELETE":
            return _act(call, device, "delete", DELETE_ROLES)
        raise _method_not_allowed(call)
    kind = _GRAPH_KINDS.get(name)
    if kind is None:
        raise _bad_request(f"Resource not found for the segment '{name[:64]}'.")
    if call.method != "POST":
        raise _method_not_allowed(call)
    roles = WIPE_RETIRE_ROLES if kind in ("wipe", "retire") else ACTION_ROLES
    return _act(call, device, kind, roles)


def dispatch(call: GraphCall) -> HttpResponse:
    rest = call.segments[2:]
    if not rest:
        if call.method != "GET":
            raise _method_not_allowed(call)
        return devices_list(call)
    if len(rest) > 2:
        raise _bad_request(f"Resource not found for the segment '{rest[-1][:64]}'.")
    device = _device(rest[0])
    return _route_device(call, device, rest[1] if len(rest) == 2 else "")
