"""The Apple School Manager portal (/asm/) and the Apple Push Certificates portal (/push/)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mock_apple import attempts, auth, clock, crypto
from mock_apple.auth import (
    AppleHttpRequest,
    account_required,
    administrator_required,
    device_manager_required,
)
from mock_apple.forms import (
    ApiLimitsForm,
    AssignmentForm,
    CertificateForm,
    ClockForm,
    CsrForm,
    FaultForm,
    FeedForm,
    LanguageForm,
    MdmServerAddForm,
    SessionForm,
    SignInForm,
    ThrottleForm,
)
from mock_apple.models import (
    AppleAccount,
    Device,
    ForcedResponse,
    MdmServer,
    MockConfig,
    ServerToken,
)
from mock_apple.services import api_accounts, api_activities, controls, push
from mock_apple.services import assignments as assignments_services
from mock_apple.services import mdm_servers as mdm_servers_services
from mock_apple.services import organization as organization_services

PAGE_SIZE = 50


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "mock_apple/index.html")


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For process managers and tests: answers once the service and its database are up."""
    with connections["apple"].cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "service": "mock_apple"})


def _safe_next(request: HttpRequest, target: str | None, default: str) -> str:
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


# --- Sign-in and language -------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        apple_id = form.cleaned_data["apple_id"]
        keys = attempts.subjects(kind="asm", account=apple_id, address=attempts.client_address(request))
        if attempts.locked(keys):
            # The same answer whether the account exists or not: the limit counts what was typed.
            form.add_error(None, attempts.locked_message())
            return render(request, "mock_apple/signin.html", {"form": form}, status=429)
        account = AppleAccount.objects.filter(apple_id__iexact=apple_id, is_active=True).first()
        if not attempts.password_check(form.cleaned_data["password"], account.password if account else None):
            attempts.failure_record(keys)
            form.add_error(None, _("Your Managed Apple Account or password was entered incorrectly."))
        else:
            assert account is not None
            attempts.success_record(keys[0])
            auth.login(request, account)
            landing = reverse("asm_terms") if _terms_pending(account) else reverse("asm_devices")
            response = HttpResponseRedirect(_safe_next(request, request.GET.get("next"), landing))
            if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
                # A trainee's organisation opens in the language the trainer chose for it.
                _language_cookie(response, account.organization.language)
            return response
    return render(request, "mock_apple/signin.html", {"form": form}, status=status)


def _terms_pending(account: AppleAccount) -> bool:
    return auth.is_administrator(account) and not account.organization.terms_accepted


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    auth.logout(request)
    return redirect("asm_signin")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return HttpResponse(status=400)
    response = HttpResponseRedirect(_safe_next(request, form.cleaned_data["next"], reverse("asm_home")))
    _language_cookie(response, form.cleaned_data["language"])
    return response


def _language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )


# --- Apple School Manager -------------------------------------------------------------------


def _page(
    request: AppleHttpRequest, template: str, context: dict[str, Any], *, section: str, status: int = 200
) -> HttpResponse:
    account = request.account
    context = {
        **context,
        "account": account,
        "organization": account.organization,
        "section": section,
        "can_manage": auth.can_manage_devices(account),
        "is_admin": auth.is_administrator(account),
        "terms_pending": not account.organization.terms_accepted,
    }
    return render(request, template, context, status=status)


@require_GET
@account_required
def home(request: AppleHttpRequest) -> HttpResponse:
    return redirect("asm_terms" if _terms_pending(request.account) else "asm_devices")


@require_http_methods(["GET", "POST"])
@account_required
def terms(request: AppleHttpRequest) -> HttpResponse:
    organization = request.account.organization
    if request.method == "POST":
        auth.require_administrator(request.account)
        organization_services.terms_accept(actor=request.account, organization=organization)
        messages.success(request, _("You accepted the Terms and Conditions."))
        return redirect("asm_devices")
    return _page(request, "mock_apple/terms.html", {}, section="terms")


def _devices_query(request: AppleHttpRequest) -> tuple[Any, dict[str, str]]:
    organization = request.account.organization
    devices = Device.objects.filter(organization=organization, disowned_at__isnull=True)
    filters = {
        "q": request.GET.get("q", "").strip().upper()[:20],
        "server": request.GET.get("server", ""),
        "order": request.GET.get("order", "").strip().upper()[:64],
    }
    if filters["q"]:
        # A serial-number prefix, as a range on the unique index: fast at any inventory size.
        query = filters["q"]
        devices = devices.filter(serial_number__gte=query, serial_number__lt=query + "\U0010ffff")
    if filters["server"] == "none":
        devices = devices.filter(mdm_server__isnull=True)
    elif filters["server"]:
        devices = devices.filter(mdm_server__server_uuid=filters["server"])
    if filters["order"]:
        devices = devices.filter(order__order_number=filters["order"])
    return devices, filters


