"""Services of the mock Apple side."""

from __future__ import annotations

import random
import secrets

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from mock_apple import inventory
from mock_apple.models import AppleAccount, Device, Organization, PurchaseOrder

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
    organization, _ = Organization.objects.get_or_create(org_id=DEMO_ORG["org_id"], defaults=DEMO_ORG)
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
    added = 0
    batch: list[Device] = []
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
            for item in planned.devices:
                batch.append(
                    Device(
                        organization=organization,
                        order=order,
                        serial_number=item.serial_number,
                        model=item.model,
                        description=item.description,
                        color=item.color,
                        device_family=item.device_family,
                        os=item.os,
                    )
                )
            if len(batch) >= 5000:
                Device.objects.bulk_create(batch, batch_size=5000)
                added += len(batch)
                batch = []
        Device.objects.bulk_create(batch, batch_size=5000)
        added += len(batch)
    return added
