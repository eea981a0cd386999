"""Validate plists against Apple's device-management schemas (YAML, MIT; copied in
tests/mdm/apple_schemas/ with their licence and source)."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parent / "apple_schemas"
TYPES: dict[str, tuple[type, ...]] = {
    "<string>": (str,),
    "<integer>": (int,),
    "<boolean>": (bool,),
    "<data>": (bytes,),
    "<array>": (list,),
    "<dictionary>": (dict,),
    "<real>": (float, int),
    "<date>": (datetime,),
    "<any>": (object,),
}
# Keys every payload of a profile carries (Apple's "common payload keys", not in each schema).
COMMON_PAYLOAD_KEYS = {
    "PayloadType",
    "PayloadVersion",
    "PayloadIdentifier",
    "PayloadUUID",
    "PayloadDisplayName",
    "PayloadDescription",
    "PayloadOrganization",
}


@cache
def schema(relative: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / relative).read_text())
    return loaded


@cache
def _by(section: str, field: str) -> dict[str, str]:
    found = {}
    for path in (ROOT / section).glob("*.yaml"):
        value = schema(str(path.relative_to(ROOT))).get("payload", {}).get(field)
        if value:
            found[value] = str(path.relative_to(ROOT))
    return found


def _type_ok(value: Any, spec_type: Any) -> bool:
    names = spec_type if isinstance(spec_type, list) else [spec_type]
    for name in names:
        kinds = TYPES.get(name, (object,))
        if (bool in kinds or not isinstance(value, bool)) and isinstance(value, kinds):
            return True
    return False


def validate_keys(
    value: dict[str, Any], keys: list[dict[str, Any]], path: str = "", *, ignore: frozenset[str] = frozenset()
) -> list[str]:
    errors = []
    specs = {spec["key"]: spec for spec in keys or []}
    for name, spec in specs.items():
        ios = (spec.get("supportedOS") or {}).get("iOS") or {}
        # Not on iOS, or required only in User Enrollment (these are ADE devices).
        not_on_ios = (
            ios.get("introduced") == "n/a" or (ios.get("userenrollment") or {}).get("mode") == "required"
        )
        # "ANY" stands for whatever keys the dictionary has (an app identifier…), none by name.
        if (
            spec.get("presence") == "required"
            and name not in value
            and not not_on_ios
            and not name.startswith("ANY")
        ):
            errors.append(f"{path}{name}: required")
    for name, item in value.items():
        if name in ignore:
            continue
        found = specs.get(name)
        if found is None:
            # Apple names the wildcard "ANY" or "ANY <what>": it describes every other key.
            wildcard = next((spec for key, spec in specs.items() if key.startswith("ANY")), None)
            if wildcard is not None:
                errors += _validate_value(item, wildcard, f"{path}{name}")
                continue
            errors.append(f"{path}{name}: not in Apple's schema")
            continue
        errors += _validate_value(item, found, f"{path}{name}")
    return errors


def _validate_value(item: Any, spec: dict[str, Any], path: str) -> list[str]:
    if not _type_ok(item, spec.get("type")):
        return [f"{path}: {type(item).__name__} is not {spec.get('type')}"]
    errors = []
    allowed = spec.get("rangelist")
    if allowed and item not in allowed:
        errors.append(f"{path}: {item!r} not in {allowed}")
    subkeys = spec.get("subkeys")
    if subkeys and isinstance(item, dict):
        errors += validate_keys(item, subkeys, f"{path}.")
    elif subkeys and isinstance(item, list):
        for index, element in enumerate(item):
            # An array whose items may take several shapes (Settings' items): one must fit.
            tries: list[list[str]] = [_validate_value(element, each, f"{path}[{index}]") for each in subkeys]
            if all(tries):
                errors += sorted(tries, key=len)[0]
    return errors


def validate_command(plist: dict[str, Any]) -> list[str]:
    """A ServerURL answer: {CommandUUID, Command: {RequestType, …}} against the command's schema."""
    errors = [] if isinstance(plist.get("CommandUUID"), str) else ["CommandUUID missing"]
    command = dict(plist.get("Command") or {})
    request_type = command.pop("RequestType", None)
    relative = _by("mdm/commands", "requesttype").get(request_type or "")
    if relative is None:
        return [*errors, f"{request_type}: no schema"]
    return errors + validate_keys(command, schema(relative).get("payloadkeys") or [], f"{request_type}.")


