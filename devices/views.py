from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from asm_portal import clock, navigation
from asm_portal.blades import redirect_to_blade, render_blade, render_fragment, render_pane
from asm_portal.http import AuthenticatedHttpRequest
from asm_portal.models import Notification
from asm_portal.navigation import Crumb
from asm_portal.roles import admin_required
from asm_portal.services import notification_send
from devices import enrollment, selectors
from devices.assignment import profile_assign as assignment_request
from devices.deletion import devices_delete
from devices.models import (
    Device,
    DirectoryUser,
    EnrollmentState,
    ProfileAssignment,
    ProfileStatus,
    SyncRun,
    TokenSyncState,
)
from devices.selection import MAX_SELECTION, DeviceActionRefused, selected_ids
from devices.sync_requests import sync_request
from devices.sync_rules import (
    SyncRefused,
    sync_availability,
    sync_error_message,
    sync_kind,
    sync_warning_message,
)
from profiles.models import EnrollmentProfile
from tokens.models import EnrollmentProgramToken
from tokens.selectors import token_get_for_user
from tokens.services import apple_error_message

DEVICES_PAGE_SIZE = 50
# The Assign blade lists up to 1,000 devices: its header checkbox selects them all (the article).
ASSIGN_PAGE_SIZE = MAX_SELECTION
SYNC_RUNS_SHOWN = 10

# The grid's columns: (sort key, label); the token column only across tokens.
COLUMNS = (
    ("serial", gettext_lazy("Serial number")),
    ("details", gettext_lazy("Details")),
    ("model", gettext_lazy("Model")),
    ("color", gettext_lazy("Color")),
    ("asset_tag", gettext_lazy("Asset tag")),
    ("os", gettext_lazy("OS")),
    ("state", gettext_lazy("State")),
    ("profile_status", gettext_lazy("Profile status")),
    ("profile", gettext_lazy("Assigned profile")),
    ("profile_assigned", gettext_lazy("Profile assigned")),
    ("last_contacted", gettext_lazy("Last contacted")),
    ("device_name", gettext_lazy("Device name")),
    ("user", gettext_lazy("User")),
)


def _get_profile_for_user(request: AuthenticatedHttpRequest, profile_id: int) -> EnrollmentProfile:
    return get_object_or_404(
        EnrollmentProfile.objects.select_related("token").defer(
            *(f"token__{name}" for name in EnrollmentProgramToken.SECRET_FIELDS)
        ),
        pk=profile_id,
    )


def _get_assignment_for_user(request: AuthenticatedHttpRequest, pk: int) -> ProfileAssignment:
    return get_object_or_404(ProfileAssignment.objects.select_related("profile__token"), pk=pk)


def _token_crumbs(token: EnrollmentProgramToken, *, devices: bool = False) -> list[Crumb]:
    crumbs = [Crumb(token.token_name, reverse("tokens:detail", args=[token.pk]))]
    if devices:
        crumbs.append(Crumb(_("Devices"), reverse("devices:token_devices", args=[token.pk])))
    return crumbs


def _profile_crumbs(profile: EnrollmentProfile, *, assignments: bool = False) -> list[Crumb]:
    token = profile.token
    crumbs = [
        Crumb(token.token_name, reverse("tokens:detail", args=[token.pk])),
        Crumb(_("Profiles"), reverse("profiles:token_profiles", args=[token.pk])),
        Crumb(profile.name, reverse("profiles:detail", args=[profile.pk])),
    ]
    if assignments:
        crumbs.append(
            Crumb(_("Device assignments"), reverse("devices:profile_assignments", args=[profile.pk]))
        )
    return crumbs


def _render(
    request: AuthenticatedHttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    blade: str,
    crumbs: list[Crumb] | None = None,
    fragment: str = "grid",
    partial: str = "",
) -> HttpResponse:
    """The blade, or only its swappable part for htmx when asked with `fragment=<name>`."""
    if request.htmx and request.GET.get("fragment") == fragment:
        return render_fragment(request, partial or f"{template}#{fragment}", context)
    return render_blade(request, template, context, blade=blade, extra_crumbs=crumbs)


# --- The devices grid (across tokens, and per token) ------------------------------------------


