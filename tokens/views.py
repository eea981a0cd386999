from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.http import require_GET

from asm_portal.blades import render_blade
from asm_portal.http import AuthenticatedHttpRequest


@require_GET
def push_certificate(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render_blade(request, "tokens/push_certificate.html", blade="tokens:push_certificate")


@require_GET
def token_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render_blade(request, "tokens/list.html", blade="tokens:list")