@require_GET
@account_required
def devices(request: AppleHttpRequest) -> HttpResponse:
    """The inventory: keyset pages ordered by serial number (no OFFSET), searchable by serial prefix."""
    found, filters = _devices_query(request)
    after, before = request.GET.get("after", ""), request.GET.get("before", "")
    page = found.select_related("mdm_server", "order")
    if before:
        rows = list(page.filter(serial_number__lt=before).order_by("-serial_number")[: PAGE_SIZE + 1])
        has_previous = len(rows) > PAGE_SIZE
        rows = list(reversed(rows[:PAGE_SIZE]))
        has_next = True
    else:
        if after:
            page = page.filter(serial_number__gt=after)
        rows = list(page.order_by("serial_number")[: PAGE_SIZE + 1])
        has_next = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        has_previous = bool(after)
    context = {
        "rows": rows,
        "filters": filters,
        "total": found.count(),
        "has_next": has_next,
        "has_previous": has_previous,
        "servers": MdmServer.objects.filter(organization=request.account.organization).order_by("name"),
    }
    if request.GET.get("fragment") == "grid":
        return render(request, "mock_apple/devices.html#grid", context)
    return _page(request, "mock_apple/devices.html", context, section="devices")


@require_GET
@account_required
def device(request: AppleHttpRequest, serial: str) -> HttpResponse:
    found = get_object_or_404(
        Device.objects.select_related("mdm_server", "order"),
        organization=request.account.organization,
        serial_number=serial.upper(),
        disowned_at__isnull=True,
    )
    return _page(request, "mock_apple/device.html", {"device": found}, section="devices")


@require_http_methods(["GET", "POST"])
@account_required
def assignments(request: AppleHttpRequest) -> HttpResponse:
    """Device Assignments: choose devices (serials, order, CSV), then assign or unassign."""
    organization = request.account.organization
    form = AssignmentForm(request.POST or None, request.FILES or None, organization=organization)
    if request.method == "POST":
        auth.require_device_manager(request.account)
        if form.is_valid():
            data = form.cleaned_data
            if data["action"] == AssignmentForm.ASSIGN:
                result = assignments_services.devices_assign(
                    actor=request.account,
                    organization=organization,
                    server=data["server"],
                    device_ids=data["device_ids"],
                )
                messages.success(request, _assigned_message(result, data["server"]))
            else:
                result = assignments_services.devices_unassign(
                    actor=request.account, organization=organization, device_ids=data["device_ids"]
                )
                messages.success(
                    request,
                    ngettext(
                        "%(count)d device was unassigned from its MDM server.",
                        "%(count)d devices were unassigned from their MDM server.",
                        result.unassigned,
                    )
                    % {"count": result.unassigned},
                )
            return redirect("asm_assignments")
    context = {"form": form, "activities": api_activities.activities_recent(organization=organization)}
    return _page(request, "mock_apple/assignments.html", context, section="assignments")


def _assigned_message(result: assignments_services.AssignmentResult, server: MdmServer) -> str:
    done = result.added + result.moved
    message = ngettext(
        "%(count)d device was assigned to %(server)s.",
        "%(count)d devices were assigned to %(server)s.",
        done,
    ) % {"count": done, "server": server.name}
    if result.moved:
        message += " " + ngettext(
            "%(count)d of them moved from another MDM server.",
            "%(count)d of them moved from another MDM server.",
            result.moved,
        ) % {"count": result.moved}
    if result.unchanged:
        message += " " + ngettext(
            "%(count)d was already assigned to it.",
            "%(count)d were already assigned to it.",
            result.unchanged,
        ) % {"count": result.unchanged}
    return message


@require_GET
@account_required
def mdm_servers(request: AppleHttpRequest) -> HttpResponse:
    servers = (
        MdmServer.objects.filter(organization=request.account.organization)
        .annotate(device_count=Count("devices"))
        .order_by("name")
    )
    return _page(request, "mock_apple/mdm_servers.html", {"servers": servers}, section="servers")


