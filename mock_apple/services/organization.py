"""The organisation on Apple's side: the demo organisation, its inventory (devices bought
through purchase orders) and the terms and conditions its administrator accepts."""

from __future__ import annotations

import random
import secrets
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from mock_apple import auth, inventory
from mock_apple.bulk import rows_insert
from mock_apple.db import BULK, tables_analyze
from mock_apple.models import (
    AppleAccount,
    Device,
    Organization,
    PurchaseOrder,
)

DEMO_ORG = {
    "name": "Contoso School District",
    "org_id": "3F1A0C2B9D",
    "email": "it@contoso.edu",
    "phone": "+1 425 555 0100",
    "address": "1 Microsoft Way, Redmond, WA 98052, US",
    "domain": "contoso.edu",
}


def organization_seed_demo(*, admin_password: str) -> tuple[Organization, AppleAccount]:
    """The demo organisation and its administrator; safe to run again."""
    # The administrator accepted the current terms when the organisation enrolled.
    organization, _ = Organization.objects.get_or_create(
        org_id=DEMO_ORG["org_id"], defaults={**DEMO_ORG, "terms_accepted_version": 1}
    )
    account, created = AppleAccount.objects.get_or_create(
        apple_id=f"admin@appleid.{organization.domain}",
        defaults={
            "organization": organization,
            "first_name": "Alex",
            "last_name": "Wilber",
            "password": make_password(admin_password),
            "role": AppleAccount.Role.ADMINISTRATOR,
        },
    )
    if not created:
        account.password = make_password(admin_password)
        account.save(update_fields=["password"])
    return organization, account


def inventory_top_up(*, organization: Organization, devices: int, seed: int | None = None) -> int:
    """Buy devices until the organisation owns `devices` of them; returns how many were added."""
    missing = devices - Device.objects.filter(organization=organization).count()
    if missing <= 0:
        return 0
    rng = random.Random(seed if seed is not None else secrets.randbits(32))
    taken_serials = set(Device.objects.values_list("serial_number", flat=True))
    taken_orders = set(
        PurchaseOrder.objects.filter(organization=organization).values_list("order_number", flat=True)
    )
    today = timezone.now().date()
    rows: list[tuple[Any, ...]] = []
    with transaction.atomic(using="apple"):
        for planned in inventory.plan_orders(
            missing,
            rng=rng,
            today=today,
            taken_serials=taken_serials,
            taken_orders=taken_orders,
        ):
            order = PurchaseOrder.objects.create(
                organization=organization,
                order_number=planned.order_number,
                order_date=planned.order_date,
            )
            rows += [
                (organization.pk, order.pk, item.serial_number, item.model, item.description, item.color)
                + (item.device_family, item.os)
                for item in planned.devices
            ]
        rows_insert(Device, INVENTORY_FIELDS, rows)
        added = len(rows)
    if added >= BULK:
        tables_analyze(Device._meta.db_table)
    return added


# The columns the bulk writes set (mock_apple.bulk.rows_insert); the others take their defaults.
INVENTORY_FIELDS = (
    "organization",
    "order",
    "serial_number",
    "model",
    "description",
    "color",
    "device_family",
    "os",
)


def organization_demo() -> Organization | None:
    return Organization.objects.order_by("id").first()


# --- Terms and conditions -------------------------------------------------------------------


def terms_publish(*, organization: Organization) -> Organization:
    """A trainer publishes new terms: the DEP API answers T_C_NOT_SIGNED until they are accepted."""
    Organization.objects.filter(pk=organization.pk).update(terms_version=organization.terms_version + 1)
    organization.refresh_from_db()
    return organization


def terms_accept(*, actor: AppleAccount | None, organization: Organization) -> Organization:
    auth.require_administrator(actor)
    Organization.objects.filter(pk=organization.pk).update(terms_accepted_version=organization.terms_version)
    organization.refresh_from_db()
    return organization
