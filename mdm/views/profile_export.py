"""*Export profile* on an enrollment program profile (Intune's, as for Apple Configurator): the
profile URL for Setup Assistant enrollment, and *Download profile* for direct enrollment — the
signed .mobileconfig a device outside Automated Device Enrollment installs (mdm.enrollment_profile)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods

from asm_portal.blades import render_pane
from asm_portal.http import AuthenticatedHttpRequest
from asm_portal.navigation import Crumb
from asm_portal.roles import can_change, require_change_permission
from mdm import enrollment_profile
from mdm.checkin import ProtocolRefused
from profiles.models import EnrollmentProfile
from profiles.selectors import profile_get_for_user


def _render(
    request: AuthenticatedHttpRequest, profile: EnrollmentProfile, *, error: str = ""
) -> HttpResponse:
    context = {
        "profile": profile,
        "profile_url": f"{settings.PORTAL_BASE_URL}{reverse('enroll:enroll', args=[profile.token_id])}",
        "valid_days": enrollment_profile.EXPORT_VALIDITY.days,
        "error": error,
        "can_download": can_change(request.user),
    }
    crumbs = [
        Crumb(profile.token.token_name, reverse("tokens:detail", args=[profile.token_id])),
        Crumb(profile.name, reverse("profiles:detail", args=[profile.pk])),
    ]
    return render_pane(
        request, "mdm/profile_export.html", context, blade="mdm:profile_export", extra_crumbs=crumbs
    )


@require_http_methods(["GET", "POST"])
def profile_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """GET: the Export profile pane. POST (*Download profile*, administrators): the file."""
    profile = profile_get_for_user(user=request.user, pk=pk)
    if request.method == "GET":
        return _render(request, profile)
    require_change_permission(request.user)  # after the lookup: another tenant's profile is a 404
    try:
        signed = enrollment_profile.enrollment_profile_export(actor=request.user, profile=profile)
    except ProtocolRefused as refused:
        return _render(request, profile, error=str(refused))
    response = HttpResponse(signed, content_type=enrollment_profile.ASPEN_CONFIG)
    name = slugify(profile.name) or "enrollment"
    response["Content-Disposition"] = f'attachment; filename="{name}.mobileconfig"'  # slugify: ASCII
    return response
