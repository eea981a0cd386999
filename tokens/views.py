from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from asm_portal import navigation, texts
from asm_portal.blades import (
    blade_extra_context,
    redirect_to_blade,
    render_blade,
    render_blade_or_fragment,
)
from asm_portal.http import AuthenticatedHttpRequest
from asm_portal.models import Notification
from asm_portal.roles import admin_required, require_change_permission
from asm_portal.services import notification_send
from tokens import apple_errors, push_certificates, services
from tokens.forms import ConsentForm, PushCertificateUploadForm, TokenUploadForm
from tokens.models import EnrollmentProgramToken
from tokens.refusals import TokenDeletionError, UploadError
from tokens.selectors import token_get_for_user

TOKENS_PAGE_SIZE = 50
# The public keys downloaded in this browser session, per flow ("add" or a token id): the
# upload decrypts with them only, as Intune's key is only good while its page stays open.
SESSION_PUBLIC_KEYS = "tokens.public_keys"
SESSION_PUSH_CSR = "tokens.push_csr_downloaded"


def _crumbs(token: EnrollmentProgramToken) -> list[navigation.Crumb]:
    """Blades under a token: the token joins the breadcrumb."""
    return [navigation.Crumb(token.token_name, reverse("tokens:detail", args=[token.pk]))]


def _session_key_ids(request: AuthenticatedHttpRequest, flow: str) -> list[int]:
    keys: dict[str, list[int]] = request.session.get(SESSION_PUBLIC_KEYS, {})
    return [int(pk) for pk in keys.get(flow, [])]


def _session_key_remember(request: AuthenticatedHttpRequest, flow: str, pk: int) -> None:
    keys: dict[str, list[int]] = request.session.get(SESSION_PUBLIC_KEYS, {})
    # The last few: an administrator may download twice and upload either .pem to Apple.
    keys[flow] = [pk, *keys.get(flow, [])][:5]
    request.session[SESSION_PUBLIC_KEYS] = keys


def _session_key_forget(request: AuthenticatedHttpRequest, flow: str) -> None:
    keys: dict[str, list[int]] = request.session.get(SESSION_PUBLIC_KEYS, {})
    keys.pop(flow, None)
    request.session[SESSION_PUBLIC_KEYS] = keys


def _attachment(content: str, filename: str, content_type: str) -> HttpResponse:
    return HttpResponse(
        content,
        content_type=content_type,
        headers={
            "Content-Disposition": content_disposition_header(as_attachment=True, filename=filename),
            "Cache-Control": "no-store",
        },
    )


# --- Apple MDM Push certificate ------------------------------------------------------------


def _render_push_certificate(
    request: AuthenticatedHttpRequest,
    *,
    consent_form: ConsentForm | None = None,
    upload_form: PushCertificateUploadForm | None = None,
    error: str = "",
) -> HttpResponse:
    current = push_certificates.push_certificate_current()
    context = {
        "certificate": current,
        "consent_form": consent_form or ConsentForm(),
        "upload_form": upload_form
        or PushCertificateUploadForm(initial={"apple_id": current.apple_id if current else ""}),
        "csr_downloaded": bool(request.session.get(SESSION_PUSH_CSR)),
        "error": error,
        "max_upload_bytes": settings.ASM_MAX_UPLOAD_BYTES,
        # The pushes that failed recently (the mdm app pushes with this certificate).
        **blade_extra_context("tokens:push_certificate", certificate=current),
    }
    return render_blade(request, "tokens/push_certificate.html", context, blade="tokens:push_certificate")


