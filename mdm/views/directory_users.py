"""The tenant admin's Users blade (Microsoft Entra ID), read only."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from asm_portal.blades import render_blade
from asm_portal.http import AuthenticatedHttpRequest
from mdm.models import DirectoryUser


@require_GET
def directory_users(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Users (Microsoft Entra ID), read only: who can sign in on the devices."""
    users = DirectoryUser.objects.all()
    query = request.GET.get("q", "").strip()[:100]
    if query:
        users = users.filter(Q(upn__icontains=query) | Q(display_name__icontains=query))
    return render_blade(
        request, "mdm/directory_users.html", {"users": users[:500], "q": query}, blade="directory_users"
    )