def validate_checkin(message: dict[str, Any], *, shared_ipad: bool = False) -> list[str]:
    """A check-in message of an iPad: the schema's keys and types, and no key Apple marks as not
    on iOS (`introduced: n/a`) or, on a Shared iPad, forbidden there (`sharedipad: forbidden`)."""
    kind = message.get("MessageType")
    relative = _by("mdm/checkin", "requesttype").get(kind or "")
    if relative is None:
        return [f"{kind}: no schema"]
    keys = schema(relative).get("payloadkeys") or []
    errors = validate_keys(message, keys, f"{kind}.")
    for spec in keys:
        ios = (spec.get("supportedOS") or {}).get("iOS") or {}
        if spec["key"] not in message:
            continue
        if ios.get("introduced") == "n/a":
            errors.append(f"{kind}.{spec['key']}: not on iOS")
        elif shared_ipad and (ios.get("sharedipad") or {}).get("mode") == "forbidden":
            errors.append(f"{kind}.{spec['key']}: forbidden on a Shared iPad")
    return errors


def validate_profile(profile: dict[str, Any]) -> list[str]:
    """A .mobileconfig: the top-level keys and each payload against its payload type's schema."""
    errors = []
    for key in ("PayloadType", "PayloadVersion", "PayloadIdentifier", "PayloadUUID", "PayloadContent"):
        if key not in profile:
            errors.append(f"{key}: required")
    if profile.get("PayloadType") != "Configuration":
        errors.append("PayloadType: not Configuration")
    for payload in profile.get("PayloadContent", []):
        relative = _by("mdm/profiles", "payloadtype").get(payload.get("PayloadType", ""))
        if relative is None:
            errors.append(f"{payload.get('PayloadType')}: no schema")
            continue
        errors += validate_keys(
            payload,
            schema(relative).get("payloadkeys") or [],
            f"{payload['PayloadType']}.",
            ignore=frozenset(COMMON_PAYLOAD_KEYS),
        )
    return errors


REPLY_KEYS = frozenset(
    {"UDID", "Status", "CommandUUID", "ErrorChain", "EnrollmentID", "UserID", "UserShortName"}
)
STATUSES = ("Acknowledged", "Error", "CommandFormatError", "NotNow")
ERROR_CHAIN_ITEM = [
    {"key": "ErrorCode", "type": "<integer>", "presence": "required"},
    {"key": "ErrorDomain", "type": "<string>", "presence": "required"},
    {"key": "LocalizedDescription", "type": "<string>", "presence": "required"},
    {"key": "USEnglishDescription", "type": "<string>", "presence": "optional"},
]


def validate_response(request_type: str, reply: dict[str, Any]) -> list[str]:
    """A device's reply to a command: the common keys ([AD] ServerURL reports), then, when it is
    Acknowledged, the request type's `responsekeys`."""
    errors = [f"{key}: required" for key in ("UDID", "Status", "CommandUUID") if key not in reply]
    status = reply.get("Status")
    if status not in STATUSES:
        errors.append(f"Status: {status!r} not in {STATUSES}")
    for index, item in enumerate(reply.get("ErrorChain") or []):
        errors += validate_keys(item, ERROR_CHAIN_ITEM, f"ErrorChain[{index}].")
    if status != "Acknowledged":
        return errors
    relative = _by("mdm/commands", "requesttype").get(request_type)
    if relative is None:
        return [*errors, f"{request_type}: no schema"]
    keys = [dict(spec) for spec in schema(relative).get("responsekeys") or []]
    for spec in keys:
        # Apple's YAML types Settings' answer as a dictionary; devices send an array of them.
        if request_type == "Settings" and spec["key"] == "Settings":
            spec["subkeys"] = [{**spec, "key": "SettingsItem"}]
            spec["type"] = "<array>"
    rest = {key: value for key, value in reply.items() if key not in REPLY_KEYS}
    return errors + validate_keys(rest, keys, f"{request_type} reply.")
