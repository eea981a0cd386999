"""Trainer scenarios: wipe an Apple organisation and build it again from a preset's Apple part.

The portal's trainer mode sends POST /_mock/scenario with the preset's Apple part, the portal's
push certificate request (CSR) and the public key (.pem) of each MDM server the portal will hold
a token for. The mock answers with what an ASM administrator would have downloaded: the signed
push certificate and one server token (.p7m) per MDM server, made by the same services as the
ASM and Push Certificates portals.

The wipe is generic: every model of this app goes, except those in KEEP (the administrators and
their organisation, the mock CA, the mock's own switches), so that a model added later (virtual
devices, say) is wiped too without anyone remembering to list it. Only the organisation's rows
go (each trainee has one, see mock_apple.services.organization.organization_rows); the others'
stay as they are.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connections, models, transaction

from mock_apple import clock, inventory, tenancy
from mock_apple.bulk import rows_insert
from mock_apple.db import DB
from mock_apple.models import (
    AppleAccount,
    CertificateAuthority,
    Device,
    MdmServer,
    MockConfig,
    Organization,
    PurchaseOrder,
    current_organization_pk,
)
from mock_apple.services import assignments, controls, mdm_servers, push
from mock_apple.services import organization as organization_services

# Models a reset never touches: who signs in to the ASM portal, the CA that signed the push
# certificates already handed out, and the mock's configuration row (reset to its defaults).
KEEP: frozenset[type[models.Model]] = frozenset(
    {Organization, AppleAccount, CertificateAuthority, MockConfig}
)
MAX_DEVICES = 250_000
_CATALOGUE = {item.model: item for item in inventory.CATALOGUE}


def wiped_models() -> list[type[models.Model]]:
    """Every table of the mock (many-to-many tables included) that a reset empties."""
    return [
        model
        for model in apps.get_app_config("mock_apple").get_models(include_auto_created=True)
        if model not in KEEP
    ]


def _wipe(organization: Organization) -> None:
    """Delete the organisation's rows; when it is the only one, empty the tables in one statement
    (PostgreSQL) or one DELETE each (SQLite, checks deferred), much faster for a large preset."""
    if Organization.objects.exclude(pk=organization.pk).exists():
        organization_services.organization_rows_delete(organization=organization, keep=KEEP)
        return
    connection = connections[DB]
    tables = [model._meta.db_table for model in wiped_models()]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # No CASCADE: a kept table referring to a wiped one must fail loudly, not be emptied.
            cursor.execute("TRUNCATE " + ", ".join(connection.ops.quote_name(t) for t in tables))
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


@dataclass
class ScenarioResult:
    organization: Organization
    devices: int = 0
    push_certificate_pem: str = ""
    servers: dict[str, dict[str, Any]] = field(default_factory=dict)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValidationError(message)


def _check(spec: dict[str, Any]) -> None:
    """The preset's Apple part, checked whole before anything is deleted."""
    _require(isinstance(spec, dict), "The preset's apple part must be an object.")
    orders = spec.get("orders", [])
    _require(isinstance(orders, list), "orders must be a list.")
    numbers: set[str] = set()
    total = 0
    for order in orders:
        _require(
            isinstance(order, dict) and isinstance(order.get("number"), str), "Each order needs a number."
        )
        _require(order["number"] not in numbers, f"Order {order['number']} appears twice.")
        numbers.add(order["number"])
        date.fromisoformat(str(order.get("date", "")))
        for item in order.get("items", []):
            _require(item.get("model") in _CATALOGUE, f"Unknown device model: {item.get('model')!r}.")
            count = item.get("count")
            _require(isinstance(count, int) and count > 0, "Each item needs a positive count.")
            total += count
    _require(total <= MAX_DEVICES, f"A preset can hold at most {MAX_DEVICES} devices.")
    names: set[str] = set()
    for server in spec.get("mdm_servers", []):
        name = server.get("name")
        _require(isinstance(name, str) and bool(name.strip()), "Each MDM server needs a name.")
        _require(name not in names, f"MDM server {name} appears twice.")
        names.add(name)
        for part in server.get("devices", []):
            _require(part.get("order") in numbers, f"MDM server {name}: unknown order {part.get('order')!r}.")


