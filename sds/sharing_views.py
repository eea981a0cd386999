"""A token's School Data Sync blade: « Allow Microsoft School Data Sync to use this token ».

It sits under the token (its URL and breadcrumb are the token's) but School Data Sync owns it:
the tokens app shows a link to it by URL name only.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from asm_portal import navigation, texts
from asm_portal.blades import redirect_to_blade, render_blade
from asm_portal.http import AuthenticatedHttpRequest
from asm_portal.models import Notification
from asm_portal.roles import require_change_permission
from asm_portal.services import notification_send
from sds import sharing
from sds.sharing_forms import SdsSharingForm
from tokens.models import EnrollmentProgramToken
from tokens.selectors import token_get_for_user


def _asm_token_get_for_user(request: AuthenticatedHttpRequest, pk: int) -> EnrollmentProgramToken:
    """Only Apple School Manager tokens offer School Data Sync; for the others it does not exist."""
    token = token_get_for_user(user=request.user, pk=pk)
    if not token.is_apple_school_manager:
        raise Http404
    return token


def _render_sharing(
    request: AuthenticatedHttpRequest,
    token: EnrollmentProgramToken,
    form: SdsSharingForm,
    *,
    conflict: EnrollmentProgramToken | None = None,
) -> HttpResponse:
    shared = sharing.token_sds_shared()
    context = {
        "token": token,
        "form": form,
        "other_shared": shared if shared is not None and shared.pk != token.pk else None,
        "conflict": conflict,
        "token_menu": navigation.menu(navigation.TOKEN_MENU),
        "token_menu_selected": "sds:token_sharing",
    }
    return render_blade(
        request,
        "sds/token_sharing.html",
        context,
        blade="sds:token_sharing",
        # The blade sits under its token, whose URL the static blade tree cannot know.
        extra_crumbs=[navigation.Crumb(token.token_name, reverse("tokens:detail", args=[token.pk]))],
    )


@require_GET
def token_sharing(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """« Allow Microsoft School Data Sync to use this token »: Allow / Block, then OK."""
    token = _asm_token_get_for_user(request, pk)
    initial = SdsSharingForm.ALLOW if token.shared_with_sds else SdsSharingForm.BLOCK
    return _render_sharing(request, token, SdsSharingForm(initial={"sharing": initial}))


@require_POST
def token_sharing_save(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = _asm_token_get_for_user(request, pk)
    require_change_permission(request.user)  # after the lookup (roles.admin_required)
    form = SdsSharingForm(request.POST)
    if not form.is_valid():
        return _render_sharing(request, token, form)
    if form.cleaned_data["sharing"] == SdsSharingForm.ALLOW:
        try:
            replaced = sharing.token_sds_share(
                actor=request.user, token=token, replace=form.cleaned_data["replace"]
            )
        except sharing.SdsShareConflict as conflict:
            return _render_sharing(request, token, form, conflict=conflict.current)
        except sharing.SdsShareError as refusal:
            refusal.add_to_form(form)
            return _render_sharing(request, token, form)
        body = texts.gettext(
            "Microsoft School Data Sync can use the token “%(name)s”: accepted rosters are synced to Apple School Manager.",
            name=token.token_name,
        )
        if replaced is not None:
            body += texts.gettext("It no longer uses the token “%(name)s”.", name=replaced.token_name)
        notification_send(
            user=request.user,
            title=texts.gettext("School Data Sync allowed"),
            body=body,
            level=Notification.Level.SUCCESS,
        )
    elif sharing.token_sds_unshare(actor=request.user, token=token):
        notification_send(
            user=request.user,
            title=texts.gettext("School Data Sync blocked"),
            body=texts.gettext(
                "Rosters are no longer synced to Apple School Manager with the token “%(name)s”. Nothing "
                "already in Apple School Manager was deleted.",
                name=token.token_name,
            ),
            level=Notification.Level.SUCCESS,
        )
    return redirect_to_blade(request, reverse("tokens:detail", args=[token.pk]))