@require_http_methods(["GET", "POST"])
@account_required
@device_manager_required
def mdm_server_add(request: AppleHttpRequest) -> HttpResponse:
    form = MdmServerAddForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            server = mdm_servers_services.mdm_server_add(
                actor=request.account,
                organization=request.account.organization,
                name=form.cleaned_data["name"],
                certificate=form.cleaned_data["certificate"].read(settings.ASM_MAX_UPLOAD_BYTES + 1),
            )
        except ValidationError as error:
            _form_errors(
                form, error, field_for_code={"required": "name", "max_length": "name", "unique": "name"}
            )
        else:
            messages.success(request, _("The MDM server %(name)s was saved.") % {"name": server.name})
            return redirect("asm_mdm_server", server_uuid=server.server_uuid)
    return _page(request, "mock_apple/mdm_server_add.html", {"form": form}, section="servers")


def _form_errors(form: Any, error: ValidationError, *, field_for_code: dict[str, str]) -> None:
    for item in error.error_list:
        form.add_error(field_for_code.get(item.code or "", "certificate"), item.message % (item.params or {}))


def _server_for(request: AppleHttpRequest, server_uuid: str) -> MdmServer:
    return get_object_or_404(MdmServer, organization=request.account.organization, server_uuid=server_uuid)


@require_GET
@account_required
def mdm_server(request: AppleHttpRequest, server_uuid: str) -> HttpResponse:
    server = _server_for(request, server_uuid)
    certificate = (
        crypto.load_rsa_certificate(server.certificate_pem.encode()) if server.certificate_pem else None
    )
    context = {
        "server": server,
        "certificate": certificate,
        "device_count": Device.objects.filter(mdm_server=server).count(),
        "token": ServerToken.objects.filter(mdm_server=server, revoked_at__isnull=True).first(),
        "form": CertificateForm(),
    }
    return _page(request, "mock_apple/mdm_server.html", context, section="servers")