def _inventory(organization: Organization, spec: dict[str, Any], seed: str) -> dict[str, list[int]]:
    """The preset's orders and devices (bulk); the device ids of each order, in serial order.
    Serial numbers are unique across organisations: the others' are skipped (the same preset
    and seed give the first organisation the same serials as ever, the next ones others)."""
    rng = random.Random(int(hashlib.sha256(seed.encode()).hexdigest()[:16], 16))  # noqa: S311
    _serials_lock()
    taken: set[str] = set(
        Device.objects.exclude(organization=organization).values_list("serial_number", flat=True)
    )
    by_order: dict[str, list[int]] = {}
    for planned in spec.get("orders", []):
        order = PurchaseOrder.objects.create(
            organization=organization,
            order_number=planned["number"],
            order_date=date.fromisoformat(planned["date"]),
            supplier=planned.get("supplier", "Apple"),
        )
        rows: list[tuple[Any, ...]] = []
        for item in planned.get("items", []):
            kind = _CATALOGUE[item["model"]]
            color = item.get("color") or kind.colors[0]
            for _ in range(item["count"]):
                serial = inventory.serial_number(rng)
                while serial in taken:
                    serial = inventory.serial_number(rng)
                taken.add(serial)
                item = inventory.PlannedDevice(
                    serial, kind.model, f"{kind.description} {color}", color, kind.family, kind.os
                )
                rows.append(organization_services.inventory_row(organization, order, item))
        rows_insert(Device, organization_services.INVENTORY_FIELDS, rows)
        by_order[order.order_number] = list(
            Device.objects.filter(order=order).order_by("serial_number").values_list("id", flat=True)
        )
    return by_order


# Any constant shared by every process: the key of the lock on allocating serial numbers.
_SERIALS_LOCK_KEY = 0x41534D5F53455249


def _serials_lock() -> None:
    """Builds run side by side (a class's trainees, one worker task each) and draw the same
    serials from the same preset's seed: the skip above sees only committed serials, so two
    builds would both take the first one and the second would fail on the unique index. On
    PostgreSQL the allocation waits for the other build to commit (a lock held until the end of
    the transaction); SQLite lets one transaction write at a time, so builds are already in turn."""
    connection = connections[DB]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SERIALS_LOCK_KEY])


def scenario_build(
    *,
    spec: dict[str, Any],
    seed: str,
    push_csr: str = "",
    server_certificates: dict[str, str] | None = None,
    organization: Organization | None = None,
) -> ScenarioResult:
    """Wipe the organisation's data (default: the one the code acts for) and build the preset's;
    all or nothing."""
    _check(spec)
    if organization is None:
        organization = Organization.objects.filter(pk=current_organization_pk()).first()
    _require(organization is not None, "There is no organisation: run seed_demo (or seed_apple) first.")
    assert organization is not None
    with tenancy.acting_for(organization.pk):
        return _build(organization, spec, seed, push_csr, server_certificates or {})


def _build(
    organization: Organization, spec: dict[str, Any], seed: str, push_csr: str, certificates: dict[str, str]
) -> ScenarioResult:
    admin = (
        organization.accounts.filter(role=AppleAccount.Role.ADMINISTRATOR, is_active=True)
        .order_by("id")
        .first()
    )
    _require(admin is not None, "The organisation has no active administrator.")
    assert admin is not None
    with transaction.atomic(using=DB):
        _wipe(organization)
        controls.mock_reset()  # faults, session settings and the clock back to their defaults
        Organization.objects.filter(pk=organization.pk).update(
            name=str(spec.get("organization") or organization.name)[:200],
            terms_accepted_version=organization.terms_version,
        )
        organization.refresh_from_db()
        result = ScenarioResult(organization=organization)
        by_order = _inventory(organization, spec, seed)
        result.devices = sum(len(ids) for ids in by_order.values())
        for planned in spec.get("mdm_servers", []):
            server = mdm_servers.mdm_server_create(
                actor=None, organization=organization, name=planned["name"]
            )
            ids: list[int] = []
            for part in planned.get("devices", []):
                available = by_order[part["order"]]
                count = part.get("count", len(available))
                ids += available[:count]
                by_order[part["order"]] = available[count:]
            if ids:
                assignments.devices_assign(
                    actor=None,
                    organization=organization,
                    server=server,
                    device_ids=ids,
                    assigned_by=admin.apple_id,
                )
            entry: dict[str, Any] = {"server_uuid": server.server_uuid, "devices": len(ids)}
            certificate = certificates.get(planned["name"], "")
            if certificate:
                # What the administrator does in ASM: upload the portal's .pem, then Get token.
                mdm_servers.mdm_server_certificate_upload(
                    actor=admin, server=server, data=certificate.encode()
                )
                file_name, data = mdm_servers.server_token_file(actor=admin, server=server)
                entry["token_file"] = data.decode()
                entry["token_file_name"] = file_name
            result.servers[planned["name"]] = entry
        unknown = set(certificates) - set(result.servers)
        _require(not unknown, f"No MDM server named {', '.join(sorted(unknown))} in the preset.")
        if push_csr:
            # Apple's Push Certificates portal, signed in as the administrator.
            issued = push.push_certificate_issue(actor=admin, csr_data=push_csr.encode())
            result.push_certificate_pem = issued.certificate_pem
    return result


def scenario_summary(organization: Organization) -> dict[str, Any]:
    """What the organisation holds now, as the scenario endpoint reports it."""
    return {
        "organization": organization.name,
        "devices": Device.objects.filter(organization=organization).count(),
        "orders": PurchaseOrder.objects.filter(organization=organization).count(),
        "mdm_servers": {
            server.name: server.devices.count()
            for server in MdmServer.objects.filter(organization=organization).order_by("name")
        },
        "now": clock.now().isoformat(),
    }