@require_GET
def push_certificate(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _render_push_certificate(request)


@require_POST
@admin_required
def push_certificate_csr(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ConsentForm(request.POST)
    if not form.is_valid():
        return _render_push_certificate(request, consent_form=form)
    csr = push_certificates.push_certificate_request_create(actor=request.user)
    request.session[SESSION_PUSH_CSR] = True
    return _attachment(csr.csr_pem, "IntuneCSR.csr", "application/pkcs10")


@sensitive_post_parameters()
@require_POST
@admin_required
def push_certificate_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PushCertificateUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_push_certificate(request, upload_form=form)
    try:
        certificate = push_certificates.push_certificate_upload(
            actor=request.user,
            apple_id=form.cleaned_data["apple_id"],
            data=form.cleaned_data["certificate"].read(),
        )
    except UploadError as refusal:
        return _render_push_certificate(request, upload_form=form, error=str(refusal))
    request.session.pop(SESSION_PUSH_CSR, None)
    notification_send(
        user=request.user,
        title=texts.gettext("Apple MDM Push certificate uploaded"),
        body=texts.gettext(
            "Topic %(topic)s. It expires on %(date)s.",
            topic=certificate.topic,
            date=certificate.expires_at or texts.gettext("Not available"),
        ),
        level=Notification.Level.SUCCESS,
    )
    return redirect_to_blade(request, reverse("tokens:push_certificate"))


# --- Enrollment program tokens ---------------------------------------------------------------


@require_GET
def token_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    tokens = EnrollmentProgramToken.objects.all()
    page = Paginator(tokens, TOKENS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "summary": services.tokens_summary(),
        "push_certificate": push_certificates.push_certificate_active(),
        # « Devices without profiles », for this page's tokens (the devices app counts them).
        **blade_extra_context("tokens:list", tokens=list(page)),
    }
    return render_blade_or_fragment(request, "tokens/list.html", context, blade="tokens:list")


def _render_upload(
    request: AuthenticatedHttpRequest,
    form: TokenUploadForm,
    *,
    token: EnrollmentProgramToken | None,
    error: str = "",
    consent_form: ConsentForm | None = None,
) -> HttpResponse:
    flow = str(token.pk) if token else "add"
    context: dict[str, Any] = {
        "token": token,
        "form": form,
        "consent_form": consent_form or ConsentForm(),
        "error": error,
        "blocker": services.token_add_blocker() if token is None else services.token_renew_blocker(),
        "key_downloaded": bool(_session_key_ids(request, flow)),
        "max_upload_bytes": settings.ASM_MAX_UPLOAD_BYTES,
    }
    if token is None:
        return render_blade(request, "tokens/upload.html", context, blade="tokens:add")
    # A renewal sits under its token, whose URL the static blade tree cannot know.
    return render_blade(
        request, "tokens/upload.html", context, blade="tokens:detail", extra_crumbs=_crumbs(token)
    )


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
@admin_required
def token_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _render_upload(request, TokenUploadForm(), token=None)
    form = TokenUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_upload(request, form, token=None)
    try:
        token = services.token_upload(
            actor=request.user,
            apple_id=form.cleaned_data["apple_id"],
            data=form.cleaned_data["token"].read(),
            key_ids=_session_key_ids(request, "add"),
        )
    except UploadError as refusal:
        return _render_upload(request, form, token=None, error=str(refusal))
    _session_key_forget(request, "add")
    notification_send(
        user=request.user,
        title=texts.gettext("Token uploaded"),
        body=texts.gettext(
            "The enrollment program token “%(name)s” was added. Intune syncs its devices with Apple.",
            name=token.token_name,
        ),
        level=Notification.Level.SUCCESS,
    )
    return redirect_to_blade(request, reverse("tokens:detail", args=[token.pk]))


@require_POST
def token_public_key(request: AuthenticatedHttpRequest, pk: int | None = None) -> HttpResponse:
    """Step 1: download a new public key (.pem) for this add-token or renew-token request."""
    token = token_get_for_user(user=request.user, pk=pk) if pk is not None else None
    require_change_permission(request.user)  # after the lookup (roles.admin_required)
    form = ConsentForm(request.POST)
    blocker = services.token_add_blocker() if token is None else services.token_renew_blocker()
    if blocker or not form.is_valid():
        return _render_upload(request, TokenUploadForm(), token=token, consent_form=form)
    key = services.token_public_key_create(actor=request.user, token=token, data_sharing_consent=True)
    _session_key_remember(request, str(pk) if token else "add", key.pk)
    return _attachment(key.certificate_pem, "IntunePublicKey.pem", "application/x-pem-file")


@require_GET
def token_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = token_get_for_user(user=request.user, pk=pk)
    context = {
        "token": token,
        "status": token.status,
        "apple_error": apple_errors.apple_error_message(token.last_sync_error_code)
        if token.last_sync_error_code
        else "",
        "deletion_blockers": services.token_deletion_blockers(token=token),
        "token_menu": navigation.menu(navigation.TOKEN_MENU),
        # The default profile and the Status tile's device counts, from the apps that own them.
        **blade_extra_context("tokens:detail", token=token),
    }
    return render_blade(request, "tokens/detail.html", context, blade="tokens:detail")


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def token_renew(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = token_get_for_user(user=request.user, pk=pk)
    require_change_permission(request.user)  # after the lookup (roles.admin_required)
    if request.method != "POST":
        return _render_upload(request, TokenUploadForm(initial={"apple_id": token.apple_id}), token=token)
    form = TokenUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_upload(request, form, token=token)
    try:
        services.token_renew(
            actor=request.user,
            token=token,
            apple_id=form.cleaned_data["apple_id"],
            data=form.cleaned_data["token"].read(),
            key_ids=_session_key_ids(request, str(token.pk)),
        )
    except UploadError as refusal:
        return _render_upload(request, form, token=token, error=str(refusal))
    _session_key_forget(request, str(token.pk))
    notification_send(
        user=request.user,
        title=texts.gettext("Renew successful"),
        body=texts.gettext("Token “%(name)s” renewed successfully.", name=token.token_name),
        level=Notification.Level.SUCCESS,
    )
    return redirect_to_blade(request, reverse("tokens:detail", args=[token.pk]))


@require_http_methods(["GET", "POST"])
def token_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = token_get_for_user(user=request.user, pk=pk)
    require_change_permission(request.user)  # after the lookup (roles.admin_required)
    reasons = services.token_deletion_blockers(token=token)
    if request.method == "POST" and not reasons:
        try:
            services.token_delete(actor=request.user, token=token)
        except TokenDeletionError as refusal:
            reasons = refusal.reasons
        else:
            notification_send(
                user=request.user,
                title=texts.gettext("Token deleted"),
                body=texts.gettext(
                    "The enrollment program token “%(name)s” was deleted.", name=token.token_name
                ),
                level=Notification.Level.SUCCESS,
            )
            return redirect_to_blade(request, reverse("tokens:list"))
    context = {
        "token": token,
        "deletion_blockers": reasons,
    }
    return render_blade(
        request, "tokens/delete.html", context, blade="tokens:detail", extra_crumbs=_crumbs(token)
    )
