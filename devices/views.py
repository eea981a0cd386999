from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.http import require_GET

from asm_portal.blades import render_blade
from asm_portal.http import AuthenticatedHttpRequest


@require_GET
def device_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render_blade(request, "devices/list.html", blade="devices:list")
