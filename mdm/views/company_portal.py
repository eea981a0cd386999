"""The Company Portal app's pages (iOS style), shown in an iframe on the virtual iPad.

Directory users sign in here, not portal users: the signed-in user lives in its own session key
(COMPANY_PORTAL_SESSION), for one device (serial) at a time; Django's authentication is not
involved. Like Setup Assistant's sign-in, only APPLE_PUBLIC_URL may frame these pages.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from asm_portal.http import client_ip
from devices.models import Device
from mdm import company_portal
from mdm.company_portal import CompanyPortalRefused
from mdm.directory import DirectorySignInRefused, directory_sign_in, directory_user_find
from mdm.models import DirectoryUser
from mdm.views.framing import framable_by_apple
from mdm.views.tenant import serial_tenant

COMPANY_PORTAL_SESSION = "company_portal"


def _serial(request: HttpRequest) -> str:
    return (request.GET.get("serial") or request.POST.get("serial") or "")[:32]


def _home(serial: str, **extra: str) -> str:
    return f"{reverse('enroll:company_portal')}?{urlencode({'serial': serial, **extra})}"


def _signed_in(request: HttpRequest, serial: str) -> DirectoryUser | None:
    data = request.session.get(COMPANY_PORTAL_SESSION)
    if not isinstance(data, dict) or data.get("serial") != serial:
        return None
    return directory_user_find(str(data.get("upn", "")))


def _render(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, "mdm/company_portal/app.html", context, status=status)


def _device(context: dict[str, Any]) -> Device | None:
    """The device of `context["serial"]`, put in the context; None, and why in `refused`, when
    the Company Portal does not work on it."""
    try:
        device = company_portal.company_portal_device(context["serial"])
    except CompanyPortalRefused as refused:
        context["refused"] = str(refused)
        return None
    context["device"] = device
    return device


@login_not_required
@serial_tenant
@require_GET
@framable_by_apple
def home(request: HttpRequest) -> HttpResponse:
    """Sign-in, or the user's devices and the company's apps."""
    serial = _serial(request)
    context: dict[str, Any] = {"serial": serial, "notice": request.GET.get("notice", "")[:300]}
    device = _device(context)
    if device is None:
        return _render(request, context)
    user = _signed_in(request, serial)
    if user is None:
        return _render(request, context)
    installed = company_portal.installed_bundle_ids(device)
    context.update(
        {
            "cp_user": user,  # not `user`: the auth context processor's (anonymous) portal user
            "devices": list(company_portal.my_devices(user)),
            "apps": [(app, app.bundle_id in installed) for app in company_portal.company_apps()],
            "tab": "apps" if request.GET.get("tab") == "apps" else "devices",
            "installed_app": company_portal.company_app(request.GET.get("installed", "")),
        }
    )
    return _render(request, context)


@login_not_required
@serial_tenant
@require_POST
@framable_by_apple
def sign_in(request: HttpRequest) -> HttpResponse:
    serial = _serial(request)
    context: dict[str, Any] = {"serial": serial, "upn": request.POST.get("upn", "")[:254]}
    device = _device(context)
    if device is None:
        return _render(request, context)
    try:
        user = directory_sign_in(
            upn=context["upn"], password=request.POST.get("password", ""), ip_address=client_ip(request)
        )
        company_portal.company_portal_sign_in(device=device, user=user)
    except (DirectorySignInRefused, CompanyPortalRefused) as refused:
        context["error"] = str(refused)
        locked = isinstance(refused, DirectorySignInRefused) and refused.locked
        return _render(request, context, status=429 if locked else 200)
    request.session.cycle_key()  # no session fixation across a sign-in
    request.session[COMPANY_PORTAL_SESSION] = {"upn": user.upn, "serial": serial}
    return redirect(_home(serial))


@login_not_required
@serial_tenant
@require_POST
@framable_by_apple
def sign_out(request: HttpRequest) -> HttpResponse:
    serial = _serial(request)
    request.session.pop(COMPANY_PORTAL_SESSION, None)
    return redirect(_home(serial))


@login_not_required
@serial_tenant
@require_POST
@framable_by_apple
def install(request: HttpRequest) -> HttpResponse:
    """Install an app of the catalogue on this device; its next check-in shows it."""
    serial = _serial(request)
    user = _signed_in(request, serial)
    if user is None:
        return redirect(_home(serial))
    try:
        device = company_portal.company_portal_device(serial)
        install = company_portal.company_app_install(
            device=device, user=user, bundle_id=request.POST.get("bundle_id", "")[:200]
        )
    except CompanyPortalRefused as refused:
        return redirect(_home(serial, tab="apps", notice=str(refused)))
    return redirect(_home(serial, tab="apps", installed=install.bundle_id))


@login_not_required
@require_GET
@cache_control(max_age=86400, public=True)
def app_icon(request: HttpRequest, bundle_id: str) -> HttpResponse:
    """The app's icon (a coloured square with its initial), for the portal and the device."""
    app = company_portal.company_app(bundle_id)
    if app is None:
        raise Http404
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120">'
        f'<rect width="120" height="120" rx="27" fill="{escape(app.color)}"/>'
        '<text x="60" y="80" text-anchor="middle" font-family="-apple-system,Segoe UI,Helvetica,Arial,sans-serif" '
        f'font-size="60" font-weight="700" fill="#fff">{escape(app.glyph)}</text></svg>'
    )
    response = HttpResponse(svg, content_type="image/svg+xml")
    # Another origin (the virtual device) shows it in an <img>.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
