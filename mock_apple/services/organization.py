"""The organisations on Apple's side: the demo organisation, the trainees' own (created and
deleted by the trainer through the control API), their inventory (devices bought through
purchase orders) and the terms and conditions an administrator accepts."""

from __future__ import annotations

import random
import secrets
import string
from collections import deque
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import DomainNameValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mock_apple import auth, inventory
from mock_apple.axm_devices import fixed_text
from mock_apple.bulk import rows_insert
from mock_apple.db import BULK, DB, tables_analyze
from mock_apple.models import (
    ApiAccount,
    ApiAssertionId,
    ApnsDeviceToken,
    AppleAccount,
    CertificateAuthority,
    Device,
    MockConfig,
    OAuthNonce,
    Organization,
    PurchaseOrder,
    ServerToken,
    SignInFailure,
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
            rows += [inventory_row(organization, order, item) for item in planned.devices]
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
    "api_attributes",
)


def inventory_row(
    organization: Organization, order: PurchaseOrder, item: inventory.PlannedDevice
) -> tuple[Any, ...]:
    """The INVENTORY_FIELDS of a device bought in `order`, with what the School Manager API says
    of it that never changes (Device.api_attributes), written once with the device."""
    fixed = fixed_text(
        item.serial_number,
        item.model,
        item.description,
        item.color,
        item.device_family,
        order.order_number,
        order.order_date,
        order.supplier,
    )
    return (
        organization.pk,
        order.pk,
        item.serial_number,
        item.model,
        item.description,
        item.color,
        item.device_family,
        item.os,
        fixed,
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


# --- The trainees' organisations --------------------------------------------------------------

LANGUAGES = ("en", "fr")
PASSWORD_LENGTH = 20


@dataclass
class NewOrganization:
    organization: Organization
    admin: AppleAccount
    admin_password: str  # shown once; only its hash is stored


def admin_password_generate() -> str:
    """A strong password: 20 characters with a capital, a small letter and a digit (Apple's rules)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        value = "".join(secrets.choice(alphabet) for _ in range(PASSWORD_LENGTH))
        if (
            any(c.isupper() for c in value)
            and any(c.islower() for c in value)
            and any(c.isdigit() for c in value)
        ):
            return value


def _org_id_generate() -> str:
    """Ten hexadecimal digits, like the demo organisation's (3F1A0C2B9D), unused."""
    while True:
        value = secrets.token_hex(5).upper()
        if not Organization.objects.filter(org_id=value).exists():
            return value


def organization_create(
    *, name: str, domain: str, admin_first_name: str, admin_last_name: str, language: str
) -> NewOrganization:
    """An organisation of its own for a trainee: its switches (MockConfig) and an Administrator
    (admin@appleid.<domain>, as the demo organisation's) with a generated password. Every value
    is checked before anything is created."""
    name, domain = name.strip(), domain.strip().lower().rstrip(".")
    first, last = admin_first_name.strip(), admin_last_name.strip()
    errors: dict[str, str] = {}
    if not name or len(name) > 200:
        errors["name"] = _("Give a name of 1 to 200 characters.")
    try:
        DomainNameValidator(accept_idna=False)(domain)
        if "." not in domain or len(domain) > 150:
            raise ValidationError("")
    except ValidationError:
        errors["domain"] = _("Give a domain name, such as trainee01.contoso-school.example.")
    if "domain" not in errors and (
        Organization.objects.filter(domain__iexact=domain).exists()
        or AppleAccount.objects.filter(apple_id__iexact=f"admin@appleid.{domain}").exists()
    ):
        errors["domain"] = _("Another organisation already uses this domain.")
    for key, value in (("admin_first_name", first), ("admin_last_name", last)):
        if not value or len(value) > 100:
            errors[key] = _("Give a name of 1 to 100 characters.")
    if language not in LANGUAGES:
        errors["language"] = _("The language must be fr or en.")
    if errors:
        raise ValidationError(errors)
    password = admin_password_generate()
    with transaction.atomic(using=DB):
        # The administrator accepted the current terms when the organisation enrolled.
        organization = Organization.objects.create(
            name=name,
            org_id=_org_id_generate(),
            email=f"it@{domain}",
            domain=domain,
            language=language,
            terms_accepted_version=1,
        )
        MockConfig.objects.create(organization=organization)
        admin = AppleAccount.objects.create(
            organization=organization,
            apple_id=f"admin@appleid.{domain}",
            first_name=first,
            last_name=last,
            password=make_password(password),
            role=AppleAccount.Role.ADMINISTRATOR,
        )
    return NewOrganization(organization=organization, admin=admin, admin_password=password)


# Rows of no organisation: Apple's CAs (they sign for every one), failed sign-ins (counted before
# anyone is known, by digests of what was typed; they decay by themselves within the attempt
# window), and APNs' device tokens (APNs is one service for every provider: a token is the
# device's, whichever MDM server pushes to it).
SHARED_MODELS: frozenset[type[models.Model]] = frozenset(
    {ApnsDeviceToken, CertificateAuthority, SignInFailure}
)


def _organization_paths() -> dict[type[models.Model], str]:
    """For each model of the app, the shortest chain of foreign keys to its organisation
    (required keys preferred, so that no row escapes through a null): "organization",
    "device__organization", "server_token__mdm_server__organization"…"""
    found: dict[type[models.Model], str] = {Organization: "pk"}
    everything = list(apps.get_app_config("mock_apple").get_models(include_auto_created=True))
    for allow_null in (False, True):
        queue: deque[type[models.Model]] = deque(found)
        while queue:
            target = queue.popleft()
            for model in everything:
                if model in found:
                    continue
                for field in model._meta.concrete_fields:
                    if field.is_relation and field.related_model is target and (allow_null or not field.null):
                        suffix = found[target]
                        found[model] = field.name if target is Organization else f"{field.name}__{suffix}"
                        queue.append(model)
                        break
    return found


def _linked_by_value(organization: Organization) -> dict[type[models.Model], models.QuerySet[Any]]:
    """The rows tied to an organisation by a value rather than a key: replay guards."""
    return {
        OAuthNonce: OAuthNonce.objects.filter(
            consumer_key__in=ServerToken.objects.filter(mdm_server__organization=organization).values(
                "consumer_key"
            )
        ),
        ApiAssertionId: ApiAssertionId.objects.filter(
            client_id__in=ApiAccount.objects.filter(organization=organization).values("client_id")
        ),
    }


def organization_rows(organization: Organization) -> dict[type[models.Model], models.QuerySet[Any]]:
    """Every row of the apple database that belongs to the organisation, per model (many-to-many
    tables included), in an order where a row goes before those it is found through."""
    linked = _linked_by_value(organization)
    paths = _organization_paths()
    unlinked = [
        model
        for model in apps.get_app_config("mock_apple").get_models(include_auto_created=True)
        if model not in paths and model not in linked and model not in SHARED_MODELS
    ]
    if unlinked:
        # A new model must say how it belongs to an organisation, or deleting one would leave it.
        raise LookupError(f"No way to an organisation from {', '.join(m.__name__ for m in unlinked)}.")
    rows = dict(linked)
    for model in sorted(paths, key=lambda m: (-paths[m].count("__"), m is Organization)):
        rows[model] = model._default_manager.filter(**{paths[model]: organization.pk})
    return rows


def organization_rows_delete(
    *, organization: Organization, keep: frozenset[type[models.Model]] = frozenset()
) -> dict[str, int]:
    """Delete the organisation's rows (but those of the `keep` models), one DELETE per table;
    the counts per model label. Call inside a transaction: the foreign keys are checked at its
    end, once every table is done."""
    deleted: dict[str, int] = {}
    for model, queryset in organization_rows(organization).items():
        if model in keep:
            continue
        deleted[model._meta.label] = queryset._raw_delete(using=DB)
    return deleted


def organization_delete(*, organization: Organization) -> dict[str, int]:
    """The organisation and everything of it, gone from the apple database."""
    with transaction.atomic(using=DB):
        return organization_rows_delete(organization=organization)
