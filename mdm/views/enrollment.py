"""What devices call (enrollment, check-in, erase) and Setup Assistant's sign-in web view.

Device endpoints are the documented exception to « every page needs a signed-in user »: they
have no portal session and no CSRF token; they authenticate the device instead, by its Apple
device certificate and the signature of the body (mdm.identity), before anything else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from asm_portal.http import client_ip, redirect_target_allowed
from devices.models import Device
from mdm import enrollment, enrollment_profile
from mdm.checkin import ProtocolRefused
from mdm.directory import DirectorySignInRefused, directory_sign_in
from mdm.enrollment import DeviceClaims, EnrollmentRefused
from mdm.identity import DeviceCaUnavailable, DeviceIdentity, DeviceIdentityError, device_identity_verify
from mdm.views import mdm_protocol as mdm_views
from mdm.views.framing import framable_by_apple
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

DeviceCall = Callable[[DeviceIdentity, DeviceClaims], dict[str, Any]]


def _language(claims: DeviceClaims) -> str:
    """The device's language when the portal speaks it, else the request's."""
    code = claims.language.split("-")[0].lower()
    return code if code in dict(settings.LANGUAGES) else translation.get_language()


def _device_request(request: HttpRequest, call: DeviceCall) -> JsonResponse:
    """Size limit, JSON, device identity, then the service; errors as {"code", "message"}."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.DEVICE_REQUEST_MAX_BYTES:
        return JsonResponse(
            {"code": "BODY_TOO_LARGE", "message": _("The request body is too large.")}, status=413
        )
    body = request.body
    try:
        claims = enrollment.device_claims(body)
    except EnrollmentRefused as refused:
        return JsonResponse(refused.body(), status=refused.status)
    with translation.override(_language(claims)):
        try:
            identity = device_identity_verify(
                headers=request.headers, body=body, serial_number=claims.serial_number, udid=claims.udid
            )
            return JsonResponse(call(identity, claims))
        except DeviceIdentityError as error:
            return JsonResponse({"code": error.code, "message": str(error)}, status=401)
        except DeviceCaUnavailable:
            logger.exception("Apple's device CA could not be fetched")
            return JsonResponse(
                {
                    "code": "DEVICE_CA_UNAVAILABLE",
                    "message": _("Apple's device service cannot be reached. Try again."),
                },
                status=503,
            )
        except EnrollmentRefused as refused:
            return JsonResponse(refused.body(), status=refused.status)


@csrf_exempt
@login_not_required
@token_tenant
@require_POST
def enroll(request: HttpRequest, token_id: int) -> HttpResponse:
    """POST {profile url}: the device enrolls — the virtual iPad's JSON (contract §3), or Apple's
    MDM enrollment with a CMS-signed MachineInfo (answered with the enrollment profile)."""
    if request.content_type != "application/json":
        return mdm_views.profile_for_machine_info(request, token_id)
    return _device_request(
        request,
        lambda identity, claims: enrollment.device_enroll(
            token_id=token_id, identity=identity, claims=claims
        ),
    )


@csrf_exempt
@login_not_required
@token_tenant
@require_POST
def checkin(request: HttpRequest, token_id: int) -> JsonResponse:
    """POST {checkin_url}: await final configuration, device name, apps (contract §5)."""
    return _device_request(
        request, lambda identity, _claims: enrollment.device_checkin(token_id=token_id, identity=identity)
    )


@csrf_exempt
@login_not_required
@token_tenant
@require_POST
def erased(request: HttpRequest, token_id: int) -> JsonResponse:
    """POST {checkin_url}erased/: the device was erased (contract §7)."""
    return _device_request(
        request, lambda identity, _claims: enrollment.device_erased(token_id=token_id, identity=identity)
    )


# --- Setup Assistant's sign-in (user affinity) --------------------------------------------------


def return_url_allowed(url: str) -> bool:
    """Only the virtual device's pages, on APPLE_PUBLIC_URL: no open redirect."""
    base = urlsplit(settings.APPLE_PUBLIC_URL)
    parts = urlsplit(url)
    return (
        redirect_target_allowed(url, host=base.netloc, require_https=base.scheme == "https")
        and not any(char in url for char in "\\\r\n\t")
        and parts.scheme == base.scheme
        and parts.netloc == base.netloc
        and parts.path.startswith((base.path.rstrip("/") or "") + "/")
    )


def _with_query(url: str, params: dict[str, str]) -> str:
    return f"{url}{'&' if urlsplit(url).query else '?'}{urlencode(params)}"


@login_not_required
@token_tenant
@require_http_methods(["GET", "POST"])
@framable_by_apple
def authenticate(request: HttpRequest, token_id: int) -> HttpResponse:
    """Microsoft sign-in in Setup Assistant's web view; success sends the iframe back to the
    device with a ticket for its enrollment (contract §4)."""
    serial = request.GET.get("serial", "")[:32]
    return_url = request.GET.get("return", "")
    token = EnrollmentProgramToken.objects.all().filter(pk=token_id).first()
    context: dict[str, Any] = {"serial": serial, "token": token, "error": "", "upn": ""}
    if not return_url_allowed(return_url):
        context["fatal"] = _("This sign-in page can only be opened by the device's Setup Assistant.")
        return render(request, "mdm/enroll/authenticate.html", context, status=400)
    if (
        token is None
        or not Device.objects.filter(token=token, serial_number=serial, removed_by_apple=False).exists()
    ):
        context["fatal"] = _("This device is not an enrollment program device of the organisation.")
        return render(request, "mdm/enroll/authenticate.html", context, status=404)
    status = 200
    if request.method == "POST":
        context["upn"] = request.POST.get("upn", "")[:254]
        try:
            user = directory_sign_in(
                upn=context["upn"], password=request.POST.get("password", ""), ip_address=client_ip(request)
            )
        except DirectorySignInRefused as refused:
            context["error"] = str(refused)
            status = 429 if refused.locked else 200
        else:
            ticket = enrollment.enrollment_ticket_issue(serial=serial, upn=user.upn, token_id=token.pk)
            return redirect(_with_query(return_url, {"ticket": ticket, "upn": user.upn}))
    return render(request, "mdm/enroll/authenticate.html", context, status=status)


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
