"""Which tenant the code acts for.

Every table of a tenant's data has a `tenant` column and django-scopes' `ScopedManager`: a query
run outside a tenant scope raises `ScopeError` instead of reading every tenant's rows, and a
query inside one sees only that tenant's rows, so another tenant's object is a 404 wherever a
view looks it up. The scope is opened
- for a request, by `TenantScopeMiddleware`, from the signed-in user (never from the URL);
- for a task, by the task itself, from the tenant id it is given with the object id;
- for a management command, from its `--tenant` option or the default tenant.
Code that spans tenants (the classroom board, migrations, benchmarks, key rotation) says so by
calling `every_tenant()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import models, router, transaction
from django.http import HttpRequest
from django_scopes import get_scope, scope, scopes_disabled

from asm_portal.models import Tenant, TenantMembership
from asm_portal.roles import is_trainer

# The tenant that existing data moved into, and that the demo and the commands use by default.
DEFAULT_TENANT_DOMAIN = "contoso.onmicrosoft.com"
DEFAULT_TENANT_NAME = "Contoso"


@contextmanager
def tenant_scope(tenant: Tenant | int) -> Iterator[Tenant]:
    """Act for `tenant` (an instance, or its primary key as tasks receive it)."""
    if not isinstance(tenant, Tenant):
        tenant = Tenant.objects.get(pk=tenant)
    with scope(tenant=tenant):
        yield tenant


@contextmanager
def every_tenant() -> Iterator[None]:
    """Code that spans tenants on purpose; each caller says why."""
    with scopes_disabled():
        yield


def current_tenant() -> Tenant | None:
    """The tenant of the current scope, or None outside one (and in code spanning tenants)."""
    tenant = get_scope().get("tenant")
    return tenant if isinstance(tenant, Tenant) else None


def require_tenant() -> Tenant:
    tenant = current_tenant()
    if tenant is None:
        raise RuntimeError("This code acts for a tenant but runs outside a tenant scope.")
    return tenant


def tenant_of(user: AbstractBaseUser | AnonymousUser) -> Tenant | None:
    if not user.is_authenticated:
        return None
    membership = TenantMembership.objects.select_related("tenant").filter(user_id=user.pk).first()
    return membership.tenant if membership else None


def tenant_users() -> models.QuerySet[User]:
    """The accounts of the current tenant (Django's user table is not scoped: this is its view)."""
    return User.objects.filter(membership__tenant=require_tenant())


def default_tenant() -> Tenant:
    """Contoso: the tenant the data of a single-tenant installation lives in."""
    tenant, _ = Tenant.objects.get_or_create(
        initial_domain=DEFAULT_TENANT_DOMAIN, defaults={"display_name": DEFAULT_TENANT_NAME}
    )
    return tenant


def tenant_join(*, user: AbstractBaseUser, tenant: Tenant) -> None:
    """Make `user` a member of `tenant` (its only one)."""
    TenantMembership.objects.update_or_create(user_id=user.pk, defaults={"tenant": tenant})


def tenant_models() -> list[type[models.Model]]:
    """Every model whose rows belong to a tenant: those whose default manager is scoped."""
    return [model for model in apps.get_models() if hasattr(model._default_manager, "with_scope")]


def tenant_rows(model: type[models.Model], tenant: Tenant) -> models.QuerySet[models.Model]:
    """The rows of `model` that `tenant` owns, whatever scope the caller runs in (the model's
    scoped manager knows the way to the tenant: its own column or its parent's)."""
    manager = model._default_manager.with_scope(tenant=tenant)  # type: ignore[attr-defined]
    queryset: models.QuerySet[models.Model] = manager.all()
    return queryset


def _owns_column(model: type[models.Model]) -> bool:
    return any(field.name == "tenant" for field in model._meta.concrete_fields)


def tenant_rows_count(tenant: Tenant) -> dict[str, int]:
    """How many rows of each table the tenant owns (the classroom's "nothing left" check)."""
    return {model._meta.label: tenant_rows(model, tenant).count() for model in tenant_models()}


def tenant_rows_delete(tenant: Tenant, *, keep: frozenset[str] = frozenset()) -> dict[str, int]:
    """Delete every row the tenant owns, except in the tables labelled in `keep`, in one
    transaction. One plain DELETE per table (Django's cascade would load every device first);
    the database checks the foreign keys at commit (they are deferred on PostgreSQL and SQLite),
    so the order of the tables matters only for the rows found through their parent (a token's
    sync state): those go first, while their parent is still there to find them by. A kept row
    that points at a deleted one loses the link first."""
    wiped = sorted(
        (model for model in tenant_models() if model._meta.label_lower not in keep),
        key=lambda model: _owns_column(model),
    )
    targets = set(wiped)
    deleted: dict[str, int] = {}
    with transaction.atomic(using=router.db_for_write(Tenant)):
        for model in tenant_models():
            if model in targets:
                continue
            for model_field in model._meta.concrete_fields:
                if model_field.is_relation and model_field.related_model in targets and model_field.null:
                    tenant_rows(model, tenant).exclude(**{model_field.name: None}).update(
                        **{model_field.name: None}
                    )
        for model in wiped:
            rows = tenant_rows(model, tenant)
            deleted[model._meta.label] = rows._raw_delete(rows.db)
    return deleted


# --- A trainer looking at a trainee's tenant --------------------------------------------------

# The session (server-side) holds the look: {"tenant": pk, "by": user pk, "label": name}.
LOOK_SESSION_KEY = "asm.tenant_look"


def look_start(request: HttpRequest, *, tenant: Tenant, label: str) -> None:
    """From the next request on, the trainer sees `tenant` as its users do, read-only. The
    caller checked that the trainer may (a trainee of their class) and audited it."""
    request.session[LOOK_SESSION_KEY] = {"tenant": tenant.pk, "by": request.user.pk, "label": label}


def look_stop(request: HttpRequest) -> None:
    request.session.pop(LOOK_SESSION_KEY, None)


def looked_at(request: HttpRequest, user: AbstractBaseUser) -> Tenant | None:
    """The tenant a trainer is looking at, if the look is still valid: started by this user, who
    still has the Trainer role, on a tenant that still exists."""
    look = request.session.get(LOOK_SESSION_KEY)
    if not isinstance(look, dict) or look.get("by") != user.pk or not is_trainer(user):
        return None
    tenant_pk = look.get("tenant")
    tenant = Tenant.objects.filter(pk=tenant_pk).first() if isinstance(tenant_pk, int) else None
    if tenant is None:
        look_stop(request)
    return tenant
