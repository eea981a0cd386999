"""The tenant's SCEP service: GET/POST {token}/scep?operation=… (mdm.scep says what it answers).

A device endpoint: no session, no CSRF; the tenant follows from the enrollment token in the URL.
"""

from __future__ import annotations

import base64
import binascii

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from asm_portal.middleware import reads_own_query
from mdm import scep
from mdm.views.device_http import body_or_refusal, refusal
from mdm.views.tenant import token_tenant
from tokens.models import EnrollmentProgramToken


@reads_own_query
@csrf_exempt
@login_not_required
@token_tenant
@require_http_methods(["GET", "POST"])
def scep_service(request: HttpRequest, token_id: int) -> HttpResponse:
    if not EnrollmentProgramToken.objects.filter(pk=token_id).exists():
        return refusal(404, _("This SCEP URL is not an enrollment program token's."))
    operation = request.GET.get("operation", "")
    if operation == "GetCACaps":
        return HttpResponse("\n".join(scep.CA_CAPABILITIES) + "\n", content_type="text/plain")
    if operation == "GetCACert":
        return HttpResponse(scep.authority_get().der, content_type="application/x-x509-ca-cert")
    if operation != "PKIOperation":
        return refusal(400, _("Unknown SCEP operation."))
    if request.method == "POST":
        body = body_or_refusal(request, settings.MDM_MAX_BODY_BYTES)
        if isinstance(body, HttpResponse):
            return body
        message = body
    else:
        try:
            message = base64.b64decode(request.GET.get("message", ""), validate=True)
        except (binascii.Error, ValueError):
            return refusal(400, _("The SCEP message is not base64."))
    try:
        rep = scep.scep_pki_operation(message=message)
    except scep.ScepMessageError:
        return refusal(400, _("The SCEP message cannot be read."))
    return HttpResponse(rep.der, content_type="application/x-pki-message")