def _grid_context(request: AuthenticatedHttpRequest, token: EnrollmentProgramToken | None) -> dict[str, Any]:
    filters = selectors.DeviceFilters.from_query(request.GET)
    devices = selectors.devices_filtered(filters=filters, token=token)
    page = selectors.devices_page(devices, filters, page=request.GET.get("page"), size=DEVICES_PAGE_SIZE)
    profiles = EnrollmentProfile.objects.select_related("token").only("pk", "name", "token__token_name")
    if token is not None:
        profiles = profiles.filter(token=token)
    columns = [*COLUMNS, ("token", _("Token"))] if token is None else list(COLUMNS)
    grid_url = reverse("devices:token_devices", args=[token.pk]) if token else reverse("devices:list")
    params = request.GET.copy()
    params.pop("fragment", None)
    export_params = params.copy()
    export_params.pop("page", None)
    if token is not None:
        export_params["token"] = str(token.pk)
    return {
        "page": page,
        "filters": filters,
        "columns": columns,
        "profile_choices": profiles.order_by("token__token_name", "name"),
        "status_choices": ProfileStatus.choices,
        "state_choices": EnrollmentState.choices,
        "grid_url": grid_url,
        # This very view without the fragment parameter: where Refresh and a deletion lead back.
        "here": f"{grid_url}?{params.urlencode()}" if params else grid_url,
        "export_url": reverse("devices:export"),
        "export_query": f"?{export_params.urlencode()}" if export_params else "",
        "fragment": bool(request.htmx) and request.GET.get("fragment") == "grid",
        "token": token,
        "across_tokens": token is None,
        "apple_public_url": settings.APPLE_PUBLIC_URL,
    }


@require_GET
def device_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """« Appareils du programme d'inscription »: every token's devices."""
    context = _grid_context(request, None)
    context["tokens"] = list(EnrollmentProgramToken.objects.all().order_by("token_name")[:2])
    return _render(request, "devices/list.html", context, blade="devices:list", partial="devices/_grid.html")


@require_GET
def token_devices(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    """A token's Devices blade (Manage › Devices)."""
    token = token_get_for_user(user=request.user, pk=token_id)
    context = _grid_context(request, token)
    context.update(
        {
            "token_menu": navigation.menu(navigation.TOKEN_MENU),
            "token_menu_selected": "devices:token_devices",
            "apple_error": apple_error_message(token.last_sync_error_code)
            if token.last_sync_error_code
            else "",
            "running": SyncRun.objects.filter(token=token, state__in=SyncRun.ACTIVE_STATES).first(),
        }
    )
    return _render(
        request,
        "devices/token_devices.html",
        context,
        blade="devices:token_devices",
        crumbs=_token_crumbs(token),
        partial="devices/_grid.html",
    )


def _csv_lines(rows: Iterator[list[str]]) -> Iterator[str]:
    class Line:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Line())
    yield "\ufeff"  # Excel reads UTF-8 with a byte-order mark
    for row in rows:
        yield writer.writerow(row)


@require_GET
def device_export(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    """Export: the filtered list as CSV, streamed (200,000 rows need no memory)."""
    token_id = request.GET.get("token", "")
    token = token_get_for_user(user=request.user, pk=int(token_id)) if token_id.isdigit() else None
    filters = selectors.DeviceFilters.from_query(request.GET)
    devices = selectors.devices_filtered(filters=filters, token=token)
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    return StreamingHttpResponse(
        _csv_lines(selectors.devices_export_rows(devices)),
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": content_disposition_header(
                as_attachment=True, filename=f"EnrollmentProgramDevices_{stamp}.csv"
            )
        },
    )


def _selection(request: AuthenticatedHttpRequest) -> list[Device]:
    ids = selected_ids(request.POST.getlist("device") or request.GET.getlist("device"))
    return list(
        Device.objects.filter(pk__in=ids[:MAX_SELECTION])
        .select_related("token")
        .only("pk", "serial_number", "token_id", "token__token_name")
        .order_by("serial_number")
    )