@require_POST
@account_required
@device_manager_required
def mdm_server_certificate(request: AppleHttpRequest, server_uuid: str) -> HttpResponse:
    server = _server_for(request, server_uuid)
    form = CertificateForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            mdm_servers_services.mdm_server_certificate_upload(
                actor=request.account,
                server=server,
                data=form.cleaned_data["certificate"].read(settings.ASM_MAX_UPLOAD_BYTES + 1),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The public key was uploaded."))
    else:
        messages.error(request, _("Choose the .pem file to upload."))
    return redirect("asm_mdm_server", server_uuid=server.server_uuid)


@require_POST
@account_required
@device_manager_required
def mdm_server_token(request: AppleHttpRequest, server_uuid: str) -> HttpResponse:
    """Download Token: a new .p7m; the server's previous token stops working."""
    server = _server_for(request, server_uuid)
    try:
        filename, data = mdm_servers_services.server_token_file(actor=request.account, server=server)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("asm_mdm_server", server_uuid=server.server_uuid)
    return attachment(data, content_type="application/pkcs7-mime", filename=filename)


def attachment(content: str | bytes, *, content_type: str, filename: str) -> HttpResponse:
    """A download (.p7m, .pem, sign-in sheets): Django builds the Content-Disposition, quoting
    and RFC 5987-encoding the file name (organisation and server names may hold any character)."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response


# --- Trainer tools: fault injection ---------------------------------------------------------


@require_http_methods(["GET", "POST"])
@account_required
@administrator_required
def faults(request: AppleHttpRequest) -> HttpResponse:
    """The trainer's page: the same switches as the control API (/_mock/)."""
    organization = request.account.organization
    config = MockConfig.load()
    forms: dict[str, Any] = {
        "fault": FaultForm(prefix="fault"),
        "clock": ClockForm(prefix="clock", initial=_clock_initial()),
        "session": SessionForm(
            prefix="session",
            initial={
                "session_ttl_seconds": config.session_ttl_seconds,
                "session_rotation": config.session_rotation,
            },
        ),
        "feed": FeedForm(
            prefix="feed",
            initial={
                "echoed_cursor_remaining": config.echoed_cursor_remaining,
                "move_op_type": config.move_op_type,
            },
        ),
        "throttle": ThrottleForm(
            prefix="throttle",
            initial={
                "throttle_percent": round(config.throttle_rate * 100),
                "throttle_serials": "\n".join(config.throttle_serials),
                "failed_serials": "\n".join(config.failed_serials),
                "retry_after_seconds": config.retry_after_seconds,
            },
        ),
        "api": ApiLimitsForm(
            prefix="api",
            initial={
                "api_get_per_minute": config.api_get_per_minute,
                "api_activity_posts_per_hour": config.api_activity_posts_per_hour,
                "api_activity_seconds": config.api_activity_seconds,
            },
        ),
    }
    if request.method == "POST":
        action = request.POST.get("action", "")
        bound = _fault_action(request, action, organization)
        if bound is None:
            return redirect("asm_faults")
        forms[action] = bound
    context = {
        "forms": forms,
        "config": config,
        "queue": ForcedResponse.objects.filter(organization=organization),
        "mock_now": clock.now(),
        "offset": clock.offset(),
        "servers": MdmServer.objects.filter(organization=organization).order_by("name"),
    }
    return _page(request, "mock_apple/faults.html", context, section="faults")


def _clock_initial() -> dict[str, int]:
    seconds = int(clock.offset().total_seconds())
    days, rest = divmod(abs(seconds), 86_400)
    sign = -1 if seconds < 0 else 1
    return {"days": sign * days, "hours": sign * (rest // 3600)}


def _fault_action(request: AppleHttpRequest, action: str, organization: Any) -> Any:
    """Apply one form of the trainer's page; returns the bound form when it is invalid."""
    if action in ("clear", "reset", "publish_terms", "expire_api_tokens"):
        if action == "clear":
            controls.faults_clear()
        elif action == "reset":
            controls.mock_reset()
        elif action == "expire_api_tokens":
            api_accounts.api_tokens_expire(organization=organization)
        else:
            organization_services.terms_publish(organization=organization)
        messages.success(request, _("Done."))
        return None
    if action in ("revoke", "deny", "allow"):
        server = _server_for(request, request.POST.get("server", ""))
        if action == "revoke":
            mdm_servers_services.server_token_revoke(server=server)
        else:
            MdmServer.objects.filter(pk=server.pk).update(access_denied=action == "deny")
        messages.success(request, _("Done."))
        return None
    form_classes = {
        "fault": FaultForm,
        "clock": ClockForm,
        "session": SessionForm,
        "feed": FeedForm,
        "throttle": ThrottleForm,
        "api": ApiLimitsForm,
    }
    if action not in form_classes:
        messages.error(request, _("Unknown action."))
        return None
    form = form_classes[action](request.POST, prefix=action)
    if not form.is_valid():
        return form
    data = form.cleaned_data
    try:
        if action == "fault":
            controls.fault_queue(
                endpoint=data["endpoint"],
                status=data["status"],
                code=data["code"],
                retry_after=data["retry_after"],
                latency_ms=data["latency_ms"] or 0,
                count=data["count"],
            )
        elif action == "clock":
            controls.clock_set_offset(seconds=data["days"] * 86_400 + data["hours"] * 3600)
        elif action == "throttle":
            controls.config_update(
                throttle_rate=data["throttle_percent"] / 100,
                throttle_serials=assignments_services.serials_from_text(data["throttle_serials"]),
                failed_serials=assignments_services.serials_from_text(data["failed_serials"]),
                retry_after_seconds=data["retry_after_seconds"],
            )
        else:
            controls.config_update(**data)
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return form
    messages.success(request, _("Saved."))
    return None


# --- Apple Push Certificates portal ---------------------------------------------------------


@require_GET
@account_required
def push_certificates(request: AppleHttpRequest) -> HttpResponse:
    context = {"certificates": push.push_certificates_of(request.account), "form": CsrForm()}
    return _page(request, "mock_apple/push.html", context, section="push")


@require_POST
@account_required
@device_manager_required
def push_certificate_create(request: AppleHttpRequest) -> HttpResponse:
    return _push_issue(request, renew=None)


@require_POST
@account_required
@device_manager_required
def push_certificate_renew(request: AppleHttpRequest, pk: int) -> HttpResponse:
    return _push_issue(request, renew=get_object_or_404(push.push_certificates_of(request.account), pk=pk))


def _push_issue(request: AppleHttpRequest, renew: Any) -> HttpResponse:
    form = CsrForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose the certificate signing request (.csr) to upload."))
        return redirect("push_certificates")
    try:
        issued = push.push_certificate_issue(
            actor=request.account,
            csr_data=form.cleaned_data["csr"].read(settings.ASM_MAX_UPLOAD_BYTES + 1),
            renew=renew,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("push_certificates")
    messages.success(
        request, _("Your push certificate is ready. Download it and upload it to your MDM server.")
    )
    return redirect(f"{reverse('push_certificates')}?issued={issued.pk}")


@require_GET
@account_required
def push_certificate_download(request: AppleHttpRequest, pk: int) -> HttpResponse:
    certificate = get_object_or_404(push.push_certificates_of(request.account), pk=pk)
    vendor = request.account.organization.name.split()[0]
    return attachment(
        certificate.certificate_pem,
        content_type="application/x-pem-file",
        filename=f"MDM_ {vendor}_Certificate.pem",
    )
