"""What the devices blades share: their trails under a token or a profile, and the answer of a
blade whose grid (or status) htmx swaps in place."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from asm_portal.blades import render_blade, render_fragment
from asm_portal.http import AuthenticatedHttpRequest
from asm_portal.navigation import Crumb
from devices.models import Device
from devices.selection import selected_ids
from devices.selectors import devices_selected
from profiles.models import EnrollmentProfile
from tokens.models import EnrollmentProgramToken

DEVICES_PAGE_SIZE = 50


def token_crumbs(token: EnrollmentProgramToken, *, devices: bool = False) -> list[Crumb]:
    crumbs = [Crumb(token.token_name, reverse("tokens:detail", args=[token.pk]))]
    if devices:
        crumbs.append(Crumb(_("Devices"), reverse("devices:token_devices", args=[token.pk])))
    return crumbs


def profile_crumbs(profile: EnrollmentProfile, *, assignments: bool = False) -> list[Crumb]:
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


def grid_or_blade(
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


def selected_devices(request: AuthenticatedHttpRequest) -> list[Device]:
    """The devices checked in the grid (Delete, Assign profile), at most MAX_SELECTION."""
    return devices_selected(ids=selected_ids(request.POST.getlist("device") or request.GET.getlist("device")))
