"""Tenant administration › App registrations: register an app, consent, secrets, certificates.

Everyone signed in sees the blades; only administrators change anything (the services check it
too). A new client secret's value is shown once, in the answer to the request that added it.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from asm_portal import texts
from asm_portal.blades import redirect_to_blade, render_blade
from asm_portal.http import AuthenticatedHttpRequest
from asm_portal.models import Notification
from asm_portal.roles import admin_required, require_change_permission
from asm_portal.services import notification_send
from asm_portal.tenancy import require_tenant
from graph import registrations, selectors
from graph.forms import AppRegisterForm, CertificateUploadForm, SecretAddForm
from graph.models import AppRegistration
from graph.registrations import AppRefused, NewSecret


@require_GET
def app_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render_blade(
        request, "graph/app_list.html", {"apps": selectors.apps_for_grid()}, blade="graph:apps"
    )


@require_http_methods(["GET", "POST"])
@admin_required
def app_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = AppRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            app = registrations.app_create(
                actor=request.user,
                display_name=form.cleaned_data["display_name"],
                permission=form.cleaned_data["permission"],
                device_permissions=form.cleaned_data["device_permissions"],
            )
        except AppRefused as refusal:
            refusal.add_to_form(form)
        else:
            notification_send(
                user=request.user,
                title=texts.gettext("Application registered"),
                body=texts.gettext(
                    "%(name)s was registered. Grant admin consent, then add a client secret.",
                    name=app.display_name,
                ),
                level=Notification.Level.SUCCESS,
            )
            return redirect_to_blade(request, reverse("graph:app_detail", kwargs={"pk": app.pk}))
    return render_blade(request, "graph/app_new.html", {"form": form}, blade="graph:app_new")


def _render_detail(
    request: AuthenticatedHttpRequest,
    app: AppRegistration,
    *,
    new_secret: NewSecret | None = None,
    secret_form: SecretAddForm | None = None,
    certificate_form: CertificateUploadForm | None = None,
    error: str = "",
) -> HttpResponse:
    base = request.build_absolute_uri("/").rstrip("/")
    tenant = require_tenant()
    context = {
        "app": app,
        "app_roles": [app.role, *app.device_roles],
        "tenant": tenant,
        "token_url": f"{base}/{tenant.tenant_id}/oauth2/v2.0/token",
        "graph_url": f"{base}/beta",
        "secrets": app.secrets.all(),
        "certificates": app.certificates.all(),
        "new_secret": new_secret,
        "secret_form": secret_form or SecretAddForm(),
        "certificate_form": certificate_form or CertificateUploadForm(),
        "error": error,
    }
    return render_blade(request, "graph/app_detail.html", context, blade="graph:app_detail")


@require_GET
def app_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, selectors.app_get(pk=pk))


@require_POST
def app_consent(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    app = selectors.app_get(pk=pk)
    require_change_permission(request.user)
    if request.POST.get("revoke"):
        registrations.app_consent_revoke(actor=request.user, app=app)
    else:
        registrations.app_consent_grant(actor=request.user, app=app)
    return redirect_to_blade(request, reverse("graph:app_detail", kwargs={"pk": app.pk}))


@require_POST
def secret_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    app = selectors.app_get(pk=pk)
    require_change_permission(request.user)
    form = SecretAddForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, app, secret_form=form)
    try:
        new_secret = registrations.secret_add(
            actor=request.user,
            app=app,
            description=form.cleaned_data["description"],
            days=form.cleaned_data["days"],
        )
    except AppRefused as refusal:
        return _render_detail(request, app, error=str(refusal))
    # Rendered here, not after a redirect: the value exists in this answer only.
    response = _render_detail(request, app, new_secret=new_secret)
    response.headers["Cache-Control"] = "no-store"
    return response


@require_POST
def secret_delete(request: AuthenticatedHttpRequest, pk: int, secret_pk: int) -> HttpResponse:
    app = selectors.app_get(pk=pk)
    secret = selectors.secret_get(app=app, pk=secret_pk)
    require_change_permission(request.user)
    registrations.secret_revoke(actor=request.user, secret=secret)
    return redirect_to_blade(request, reverse("graph:app_detail", kwargs={"pk": app.pk}))


@require_POST
def certificate_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    app = selectors.app_get(pk=pk)
    require_change_permission(request.user)
    form = CertificateUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            registrations.certificate_add(actor=request.user, app=app, data=form.cleaned_data["certificate"])
        except AppRefused as refusal:
            refusal.add_to_form(form)
        else:
            return redirect_to_blade(request, reverse("graph:app_detail", kwargs={"pk": app.pk}))
    return _render_detail(request, app, certificate_form=form)


@require_POST
def certificate_delete(request: AuthenticatedHttpRequest, pk: int, certificate_pk: int) -> HttpResponse:
    app = selectors.app_get(pk=pk)
    certificate = selectors.certificate_get(app=app, pk=certificate_pk)
    require_change_permission(request.user)
    registrations.certificate_remove(actor=request.user, certificate=certificate)
    return redirect_to_blade(request, reverse("graph:app_detail", kwargs={"pk": app.pk}))


@require_POST
def app_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    app = selectors.app_get(pk=pk)
    require_change_permission(request.user)
    registrations.app_delete(actor=request.user, app=app)
    return redirect_to_blade(request, reverse("graph:apps"))
