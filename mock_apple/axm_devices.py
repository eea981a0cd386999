"""Devices as the School Manager API (and Apple Business API) writes them: Apple's attributes of
an inventory row, the ones the inventory lacks derived from the serial (the same on every read),
and the JSON text of a page of orgDevices.

What never changes of a device (its serial, model, colour, order and everything derived from
them) is written as JSON text once, when the device is bought (Device.api_attributes, see
fixed_text); a page then joins, per device, that text, the assignment (status and updated time)
and the links: no derivation, no encoding and no order look-up on the hot path of a walk. Pure
functions: no model is read here."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Any, NamedTuple


def iso(moment: datetime | date | None) -> str | None:
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        return f"{moment.isoformat()}T00:00:00Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


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


_quote = json.encoder.encode_basestring_ascii


def _q(value: str | None) -> str:
    return "null" if value is None else str(_quote(value))


def device_json_text(row: Mapping[str, Any], base: str) -> str:
    """device_resource(row, base) already encoded as JSON (see devices_json_text)."""
    return devices_json_text([row], base)


def devices_json_text(rows: Iterable[Mapping[str, Any]], base: str) -> str:
    """device_resource(row, base) of rows of DEVICE_VALUES (mock_apple.axm), already encoded as
    JSON and joined by commas: their fixed texts written now, then page_json_text."""
    return page_json_text(
        (
            (
                row["serial_number"],
                fixed_text(
                    row["serial_number"],
                    row["model"],
                    row["description"],
                    row["color"],
                    row["device_family"],
                    row["order__order_number"],
                    row["order__order_date"],
                    row["order__supplier"],
                ),
                row["mdm_server__server_uuid"],
                row["device_assigned_date"],
            )
            for row in rows
        ),
        base,
    )


@lru_cache(maxsize=4096)
def _family_text(device_family: str, description: str) -> tuple[str, bool, str]:
    """(the product family as JSON text without quotes, cellular, the capacity the description
    names as JSON text or "")."""
    family, cellular, capacity = _family(device_family, description)
    return _quote(family)[1:-1], cellular, _q(capacity) if capacity else ""


# Separates the pieces of a fixed text: a control character, which JSON text never holds raw
# (the encoder escapes it inside strings), so no value can be mistaken for it.
SEPARATOR = "\x1f"


# The device's values fixed_text() takes, in its order (Device and its order's columns).
FIXED_TEXT_VALUES = (
    "serial_number",
    "model",
    "description",
    "color",
    "device_family",
    "order__order_number",
    "order__order_date",
    "order__supplier",
)


def fixed_text(
    serial_number: str,
    model: str,
    description: str,
    color: str,
    device_family: str,
    order_number: str,
    order_date: date | datetime | str | None,
    supplier: str,
) -> str:
    """What never changes of a device's attributes, as JSON text (Device.api_attributes, written
    when the device is): three pieces joined by SEPARATOR, in ATTRIBUTES' order around what an
    assignment changes (updatedDateTime, status):

    - the time it was added to the organisation (its order's date), a JSON string or null;
    - the members from deviceModel to orderDateTime;
    - the members from imei to purchaseSourceType.
    """
    product, capacity_derived, part, wifi, bluetooth, source_id, digits = _derived_parts(serial_number)
    family_text, cellular, capacity_text = _family_text(str(device_family), description)
    added = _iso_cached(order_date) if order_date is not None else None
    added_text = f'"{added}"' if added else "null"
    if cellular:
        imei, meid, eid = (
            f'["{_luhn("35" + digits[:12])}"]',
            f'["{digits[12:26]}"]',
            f"8904{digits[26:54]}",
        )
    else:
        imei, meid, eid = "[]", "[]", ""
    middle = (
        f'"deviceModel":{_q(model)},"productFamily":"{family_text}","productType":"{family_text}{product}",'
        f'"deviceCapacity":{capacity_text or f"{_q(capacity_derived)}"},"color":{_q(color)},'
        f'"partNumber":"{part}","orderNumber":{_q(order_number)},"orderDateTime":{added_text}'
    )
    tail = (
        f'"imei":{imei},"meid":{meid},"eid":"{eid}","wifiMacAddress":"{wifi}",'
        f'"bluetoothMacAddress":"{bluetooth}","purchaseSourceId":"{source_id}",'
        f'"purchaseSourceType":"{"APPLE" if supplier == "Apple" else "RESELLER"}"'
    )
    return SEPARATOR.join((added_text, middle, tail))


def page_json_text(rows: Iterable[tuple[str, str, Any, Any]], base: str) -> str:
    """device_resource() of every row, already encoded as JSON and joined by commas: the hot path
    of a 1000-device page, one template per device (tests prove it equal to device_resource). A
    row is (serial number, its fixed text, its server (any true value: assigned), its assignment
    time (a datetime, the database's text, or None)): what is left to write per device is
    its serial, its assignment and its links."""
    prefix = f"{base}/v1/orgDevices/"
    texts: list[str] = []
    append = texts.append
    split = str.split
    for serial_number, fixed, server, assigned in rows:
        serial = _quote(serial_number)
        added, middle, tail = split(fixed, SEPARATOR)
        own = prefix + serial[1:-1]
        updated = f'"{_iso_cached(assigned)}"' if assigned else added
        append(
            f'{{"type":"orgDevices","id":{serial},"attributes":{{"serialNumber":{serial},'
            f'"addedToOrgDateTime":{added},'
            f'"updatedDateTime":{updated},{middle},"status":"{"ASSIGNED" if server else "UNASSIGNED"}",{tail}}},'
            f'"relationships":{{"assignedServer":{{"links":{{"self":"{own}/relationships/assignedServer",'
            f'"related":"{own}/assignedServer"}}}}}},"links":{{"self":"{own}"}}}}'
        )
    return ",".join(texts)
