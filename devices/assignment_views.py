"""Profile assignment blades: Assign profile from the grid, a profile's Device assignments
and Assign, and an assignment's result."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from asm_portal import clock, texts
from asm_portal.blades import redirect_to_blade, render_blade_or_fragment, render_pane
from asm_portal.http import AuthenticatedHttpRequest
from asm_portal.ids import parse_id
from asm_portal.models import Notification
from asm_portal.roles import admin_required, require_change_permission
from asm_portal.services import notification_send
from devices import selectors
from devices.assignment import profile_assign as assignment_request
from devices.models import ProfileAssignment
from devices.selection import MAX_SELECTION, DeviceActionRefused
from devices.view_helpers import DEVICES_PAGE_SIZE, profile_crumbs, selected_devices
from profiles.models import EnrollmentProfile
from profiles.selectors import profile_get_for_user
from tokens.models import token_secrets_via

# The Assign blade lists up to 1,000 devices: its header checkbox selects them all (the article).
ASSIGN_PAGE_SIZE = MAX_SELECTION


def _get_assignment_for_user(request: AuthenticatedHttpRequest, pk: int) -> ProfileAssignment:
    return get_object_or_404(
        ProfileAssignment.objects.select_related("profile__token").defer(
            *token_secrets_via("profile__token")
        ),
        pk=pk,
    )


@require_http_methods(["GET", "POST"])
@admin_required
def device_assign(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Assign profile, from the devices grid: the selected devices, a profile of their token."""
    devices = selected_devices(request)
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
        title=texts.gettext("Assigning profile"),
        body=texts.ngettext(
            "Intune is assigning “%(profile)s” to %(count)d device.",
            "Intune is assigning “%(profile)s” to %(count)d devices.",
            "count",
            profile=assignment.profile.name,
            count=assignment.device_count,
        ),
        level=Notification.Level.INFO,
        link=reverse("devices:assignment", args=[assignment.pk]),
    )


# --- Assignment from a profile -----------------------------------------------------------------


def _profile_grid(
    request: AuthenticatedHttpRequest,
    profile: EnrollmentProfile,
    filters: selectors.DeviceFilters,
    *,
    size: int,
    blade: str,
) -> dict[str, Any]:
    """The devices grid of a profile's blades (Device assignments, Assign): a page of `devices`,
    swapped in place at the blade's own URL."""
    return {
        "profile": profile,
        "token": profile.token,
        "page": selectors.devices_page(
            filters=filters, token=profile.token, page=request.GET.get("page"), size=size
        ),
        "filters": filters,
        "grid_url": reverse(blade, args=[profile.pk]),
    }


@require_GET
def profile_assignments(request: AuthenticatedHttpRequest, profile_id: int) -> HttpResponse:
    """A profile's Device assignments: its devices, and Assign."""
    profile = profile_get_for_user(user=request.user, pk=profile_id)
    filters = selectors.DeviceFilters.from_query(request.GET).with_profile(str(profile.pk))
    context = {
        **_profile_grid(
            request, profile, filters, size=DEVICES_PAGE_SIZE, blade="devices:profile_assignments"
        ),
        "assignments": ProfileAssignment.objects.filter(profile=profile)[:5],
    }
    return render_blade_or_fragment(
        request,
        "devices/profile_assignments.html",
        context,
        blade="devices:profile_assignments",
        extra_crumbs=profile_crumbs(profile),
    )


ASSIGN_FILTERS = ("unassigned", "any")


@require_http_methods(["GET", "POST"])
def profile_assign(request: AuthenticatedHttpRequest, profile_id: int) -> HttpResponse:
    """Device assignments › Assign: the list filtered unassigned / any / <profile name>, up to
    1,000 devices selectable at once (the header checkbox), then Assign."""
    profile = profile_get_for_user(user=request.user, pk=profile_id)
    require_change_permission(request.user)  # after the lookup (roles.admin_required)
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
    shown = show if show in ASSIGN_FILTERS else str(parse_id(show) or "unassigned")
    filters = (
        selectors.DeviceFilters.from_query(request.GET)
        .with_profile({"unassigned": selectors.UNASSIGNED, "any": ""}.get(shown, shown))
        .present()
    )
    context = {
        **_profile_grid(request, profile, filters, size=ASSIGN_PAGE_SIZE, blade="devices:profile_assign"),
        "show": shown,
        "other_profiles": EnrollmentProfile.objects.filter(token=profile.token).order_by("name"),
        "error": error,
        "max_selection": MAX_SELECTION,
    }
    return render_blade_or_fragment(
        request,
        "devices/profile_assign.html",
        context,
        blade="devices:profile_assign",
        extra_crumbs=profile_crumbs(profile, assignments=True),
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
    return render_blade_or_fragment(
        request,
        "devices/assignment.html",
        context,
        blade="devices:assignment",
        extra_crumbs=profile_crumbs(assignment.profile, assignments=True),
        fragment="status",
    )