@require_http_methods(["GET", "POST"])
@admin_required
def device_delete(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Delete, with the article's warning: Apple still assigns them, the next full sync brings
    them back. Without JavaScript, a confirmation page stands in for the dialog."""
    devices = _selection(request)
    back = request.POST.get("next") or request.GET.get("next") or reverse("devices:list")
    if not back.startswith("/"):
        back = reverse("devices:list")
    error = ""
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            count = devices_delete(actor=request.user, device_ids=[d.pk for d in devices])
        except DeviceActionRefused as refused:
            error = str(refused)
        else:
            notification_send(
                user=request.user,
                title=_("Devices deleted"),
                body=ngettext("%(count)d device was deleted.", "%(count)d devices were deleted.", count)
                % {"count": count},
                level=Notification.Level.SUCCESS,
            )
            return redirect_to_blade(request, back)
    elif not devices:
        error = _("Select at least one device.")
    context = {"devices": devices, "next": back, "error": error}
    return render_blade(request, "devices/delete.html", context, blade="devices:delete")


@require_http_methods(["GET", "POST"])
@admin_required
def device_assign(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Assign profile, from the devices grid: the selected devices, a profile of their token."""
    devices = _selection(request)
    token_ids = {device.token_id for device in devices}
    error = ""
    if not devices:
        error = _("Select at least one device.")
    elif len(token_ids) > 1:
        error = _(
            "The selected devices belong to several tokens. A profile belongs to one token: select devices of one token."
        )
    profiles = (
        EnrollmentProfile.objects.filter(token_id__in=token_ids).order_by("name")
        if len(token_ids) == 1
        else []
    )
    if request.method == "POST" and not error:
        profile = next((p for p in profiles if str(p.pk) == request.POST.get("profile")), None)
        if profile is None:
            error = _("Choose a profile.")
        else:
            try:
                assignment = assignment_request(
                    actor=request.user,
                    profile=profile,
                    serials=[device.serial_number for device in devices],
                    source=ProfileAssignment.Source.DEVICES,
                )
            except DeviceActionRefused as refused:
                error = str(refused)
            else:
                _notify_assignment_started(request, assignment)
                return redirect_to_blade(request, reverse("devices:assignment", args=[assignment.pk]))
    context = {"devices": devices, "profiles": profiles, "error": error}
    return render_pane(request, "devices/assign.html", context, blade="devices:assign")


def _notify_assignment_started(request: AuthenticatedHttpRequest, assignment: ProfileAssignment) -> None:
    notification_send(
        user=request.user,
        title=_("Assigning profile"),
        body=ngettext(
            "Intune is assigning “%(profile)s” to %(count)d device.",
            "Intune is assigning “%(profile)s” to %(count)d devices.",
            assignment.device_count,
        )
        % {"profile": assignment.profile.name, "count": assignment.device_count},
        level=Notification.Level.INFO,
        link=reverse("devices:assignment", args=[assignment.pk]),
    )


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
        extra_crumbs=_token_crumbs(token, devices=True),
    )


