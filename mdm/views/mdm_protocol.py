"""Apple's MDM protocol endpoints: the enrollment profile (at the DEP profile's url), check-in
(CheckInURL) and commands (ServerURL). Device endpoints: no session, no CSRF.

The tenant follows from the enrollment token in the profile's URL, and from the identity
certificate for check-in and commands (mdm.checkin). Never a 401: see docs/mdm-server.md.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from asm_portal.tenancy import tenant_scope
from mdm import checkin, enrollment_profile
from mdm.identity import DeviceCaUnavailable
from mdm.views.device_http import body_or_refusal, refusal

logger = logging.getLogger(__name__)


def profile_for_machine_info(request: HttpRequest, token_id: int) -> HttpResponse:
    """POST {DEP profile url} with a CMS-signed MachineInfo (called by the enroll view, in the
    token's tenant scope)."""
    body = body_or_refusal(request, settings.MDM_MAX_BODY_BYTES)
    if isinstance(body, HttpResponse):
        return body
    try:
        signed = enrollment_profile.enrollment_profile_for_machine(token_id=token_id, body=body)
    except checkin.ProtocolRefused as refused:
        return refusal(refused.status, str(refused))
    except DeviceCaUnavailable:
        logger.exception("Apple's device CA could not be fetched")
        return refusal(503, _("Apple's device service cannot be reached. Try again."))
    response = HttpResponse(signed, content_type=enrollment_profile.ASPEN_CONFIG)
    response["Content-Disposition"] = 'attachment; filename="enrollment.mobileconfig"'
    return response


def _device_call(request: HttpRequest, *, checkin_request: bool) -> HttpResponse:
    body = body_or_refusal(request, settings.MDM_MAX_BODY_BYTES)
    if isinstance(body, HttpResponse):
        return body
    content_type = request.content_type or ""
    if checkin_request and content_type != checkin.CHECKIN_CONTENT_TYPE:
        return refusal(415, _("A check-in is typed application/x-apple-aspen-mdm-checkin."))
    try:
        caller = checkin.caller_find(headers=request.headers, body=body)
        message = checkin.plist_body(body)
        with tenant_scope(caller.tenant):
            if checkin_request:
                status, answer = checkin.checkin_handle(caller=caller, message=message)
                return HttpResponse(answer, status=status, content_type="application/xml" if answer else None)
            answer = checkin.connect_handle(caller=caller, message=message)
    except checkin.ProtocolRefused as refused:
        return refusal(refused.status, str(refused))
    if not answer:
        return HttpResponse(b"", status=200)
    return HttpResponse(answer, content_type="application/xml; charset=UTF-8")


@csrf_exempt
@login_not_required
@require_http_methods(["PUT", "POST"])
def mdm_checkin(request: HttpRequest) -> HttpResponse:
    """CheckInURL: Authenticate, TokenUpdate, CheckOut (PUT, as devices send; POST accepted)."""
    return _device_call(request, checkin_request=True)


@csrf_exempt
@login_not_required
@require_http_methods(["PUT", "POST"])
def mdm_connect(request: HttpRequest) -> HttpResponse:
    """ServerURL: Idle and command reports; answers the next command or an empty 200."""
    return _device_call(request, checkin_request=False)
