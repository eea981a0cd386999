"""Intune's managed-device blades: Devices › All devices and iOS/iPadOS, a device's blade
(Overview with its action bar, Hardware, Discovered apps, Device configuration, Users), the
remote actions, bulk device actions and Monitor › Device actions."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, QueryDict, StreamingHttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from asm_portal import clock, navigation, texts
from asm_portal.blades import redirect_to_blade, render_blade, render_blade_or_fragment
from asm_portal.csv_export import csv_stream
from asm_portal.http import AuthenticatedHttpRequest
from asm_portal.models import Notification
from asm_portal.roles import admin_required, require_change_permission
from asm_portal.services import notification_send
from mdm import bulk_wizard, selectors
from mdm.bulk_wizard import BulkWizard
from mdm.device_actions import (
    ACTIONS,
    BULK_MAX,
    SOUND_DURATIONS,
    DeviceActionRefused,
    action_kind,
    actions_available,
    device_action_request,
    device_actions_bulk_request,
)
from mdm.models import DeviceActionState, ManagedDevice, ManagementState
from mdm.navigation import DEVICE_MENU, DEVICES_MENU

PAGE_SIZE = 50
# Intune's action bar on an iOS/iPadOS device's Overview, in its order.
ACTION_ORDER = (
    "retire",
    "wipe",
    "delete",
    "remote_lock",
    "sync",
    "reset_passcode",
    "restart",
    "shutdown",
    "lost_mode_enable",
    "lost_mode_disable",
    "locate",
    "play_sound",
    "rename",
    "activation_lock_bypass",
    "logout_user",
)
# Intune's list columns: (sort key or "", label).
COLUMNS = (
    ("name", gettext_lazy("Device name")),
    ("", gettext_lazy("Managed by")),
    ("", gettext_lazy("Ownership")),
    ("", gettext_lazy("Compliance")),
    ("", gettext_lazy("OS")),
    ("os_version", gettext_lazy("OS version")),
    ("user", gettext_lazy("Primary user UPN")),
    ("checkin", gettext_lazy("Last check-in")),
    ("serial", gettext_lazy("Serial number")),
    ("model", gettext_lazy("Model")),
)


def _columns() -> list[tuple[str, str]]:
    return [(key, str(label)) for key, label in COLUMNS]


# --- The list ---------------------------------------------------------------------------------


def _list_context(request: AuthenticatedHttpRequest, blade: str) -> dict[str, Any]:
    filters = selectors.ManagedDeviceFilters.from_query(request.GET)
    devices = selectors.managed_devices_filtered(filters=filters)
    page = selectors.managed_devices_page(
        devices,
        filters,
        page=request.GET.get("page"),
        size=PAGE_SIZE,
        after=request.GET.get("after", "")[:300],
        before=request.GET.get("before", "")[:300],
    )
    grid_url = reverse(blade)
    params = request.GET.copy()
    params.pop("fragment", None)
    export_params = params.copy()
    for key in ("page", "after", "before"):
        export_params.pop(key, None)
    return {
        "page": page,
        "rows": [(device, selectors.operating_system(device)) for device in page.object_list],
        "filters": filters,
        "columns": _columns(),
        "state_choices": [(s.value, s.label) for s in selectors.LISTED_STATES],
        "grid_url": grid_url,
        "here": f"{grid_url}?{params.urlencode()}" if params else grid_url,
        "pages": _pager_links(grid_url, params, page),
        "export_url": reverse("mdm:export") + (f"?{export_params.urlencode()}" if export_params else ""),
        "bulk_actions": [a for a in ACTIONS.values() if a.bulk],
        "bulk_max": BULK_MAX,
        "devices_menu": navigation.menu(DEVICES_MENU),
        "ios": blade == "mdm:ios_devices",
        "fragment": bool(request.htmx) and request.GET.get("fragment") == "grid",
    }


def _pager_links(grid_url: str, params: QueryDict, page: selectors.KeysetPage) -> dict[str, str]:
    """First, Previous, Next and Last: each carries the filters, and Previous and Next the row
    their page starts from (keyset paging)."""
    base = params.copy()
    for key in ("page", "after", "before"):
        base.pop(key, None)

    def link(**changes: str) -> str:
        query = base.copy()
        for key, value in changes.items():
            query[key] = value
        return f"{grid_url}?{query.urlencode()}"

    links: dict[str, str] = {}
    if page.has_previous:
        links["first"] = link(page="1")
        links["previous"] = link(page=str(page.number - 1), before=page.previous_cursor)
    if page.has_next:
        links["next"] = link(page=str(page.number + 1), after=page.next_cursor)
        links["last"] = link(page="last")
    return links


@require_GET
def all_devices(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Devices › All devices."""
    return render_blade_or_fragment(
        request,
        "mdm/managed_devices.html",
        _list_context(request, "mdm:all_devices"),
        blade="mdm:all_devices",
    )