@require_GET
def token_sync(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    """The Sync blade: Last requested sync, Last successful sync, Request sync, the progress bar."""
    return _render_sync(request, token_get_for_user(user=request.user, pk=token_id))


@require_POST
@admin_required
def token_sync_request(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    """Request sync. The service refuses inside the rules' windows and says how long to wait."""
    token = token_get_for_user(user=request.user, pk=token_id)
    try:
        run = sync_request(actor=request.user, token=token)
    except SyncRefused as refused:
        return _render_sync(request, token, str(refused))
    notification_send(
        user=request.user,
        title=_("Sync requested"),
        body=_("Intune is syncing the devices of “%(name)s” with Apple (%(kind)s).")
        % {"name": token.token_name, "kind": run.get_kind_display()},
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


# --- Assignment from a profile -----------------------------------------------------------------


@require_GET
def profile_assignments(request: AuthenticatedHttpRequest, profile_id: int) -> HttpResponse:
    """A profile's Device assignments: its devices, and Assign."""
    profile = _get_profile_for_user(request, profile_id)
    filters = selectors.DeviceFilters.from_query(request.GET).with_profile(str(profile.pk))
    devices = selectors.devices_filtered(filters=filters, token=profile.token)
    page = selectors.devices_page(devices, filters, page=request.GET.get("page"), size=DEVICES_PAGE_SIZE)
    context = {
        "profile": profile,
        "token": profile.token,
        "page": page,
        "filters": filters,
        "assignments": ProfileAssignment.objects.filter(profile=profile)[:5],
        "grid_url": reverse("devices:profile_assignments", args=[profile.pk]),
    }
    return _render(
        request,
        "devices/profile_assignments.html",
        context,
        blade="devices:profile_assignments",
        crumbs=_profile_crumbs(profile),
    )


ASSIGN_FILTERS = ("unassigned", "any")


@require_http_methods(["GET", "POST"])
@admin_required
def profile_assign(request: AuthenticatedHttpRequest, profile_id: int) -> HttpResponse:
    """Device assignments › Assign: the list filtered unassigned / any / <profile name>, up to
    1,000 devices selectable at once (the header checkbox), then Assign."""
    profile = _get_profile_for_user(request, profile_id)
    show = request.GET.get("show", "unassigned")
    error = ""
    if request.method == "POST":
        try:
            assignment = assignment_request(
                actor=request.user, profile=profile, serials=request.POST.getlist("serial")
            )
        except DeviceActionRefused as refused:
            error = str(refused)
        else:
            _notify_assignment_started(request, assignment)
            return redirect_to_blade(request, reverse("devices:assignment", args=[assignment.pk]))
    shown = show if show in ASSIGN_FILTERS or show.isdigit() else "unassigned"
    filters = selectors.DeviceFilters.from_query(request.GET).with_profile(
        {"unassigned": selectors.UNASSIGNED, "any": ""}.get(shown, shown)
    )
    devices = selectors.devices_filtered(filters=filters, token=profile.token).filter(removed_by_apple=False)
    page = selectors.devices_page(devices, filters, page=request.GET.get("page"), size=ASSIGN_PAGE_SIZE)
    context = {
        "profile": profile,
        "token": profile.token,
        "page": page,
        "filters": filters,
        "show": shown,
        "other_profiles": EnrollmentProfile.objects.filter(token=profile.token).order_by("name"),
        "error": error,
        "max_selection": MAX_SELECTION,
        "grid_url": reverse("devices:profile_assign", args=[profile.pk]),
    }
    return _render(
        request,
        "devices/profile_assign.html",
        context,
        blade="devices:profile_assign",
        crumbs=_profile_crumbs(profile, assignments=True),
    )


@require_GET
def assignment_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The result of an assignment: Apple's answer per serial number; polls while it runs."""
    assignment = _get_assignment_for_user(request, pk)
    problems = assignment.items.exclude(status__in=["SUCCESS", ""]).order_by("serial_number")[:200]
    context = {
        "assignment": assignment,
        "profile": assignment.profile,
        "token": assignment.profile.token,
        "problems": problems,
        "now": clock.now(),
    }
    return _render(
        request,
        "devices/assignment.html",
        context,
        blade="devices:assignment",
        crumbs=_profile_crumbs(assignment.profile, assignments=True),
        fragment="status",
    )


# --- A device, and the directory's users ------------------------------------------------------


def distribute_url(device: Device) -> str:
    """The virtual device on the mock Apple side, where it can be powered on (Distribute)."""
    return f"{settings.APPLE_PUBLIC_URL}/ipad/{device.serial_number}/"


@require_GET
def device_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One enrollment program device: its state, user, name, contacts and why enrollment failed."""
    device = get_object_or_404(
        Device.objects.select_related("assigned_profile", "enrolled_profile", "token").defer(
            *(f"token__{name}" for name in EnrollmentProgramToken.SECRET_FIELDS)
        ),
        pk=pk,
    )
    labels = enrollment.configuration_labels()
    context = {
        "device": device,
        "device_user": DirectoryUser.objects.filter(upn__iexact=device.enrolled_user_name).first()
        if device.enrolled_user_name
        else None,
        "error_message": enrollment.error_messages().get(device.enrollment_error, device.enrollment_error),
        "configuration": [labels.get(key, key) for key in device.configuration or []],
        "apps": list(device.app_installs.all()),
        "distribute_url": distribute_url(device),
    }
    crumbs = [*_token_crumbs(device.token, devices=True), Crumb(device.serial_number, request.path)]
    return render_blade(request, "devices/detail.html", context, blade="devices:detail", extra_crumbs=crumbs)


@require_GET
def directory_users(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Users (Microsoft Entra ID), read only: who can sign in on the devices."""
    users = DirectoryUser.objects.all()
    query = request.GET.get("q", "").strip()[:100]
    if query:
        users = users.filter(Q(upn__icontains=query) | Q(display_name__icontains=query))
    return render_blade(
        request, "devices/directory_users.html", {"users": users[:500], "q": query}, blade="directory_users"
    )
