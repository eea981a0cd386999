"""The Sync blade of a token: Request sync, its progress, and the choice of a token."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from asm_portal import clock, texts
from asm_portal.blades import redirect_to_blade, render_blade, render_fragment
from asm_portal.http import AuthenticatedHttpRequest
from asm_portal.models import Notification
from asm_portal.roles import require_change_permission
from asm_portal.services import notification_send
from devices.models import SyncRun, TokenSyncState
from devices.sync_requests import sync_request
from devices.sync_rules import (
    SyncRefused,
    sync_availability,
    sync_error_message,
    sync_kind,
    sync_warning_message,
)
from devices.view_helpers import token_crumbs
from tokens.models import EnrollmentProgramToken
from tokens.selectors import token_get_for_user

SYNC_RUNS_SHOWN = 10


# --- Sync ---------------------------------------------------------------------------------------


def _sync_context(token: EnrollmentProgramToken) -> dict[str, Any]:
    runs = list(SyncRun.objects.filter(token=token).select_related("requested_by")[:SYNC_RUNS_SHOWN])
    latest = runs[0] if runs else None
    availability = sync_availability(token=token)
    state = TokenSyncState.objects.filter(token=token).first() or TokenSyncState(token=token)
    return {
        "token": token,
        "runs": runs,
        "latest": latest,
        "availability": availability,
        "sync_state": state,
        "next_kind": SyncRun.Kind(sync_kind(state=state, trigger=SyncRun.Trigger.MANUAL, now=clock.now())),
        "latest_error": sync_error_message(latest.error_code) if latest and latest.error_code else "",
        "latest_warning": sync_warning_message(latest.warning_code) if latest and latest.warning_code else "",
        # While a run is in progress the panel polls every 2 s; during the rest of the request
        # window it refreshes the progress bar every 15 s; otherwise it does not poll.
        "poll": "every 2s"
        if latest and latest.is_active
        else ("every 15s" if not availability.allowed else ""),
    }


def _render_sync(
    request: AuthenticatedHttpRequest, token: EnrollmentProgramToken, error: str = ""
) -> HttpResponse:
    context = {**_sync_context(token), "error": error}
    if request.htmx and request.method == "POST":
        return render_fragment(request, "devices/sync.html#panel", context)
    return render_blade(
        request,
        "devices/sync.html",
        context,
        blade="devices:sync",
        extra_crumbs=token_crumbs(token, devices=True),
    )


@require_GET
def token_sync(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    """The Sync blade: Last requested sync, Last successful sync, Request sync, the progress bar."""
    return _render_sync(request, token_get_for_user(user=request.user, pk=token_id))


@require_POST
def token_sync_request(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    """Request sync. The service refuses inside the rules' windows and says how long to wait."""
    token = token_get_for_user(user=request.user, pk=token_id)
    require_change_permission(request.user)  # after the lookup (roles.admin_required)
    try:
        run = sync_request(actor=request.user, token=token)
    except SyncRefused as refused:
        return _render_sync(request, token, str(refused))
    notification_send(
        user=request.user,
        title=texts.gettext("Sync requested"),
        body=texts.gettext(
            "Intune is syncing the devices of “%(name)s” with Apple (%(kind)s).",
            name=token.token_name,
            kind=SyncRun.Kind(run.kind).label,
        ),
        level=Notification.Level.INFO,
    )
    if request.htmx:
        # Read again: a sync run inline (eager Celery) may already have finished.
        return _render_sync(request, token_get_for_user(user=request.user, pk=token.pk))
    return redirect(reverse("devices:sync", args=[token.pk]))


@require_GET
def token_sync_status(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    """The Sync panel alone, for htmx polling (and the toast when the run ends, out of band)."""
    token = token_get_for_user(user=request.user, pk=token_id)
    return render_fragment(request, "devices/sync.html#panel", _sync_context(token))


@require_GET
def sync_choose(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Sync from « Enrollment program devices »: the Sync blade of the token (or a choice)."""
    tokens = list(EnrollmentProgramToken.objects.all().order_by("token_name"))
    if len(tokens) == 1:
        url = reverse("devices:sync", args=[tokens[0].pk])
        if request.htmx:
            return redirect_to_blade(request, url)
        return redirect(url)
    return render_blade(request, "devices/sync_choose.html", {"tokens": tokens}, blade="devices:sync_choose")
