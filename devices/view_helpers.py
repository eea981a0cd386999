"""What the devices views share: their trails under a token or a profile, the page size, and the
devices checked in a grid."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from asm_portal.http import AuthenticatedHttpRequest
from asm_portal.ids import parse_ids
from asm_portal.navigation import Crumb
from devices.models import Device
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


def selected_devices(request: AuthenticatedHttpRequest) -> list[Device]:
    """The devices checked in the grid (Delete, Assign profile), at most MAX_SELECTION."""
    return devices_selected(ids=parse_ids(request.POST.getlist("device") or request.GET.getlist("device")))
