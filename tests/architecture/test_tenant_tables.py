"""Every table of the portal's own apps belongs to a tenant, unless it is one of the few that
cannot: a new model is scoped, or it fails here until someone says why it is global."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models
from django_scopes.exceptions import ScopeError

from asm_portal.models import Tenant
from asm_portal.tenancy import tenant_models

PORTAL_APPS = ("asm_portal", "tokens", "profiles", "devices", "mdm", "sds", "graph", "trainer")

# Not a tenant's data, and why.
GLOBAL = {
    "asm_portal.Tenant": "the tenants themselves",
    "asm_portal.TenantMembership": "which tenant a user belongs to (read before any scope exists)",
    "asm_portal.UserPreference": "a person's language, whatever the tenant",
    "asm_portal.SignInFailure": "counted before anyone is signed in",
    "asm_portal.WorkerHeartbeat": "the workers serve every tenant",
    "asm_portal.BackgroundService": "the broker serves every tenant",
}


def test_every_portal_table_is_a_tenant_s_or_says_why_not() -> None:
    unscoped = {
        model._meta.label
        for label in PORTAL_APPS
        for model in apps.get_app_config(label).get_models()
        if model not in tenant_models()
    }
    assert unscoped == set(GLOBAL)


def test_every_tenant_table_has_its_own_tenant_column_and_refuses_queries_outside_a_scope() -> None:
    for model in tenant_models():
        with pytest.raises(ScopeError):
            model._default_manager.all()
        with pytest.raises(ScopeError):
            model._default_manager.filter(pk=1)
        tenant = model._meta.get_field("tenant")
        assert isinstance(tenant, models.ForeignKey), model
        assert tenant.related_model is Tenant, model
        assert not tenant.null, model
