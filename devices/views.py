"""The devices grid (across tokens and per token), its Export and Delete; a device's page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from asm_portal import clock, navigation, texts
from asm_portal.blades import (
    blade_extra_context,
    redirect_to_blade,
    render_blade,
    render_blade_or_fragment,
    render_pane,
)
from asm_portal.csv_export import csv_stream
from asm_portal.http import AuthenticatedHttpRequest, safe_next
from asm_portal.ids import parse_id
from asm_portal.models import Notification
from asm_portal.navigation import Crumb
from asm_portal.roles import admin_required
from asm_portal.services import (
    notification_send,
    preference_hidden_columns,
    preference_set_hidden_columns,
)
from devices import enrollment_labels, selectors
from devices.deletion import devices_delete
from devices.distribute import distribute_url
from devices.models import Device, EnrollmentState, ProfileStatus, SyncRun
from devices.selection import DeviceActionRefused
from devices.view_helpers import DEVICES_PAGE_SIZE, selected_devices
from devices.view_helpers import token_crumbs as _token_crumbs
from profiles.models import EnrollmentProfile
from tokens.apple_errors import apple_error_message
from tokens.models import EnrollmentProgramToken, token_secrets_via
from tokens.selectors import token_get_for_user

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
    # A date: not « Assigned profile » twice in French (« Profil affecté »).
    ("profile_assigned", gettext_lazy("Profile assigned on")),
    ("last_contacted", gettext_lazy("Last contacted")),
    ("device_name", gettext_lazy("Device name")),
    ("user", gettext_lazy("User")),
)


# --- The devices grid (across tokens, and per token) ------------------------------------------


def _columns(token: EnrollmentProgramToken | None) -> list[tuple[str, Any]]:
    return [*COLUMNS, ("token", gettext_lazy("Token"))] if token is None else list(COLUMNS)


@require_http_methods(["GET", "POST"])
def device_columns(request: AuthenticatedHttpRequest) -> HttpResponse:
    """« Columns »: the columns of the devices grid this user sees, remembered for them (the
    serial number always shows). Returns to the grid it was opened from."""
    back = safe_next(
        request, request.POST.get("next") or request.GET.get("next"), fallback=reverse("devices:list")
    )
    choices = [(key, label) for key, label in _columns(None) if key != "serial"]
    if request.method == "POST":
        shown = set(request.POST.getlist("column"))
        hidden = [key for key, _label in choices if key not in shown]
        preference_set_hidden_columns(user=request.user, grid="devices", hidden=hidden)
        return redirect_to_blade(request, back)
    hidden_now = preference_hidden_columns(user=request.user, grid="devices")
    context = {"choices": choices, "hidden": hidden_now, "next": back}
    return render_pane(request, "devices/columns.html", context, blade="devices:columns")


def _grid_context(request: AuthenticatedHttpRequest, token: EnrollmentProgramToken | None) -> dict[str, Any]:
    filters = selectors.DeviceFilters.from_query(request.GET)
    page = selectors.devices_page(
        filters=filters, token=token, page=request.GET.get("page"), size=DEVICES_PAGE_SIZE
    )
    profiles = EnrollmentProfile.objects.select_related("token").only("pk", "name", "token__token_name")
    if token is not None:
        profiles = profiles.filter(token=token)
    hidden = preference_hidden_columns(user=request.user, grid="devices")
    columns = [(key, label) for key, label in _columns(token) if key not in hidden]
    grid_url = reverse("devices:token_devices", args=[token.pk]) if token else reverse("devices:list")
    params = request.GET.copy()
    params.pop("fragment", None)
    export_params = params.copy()
    export_params.pop("page", None)
    if token is not None:
        export_params["token"] = str(token.pk)
    return {
        "page": page,
        **blade_extra_context("devices:grid", devices=page.object_list),
        "filters": filters,
        "columns": columns,
        "shown": {key for key, _label in columns},
        "profile_choices": profiles.order_by("token__token_name", "name"),
        "status_choices": ProfileStatus.choices,
        "state_choices": EnrollmentState.choices,
        "grid_url": grid_url,
        # This very view without the fragment parameter: where Refresh and a deletion lead back.
        "here": (here := f"{grid_url}?{params.urlencode()}" if params else grid_url),
        "columns_url": f"{reverse('devices:columns')}?{urlencode({'next': here})}",
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
    return render_blade_or_fragment(
        request, "devices/list.html", context, blade="devices:list", partial="devices/_grid.html"
    )


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
    return render_blade_or_fragment(
        request,
        "devices/token_devices.html",
        context,
        blade="devices:token_devices",
        extra_crumbs=_token_crumbs(token),
        partial="devices/_grid.html",
    )


@require_GET
def device_export(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    """Export: the filtered list as CSV, streamed (200,000 rows need no memory)."""
    token_id = parse_id(request.GET.get("token", ""))
    token = token_get_for_user(user=request.user, pk=token_id) if token_id is not None else None
    filters = selectors.DeviceFilters.from_query(request.GET)
    devices = selectors.devices_filtered(filters=filters, token=token)
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    return StreamingHttpResponse(
        csv_stream(selectors.devices_export_rows(devices)),
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": content_disposition_header(
                as_attachment=True, filename=f"EnrollmentProgramDevices_{stamp}.csv"
            )
        },
    )


@require_http_methods(["GET", "POST"])
@admin_required
def device_delete(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Delete, with the article's warning: Apple still assigns them, the next full sync brings
    them back. Without JavaScript, a confirmation page stands in for the dialog."""
    devices = selected_devices(request)
    back = safe_next(
        request, request.POST.get("next") or request.GET.get("next"), fallback=reverse("devices:list")
    )
    error = ""
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            count = devices_delete(actor=request.user, device_ids=[d.pk for d in devices])
        except DeviceActionRefused as refused:
            error = str(refused)
        else:
            notification_send(
                user=request.user,
                title=texts.gettext("Devices deleted"),
                body=texts.ngettext(
                    "%(count)d device was deleted.", "%(count)d devices were deleted.", "count", count=count
                ),
                level=Notification.Level.SUCCESS,
            )
            return redirect_to_blade(request, back)
    elif not devices:
        error = _("Select at least one device.")
    context = {"devices": devices, "next": back, "error": error}
    return render_blade(request, "devices/delete.html", context, blade="devices:delete")


# --- A device ---------------------------------------------------------------------------------


@require_GET
def device_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One enrollment program device: its state, user, name, contacts and why enrollment failed."""
    device = get_object_or_404(
        Device.objects.select_related("assigned_profile", "enrolled_profile", "token").defer(
            *token_secrets_via("token")
        ),
        pk=pk,
    )
    labels = enrollment_labels.configuration_labels()
    context = {
        "device": device,
        "error_message": enrollment_labels.error_messages().get(
            device.enrollment_error, device.enrollment_error
        ),
        "configuration": [labels.get(key, key) for key in device.configuration or []],
        "apps": list(device.app_installs.all()),
        "distribute_url": distribute_url(device.serial_number),
        **blade_extra_context("devices:detail", device=device),
    }
    crumbs = [*_token_crumbs(device.token, devices=True), Crumb(device.serial_number, request.path)]
    return render_blade(request, "devices/detail.html", context, blade="devices:detail", extra_crumbs=crumbs)
