from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from asm_portal import roles, services, texts
from asm_portal.blades import (
    redirect_to_blade,
    render_blade,
    render_blade_or_fragment,
    render_fragment,
    render_pane,
)
from asm_portal.forms import LanguageForm, SignInForm
from asm_portal.http import AuthenticatedHttpRequest, HtmxHttpRequest, client_ip, safe_next
from asm_portal.models import AuditEvent, Notification
from asm_portal.roles import require_change_permission
from asm_portal.tenancy import look_stop as look_stop_session
from asm_portal.tenancy import tenant_users


def _safe_next(request: HtmxHttpRequest, target: str | None) -> str:
    return safe_next(request, target, fallback=reverse(settings.LOGIN_REDIRECT_URL))


@login_not_required
@require_http_methods(["GET", "POST"])
def signin(request: HtmxHttpRequest) -> HttpResponse:
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"].strip()
        ip_address = client_ip(request)
        if services.signin_is_locked(username=username, ip_address=ip_address):
            form.add_error(
                None,
                _("Your account is temporarily locked to prevent unauthorized use. Try again later."),
            )
            status = 429
        else:
            user = authenticate(request, username=username, password=form.cleaned_data["password"])
            if user is None:
                services.signin_record_failure(username=username, ip_address=ip_address)
                form.add_error(
                    None,
                    _("Your account or password is incorrect."),
                )
            else:
                services.signin_clear_failures(username=username)
                login(request, user)
                return HttpResponseRedirect(_safe_next(request, request.GET.get("next")))
    return render(request, "registration/signin.html", {"form": form}, status=status)


@require_POST
def signout(request: AuthenticatedHttpRequest) -> HttpResponse:
    logout(request)
    return redirect("signin")


@login_not_required
@require_POST
def set_language(request: HtmxHttpRequest) -> HttpResponse:
    """Switch the language; remembered per user, and in a cookie for the sign-in page."""
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return HttpResponse(status=400)
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        services.preference_set_language(user=request.user, language=language)
    response = HttpResponseRedirect(_safe_next(request, form.cleaned_data["next"]))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response


@require_POST
def look_stop(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Back to one's own tenant after looking at a trainee's (a no-op otherwise)."""
    look_stop_session(request)
    return redirect("home")


@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render_blade(request, "asm_portal/home.html", blade="home")


@require_GET
def enrollment(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render_blade(request, "asm_portal/enrollment.html", blade="enrollment")


@require_GET
def apple_enrollment(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render_blade(request, "asm_portal/apple_enrollment.html", blade="apple_enrollment")


@require_GET
def tenant_admin(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render_blade(request, "asm_portal/tenant_admin.html", blade="tenant_admin")


AUDIT_PAGE_SIZE = 50


@require_GET
def audit_logs(request: AuthenticatedHttpRequest) -> HttpResponse:
    events = AuditEvent.objects.all()
    query = request.GET.get("q", "").strip()
    if query:
        # Actions are stored in English and shown in the reader's language: match either.
        needle = query.casefold()
        shown = [
            action
            for action in AuditEvent.objects.order_by().values_list("action", flat=True).distinct()
            if needle in _(action).casefold()
        ]
        events = events.filter(
            Q(actor_name__icontains=query)
            | Q(action__icontains=query)
            | Q(action__in=shown)
            | Q(target_name__icontains=query)
        )
    category = request.GET.get("category", "")
    if category:
        events = events.filter(category=category)
    result = request.GET.get("result", "")
    if result in AuditEvent.Result.values:
        events = events.filter(result=result)
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "query": query,
        "category": category,
        "result": result,
        "categories": AuditEvent.Category.choices,
        "results": AuditEvent.Result.choices,
    }
    return render_blade_or_fragment(request, "asm_portal/audit_logs.html", context, blade="audit_logs")


@require_GET
def notifications(request: AuthenticatedHttpRequest) -> HttpResponse:
    items = Notification.objects.filter(user=request.user)[:50]
    return render_pane(
        request, "asm_portal/notifications.html", {"notifications": items}, blade="notifications"
    )


@require_POST
def notifications_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    services.notifications_mark_read(user=request.user)
    if request.htmx:
        return render_fragment(
            request,
            "asm_portal/notifications.html#pane",
            {"notifications": Notification.objects.filter(user=request.user)[:50]},
        )
    return redirect("notifications")


@require_GET
def role_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    users = tenant_users().filter(is_active=True).prefetch_related("groups").order_by("username")
    return render_blade(request, "asm_portal/roles.html", {"users": users}, blade="roles")


def _get_user_for_role_edit(request: AuthenticatedHttpRequest, pk: int) -> User:
    # Another tenant's account is not found (404), like every other object of another tenant.
    return get_object_or_404(tenant_users(), pk=pk, is_active=True)


@require_http_methods(["GET", "POST"])
def role_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    subject = _get_user_for_role_edit(request, pk)
    require_change_permission(request.user)  # after the lookup (roles.admin_required)
    error = ""
    if request.method == "POST":
        chosen = [name for name in request.POST.getlist("roles") if name in roles.ALL_ROLES]
        try:
            services.user_roles_set(actor=request.user, user=subject, role_names=chosen)
        except services.RoleChangeRefused as refused:
            error = str(refused)
        else:
            services.notification_send(
                user=request.user,
                title=texts.gettext("Role assignment updated"),
                body=texts.gettext("The roles of %(user)s were updated.", user=subject.get_username()),
                level=Notification.Level.SUCCESS,
            )
            return redirect_to_blade(request, reverse("roles"))
    context = {
        "subject": subject,
        "all_roles": roles.ALL_ROLES,
        "current": roles.roles_of(subject),
        "error": error,
    }
    return render_pane(request, "asm_portal/role_edit.html", context, blade="roles")
