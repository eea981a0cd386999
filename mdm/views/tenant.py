"""Which tenant a device's request acts for.

Devices have no portal session, so the tenant cannot follow from a signed-in user: it follows
from the object the device names — the enrollment program token in the enrollment URLs, the
enrolled device's serial number in the Company Portal's. Finding that object spans tenants (the
one place these views do); everything after it runs in the owner's scope, so the services see
that tenant's rows only.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django_scopes import scope

from asm_portal.tenancy import every_tenant, tenant_scope
from devices.models import ENROLLED_STATES, Device
from tokens.models import EnrollmentProgramToken

View = Callable[..., HttpResponse]


def _run(tenant_id: int | None, view: View, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    if tenant_id is None:
        # No tenant owns what the device names: the view answers as for an unknown object, in
        # a scope that sees no row (no tenant has the primary key 0).
        with scope(tenant=0):
            return view(request, *args, **kwargs)
    with tenant_scope(tenant_id):
        return view(request, *args, **kwargs)


def token_tenant(view: View) -> View:
    """For the views under /enroll/<token_id>/: the token's tenant."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, token_id: int, **kwargs: Any) -> HttpResponse:
        with every_tenant():
            tenant_id = (
                EnrollmentProgramToken.objects.filter(pk=token_id).values_list("tenant_id", flat=True).first()
            )
        return _run(tenant_id, view, request, *args, token_id=token_id, **kwargs)

    return wrapper


def serial_tenant(view: View) -> View:
    """For the Company Portal's views (?serial=): the tenant of the device enrolled with that
    serial number most recently."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        serial = (request.GET.get("serial") or request.POST.get("serial") or "")[:32]
        with every_tenant():
            tenant_id = (
                Device.objects.filter(serial_number=serial, enrollment_state__in=ENROLLED_STATES)
                .order_by("-enrolled_at")
                .values_list("tenant_id", flat=True)
                .first()
            )
        return _run(tenant_id, view, request, *args, **kwargs)

    return wrapper