@require_GET
def ios_devices(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Devices › iOS/iPadOS: every managed device is an iPhone or iPad, so the same rows."""
    return render_blade_or_fragment(
        request,
        "mdm/managed_devices.html",
        _list_context(request, "mdm:ios_devices"),
        blade="mdm:ios_devices",
    )


@require_GET
def export(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    """Export: the filtered list as Intune's DevicesWithInventory CSV, streamed."""
    filters = selectors.ManagedDeviceFilters.from_query(request.GET)
    rows = selectors.managed_devices_export_rows(selectors.managed_devices_filtered(filters=filters))
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    return StreamingHttpResponse(
        csv_stream(rows),
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": content_disposition_header(
                as_attachment=True, filename=f"DevicesWithInventory_{stamp}.csv"
            )
        },
    )


@require_http_methods(["GET", "POST"])
@admin_required
def bulk(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Devices › Bulk device actions, Intune's wizard: Basics → Devices → Review + create. The
    list's action buttons open it on Review with the checked devices (at most 100)."""
    data = request.POST if request.method == "POST" else request.GET
    wizard = BulkWizard.from_data(data)
    go = request.POST.get("go", "")
    if request.method == "GET" and wizard.kind and wizard.device_ids:
        wizard.step = "review"
    error, result = "", None
    if request.method == "POST" and (go == "create" or request.POST.get("confirm") == "yes"):
        unready = wizard.first_unready_step()
        action = wizard.action
        if unready is not None or action is None:
            wizard.step = unready or "basics"
        else:
            wizard.step = "review"
            try:
                result = device_actions_bulk_request(
                    devices=bulk_wizard.selected_devices(wizard),
                    kind=action.kind,
                    user=request.user,
                    parameters=wizard.parameters,
                )
            except DeviceActionRefused as refused:
                error = str(refused)
            else:
                notification_send(
                    user=request.user,
                    title=texts.gettext("%(action)s requested", action=action.label),
                    body=texts.ngettext(
                        "Intune sent the action to %(count)d device.",
                        "Intune sent the action to %(count)d devices.",
                        "count",
                        count=len(result.requested),
                    ),
                    level=Notification.Level.SUCCESS if not result.skipped else Notification.Level.WARNING,
                )
                if not result.skipped:
                    return redirect_to_blade(request, reverse("mdm:device_actions"))
    elif request.method == "POST" and go in ("previous", "next"):
        wizard.go(go)
    elif wizard.step == "review" and wizard.first_unready_step() is not None:
        wizard.step = wizard.first_unready_step() or "basics"
    context: dict[str, Any] = {
        "wizard": wizard,
        "steps": bulk_wizard.STEPS,
        "platforms": bulk_wizard.PLATFORMS,
        "bulk_actions": bulk_wizard.bulk_actions(),
        "selected": bulk_wizard.selected_devices(wizard)[:BULK_MAX],
        "error": error,
        "result": result,
        "bulk_max": BULK_MAX,
    }
    if wizard.step == "devices":
        context["offered"], context["matching"] = bulk_wizard.picker_devices(wizard)
        context["picker_size"] = bulk_wizard.PICKER_SIZE
    if wizard.step == "review":
        context["summary"] = bulk_wizard.settings_summary(wizard)
    return render_blade(request, "mdm/managed_bulk.html", context, blade="mdm:bulk")


# --- A device ---------------------------------------------------------------------------------


def _device_context(device: ManagedDevice, section: str) -> dict[str, Any]:
    available = actions_available(device) if device.management_state == ManagementState.MANAGED else []
    if device.management_state in (ManagementState.RETIRE_PENDING, ManagementState.WIPE_PENDING):
        available = [a for a in actions_available(device) if a.kind == "delete"]
    return {
        "device": device,
        "section": section,
        "device_menu": [
            (
                group,
                [
                    (name, label, icon)
                    for name, label, icon in items
                    if name != "mdm:device_users" or device.is_shared_ipad
                ],
            )
            for group, items in navigation.menu(DEVICE_MENU)
        ],
        "os_name": selectors.operating_system(device),
        # One Lost mode button: it enables, or disables when lost mode is on. Remove user is on Users.
        "actions": {
            a.kind: a
            for a in available
            if a.kind
            not in ("delete_user", "lost_mode_enable" if device.lost_mode_enabled else "lost_mode_disable")
        },
        "action_order": ACTION_ORDER,
        "can_remove_user": any(a.kind == "delete_user" for a in available),
        "pending": selectors.device_pending_kinds(device=device),
        "can_act": bool(available),
        "management_states": ManagementState,
        "sound_durations": SOUND_DURATIONS,
    }


def _render_device(
    request: AuthenticatedHttpRequest, device: ManagedDevice, section: str, **extra: Any
) -> HttpResponse:
    context = {**_device_context(device, section), **extra}
    blade = f"mdm:device_{section}" if section != "overview" else "mdm:device"
    return render_blade_or_fragment(
        request, "mdm/managed_device.html", context, blade=blade, fragment="status"
    )


@require_GET
def device_overview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    device = selectors.managed_device_get(pk=pk)
    return _render_device(
        request,
        device,
        "overview",
        recent_actions=selectors.device_actions_recent(device=device),
        location=selectors.device_location(device=device),
        push_state=selectors.device_push_state(device),
        action_labels={kind: a.label for kind, a in ACTIONS.items()},
        states=DeviceActionState,
    )


@require_GET
def device_hardware(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    device = selectors.managed_device_get(pk=pk)
    return _render_device(request, device, "hardware", hardware=selectors.hardware_sections(device))


@require_GET
def device_apps(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    device = selectors.managed_device_get(pk=pk)
    return _render_device(request, device, "apps", apps=selectors.discovered_apps(device))


@require_GET
def device_configuration(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    device = selectors.managed_device_get(pk=pk)
    return _render_device(request, device, "configuration", profiles=selectors.installed_profiles(device))


@require_GET
def device_users(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    device = selectors.managed_device_get(pk=pk)
    return _render_device(request, device, "users", users=selectors.shared_ipad_users(device))


@require_http_methods(["GET", "POST"])
def device_action(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One remote action's dialog: GET shows it as a page (without JavaScript, the action bar's
    links lead here; with it, the same form opens as a dialog on the Overview), POST runs it."""
    device = selectors.managed_device_get(pk=pk)
    require_change_permission(request.user)
    data = request.POST if request.method == "POST" else request.GET
    error, errors = "", {}
    try:
        action = action_kind(data.get("kind", ""))
    except DeviceActionRefused as refused:
        return _render_device(request, device, "overview", error=str(refused), recent_actions=[])
    if request.method == "POST":
        try:
            device_action_request(device=device, kind=action.kind, user=request.user, parameters=request.POST)
        except DeviceActionRefused as refused:
            error, errors = ("" if refused.errors else str(refused)), refused.errors
        else:
            notification_send(
                user=request.user,
                title=texts.gettext("%(action)s requested", action=action.label),
                body=texts.gettext(
                    "Intune sent the action to %(device)s. It shows as pending until the device answers.",
                    device=str(device),
                ),
                level=Notification.Level.SUCCESS,
            )
            target = "mdm:all_devices" if action.kind == "delete" else "mdm:device"
            return redirect_to_blade(
                request, reverse(target) if action.kind == "delete" else reverse(target, args=[device.pk])
            )
    context = {
        **_device_context(device, "overview"),
        "action": action,
        "error": error,
        "errors": errors,
        "values": data,
    }
    return render_blade(request, "mdm/managed_action.html", context, blade="mdm:device_action")


# --- Monitor › Device actions -------------------------------------------------------------------


@require_GET
def device_actions(request: AuthenticatedHttpRequest) -> HttpResponse:
    filters = selectors.ActionFilters.from_query(request.GET, set(ACTIONS))
    page = selectors.device_actions_page(filters=filters, page=request.GET.get("page"), size=PAGE_SIZE)
    context = {
        "page": page,
        "filters": filters,
        "kinds": [(kind, a.label) for kind, a in ACTIONS.items()],
        "state_choices": DeviceActionState.choices,
        "action_labels": {kind: a.label for kind, a in ACTIONS.items()},
        "grid_url": reverse("mdm:device_actions"),
        "devices_menu": navigation.menu(DEVICES_MENU),
        "gone_states": (ManagementState.DELETE_PENDING,),
    }
    return render_blade_or_fragment(
        request, "mdm/managed_device_actions.html", context, blade="mdm:device_actions"
    )
