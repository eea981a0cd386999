"""What devices call at the enrollment URLs: the MDM enrollment profile at the DEP profile's
`url` (Apple's CMS-signed MachineInfo), and Setup Assistant's web view with modern
authentication (the DEP profile's `configuration_web_url`).

Device endpoints are the documented exception to « every page needs a signed-in user »: they
have no portal session; the device proves itself by its MachineInfo, signed with its Apple
device identity (mdm.enrollment_profile).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from asm_portal.http import client_ip
from mdm import enrollment_profile
from mdm.checkin import ProtocolRefused
from mdm.directory import DirectorySignInRefused, directory_sign_in
from mdm.identity import DeviceCaUnavailable
from mdm.views import mdm_protocol as mdm_views
from mdm.views.tenant import token_tenant
from mdm.web_enrollment import (
    DEVICEINFO_HEADER,
    WebEnrollmentDevice,
    web_enrollment_device,
    web_enrollment_device_load,
    web_enrollment_device_sign,
    web_enrollment_profile,
)
from tokens.models import EnrollmentProgramToken

logger = logging.getLogger(__name__)


@csrf_exempt
@login_not_required
@token_tenant
@require_POST
def enroll(request: HttpRequest, token_id: int) -> HttpResponse:
    """POST {DEP profile url}: Apple's MDM enrollment with a CMS-signed MachineInfo, answered
    with the enrollment profile."""
    return mdm_views.profile_for_machine_info(request, token_id)


# --- Setup Assistant with modern authentication (the DEP profile's configuration_web_url) ---------


def _web_language(device: WebEnrollmentDevice | None) -> str:
    """The page speaks the device's language (its MachineInfo's) when the portal does."""
    code = (device.language if device else "").split("-")[0].lower()
    return code if code in dict(settings.LANGUAGES) else translation.get_language()


def _web_page(
    request: HttpRequest,
    token_id: int,
    device: WebEnrollmentDevice | None,
    context: dict[str, Any],
    status: int,
) -> HttpResponse:
    token = EnrollmentProgramToken.objects.all().filter(pk=token_id).first()
    with translation.override(_web_language(device)):
        page = render(
            request,
            "mdm/enroll/web_enrollment.html",
            {"token": token, "device": device, "error": "", "upn": "", **context},
            status=status,
        )
    return page


@login_not_required
@token_tenant
@require_http_methods(["GET", "POST"])
def web_enrollment(request: HttpRequest, token_id: int) -> HttpResponse:
    """GET with `x-apple-aspen-deviceinfo`: the Microsoft sign-in; POST: the credentials, answered
    with the enrollment profile typed application/x-apple-aspen-config (mdm.web_enrollment).
    A page nobody can use (no or a bad device header, an expired form) says why; nothing changes."""
    device: WebEnrollmentDevice | None = None
    try:
        if request.method == "GET":
            device = web_enrollment_device(
                token_id=token_id, header=request.headers.get(DEVICEINFO_HEADER, "")
            )
            return _web_page(request, token_id, device, {"signed": web_enrollment_device_sign(device)}, 200)
        device = web_enrollment_device_load(request.POST.get("device", ""), token_id=token_id)
        upn = request.POST.get("upn", "")[:254]
        context = {"signed": request.POST.get("device", ""), "upn": upn}
        try:
            user = directory_sign_in(
                upn=upn, password=request.POST.get("password", ""), ip_address=client_ip(request)
            )
        except DirectorySignInRefused as refused:
            return _web_page(
                request, token_id, device, {**context, "error": str(refused)}, 429 if refused.locked else 200
            )
        signed = web_enrollment_profile(device=device, user=user)
    except ProtocolRefused as refused:
        return _web_page(request, token_id, device, {"fatal": str(refused)}, refused.status)
    except DeviceCaUnavailable:
        logger.exception("Apple's device CA could not be fetched")
        fatal = _("Apple's device service cannot be reached. Try again.")
        return _web_page(request, token_id, device, {"fatal": fatal}, 503)
    response = HttpResponse(signed, content_type=enrollment_profile.ASPEN_CONFIG)
    response["Content-Disposition"] = 'attachment; filename="enrollment.mobileconfig"'
    return response
