"""The virtual devices (/ipad/) and Apple's device services (/deviceservices/).

The device pages are the hardware: whoever holds the device uses it. Each trainee has an
organisation of their own, so a device page opens for someone signed in to the device's
organisation (the mock ASM portal's session) or for the holder of the device's own link
(mock_apple.ipad.links); anyone else gets a 404, which says nothing of whether the serial exists.
The list shows the devices of the signed-in organisation only. Every button posts an action
with the pane it was pressed on; an action from a pane the device has already left (a refresh,
a double click) changes nothing and shows the screen.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mock_apple import attempts, auth, clock, tenancy
from mock_apple.ipad import identity, links, setup_assistant, shared_ipad, web_view
from mock_apple.ipad.enrollment import FAILURE_TITLES, FailureCode
from mock_apple.models import CertificateAuthority, Device, Profile, VirtualDevice
from mock_apple.services import push
from mock_apple.setup_panes import BY_KEY, OS_VERSION

PAGE_SIZE = 25


@require_GET
def device_list(request: HttpRequest) -> HttpResponse:
    """Pick a serial to power on: the signed-in organisation's inventory with its MDM server and
    profile; without a sign-in, none (and a link to sign in)."""
    query = request.GET.get("q", "").strip().replace("\x00", "")
    account = auth.current_account(request)
    if account is None:
        signin_url = f"{reverse('asm_signin')}?{urlencode({'next': request.get_full_path()})}"
        return render(request, "mock_apple/ipad/list.html", {"signin_url": signin_url, "query": query})
    devices = Device.objects.filter(
        organization_id=account.organization_id, disowned_at__isnull=True
    ).select_related("organization", "mdm_server")
    if query:
        devices = devices.filter(
            Q(serial_number__icontains=query)
            | Q(model__icontains=query)
            | Q(mdm_server__name__icontains=query)
        )
    page = Paginator(devices.order_by("serial_number"), PAGE_SIZE).get_page(request.GET.get("page"))
    uuids = {device.profile_uuid for device in page if device.profile_uuid}
    names = {
        profile.profile_uuid: profile.data.get("profile_name", "")
        for profile in Profile.objects.filter(profile_uuid__in=uuids)
    }
    states = dict(VirtualDevice.objects.filter(device__in=list(page)).values_list("device_id", "state"))
    rows = [
        {"device": device, "profile_name": names.get(device.profile_uuid, ""), "state": states.get(device.pk)}
        for device in page
    ]
    context = {"page": page, "rows": rows, "query": query, "account": account}
    return render(request, "mock_apple/ipad/list.html", context)


def _device(request: HttpRequest, serial: str) -> Device:
    """The device, for someone signed in to its organisation or holding its link; else 404."""
    device = get_object_or_404(
        Device.objects.select_related("organization", "mdm_server"), serial_number=serial
    )
    account = auth.current_account(request)
    if account is not None and account.organization_id == device.organization_id:
        return device
    if serial in links.device_links_remembered(request):
        return device
    if links.device_link_valid(serial, request.GET.get("key", "")):
        links.device_link_remember(request, serial)
        return device
    raise Http404


def _virtual(device: Device) -> VirtualDevice:
    if device.device_family not in ("iPad", "iPhone"):
        raise Http404("Only iPads and iPhones run Setup Assistant here.")
    return identity.virtual_device_of(device)


DeviceView = Callable[..., HttpResponse]


def device_page(view: DeviceView) -> DeviceView:
    """The view gets the virtual device (access checked) and acts for its organisation."""

    @wraps(view)
    def wrapper(request: HttpRequest, serial: str) -> HttpResponse:
        device = _device(request, serial)
        with tenancy.acting_for(device.organization_id):
            return view(request, _virtual(device))

    return wrapper


def _screen_context(virtual: VirtualDevice, **extra: Any) -> dict[str, Any]:
    configuration = virtual.activation or {}
    context: dict[str, Any] = {
        "virtual": virtual,
        "device": virtual.device,
        "serial": virtual.device.serial_number,
        "is_iphone": virtual.device.device_family == "iPhone",
        "configuration": configuration,
        "organization_name": configuration.get("organization_name") or virtual.device.organization.name,
        "now": clock.now(),
        "os_version": OS_VERSION,
        "networks": setup_assistant.WIFI_NETWORKS,
        "shared": shared_ipad.is_shared(virtual),
        "company_portal_bundle_id": setup_assistant.COMPANY_PORTAL_BUNDLE_ID,
        "activity": setup_assistant.activity(virtual),
        "fingerprint": screen_fingerprint(virtual),
        **extra,
    }
    pane = virtual.pane
    if pane.startswith("pane:"):
        context["pane"] = BY_KEY.get(pane[5:])
        context["android_hidden"] = "Android" in (configuration.get("skip_setup_items") or [])
    if pane == "error":
        code = virtual.error_code
        context["failure_title"] = FAILURE_TITLES.get(FailureCode(code)) if code in set(FailureCode) else ""
    if pane == "web_view":
        view = web_view.web_view_current(virtual) or web_view.web_view_open(virtual)
        context["web_view_url"] = web_view.proxy_url(virtual, view, view.start_url)
    if virtual.open_app == "settings":
        context["profiles"] = list(virtual.installed_profiles.all())
        context["enrollment_profile"] = next((p for p in context["profiles"] if p.is_enrollment), None)
        chosen = context.get("settings_profile")
        context["profile"] = next((p for p in context["profiles"] if str(p.pk) == chosen), None)
    if pane == "home" and context["shared"] and not virtual.session_kind:
        context["classes"] = shared_ipad.signin_classes(virtual)
        if virtual.signin_class:
            context["people"] = shared_ipad.class_people(virtual.signin_class)
        context["cached_users"] = list(virtual.cached_users.select_related("person"))
        context["temporary_only"] = shared_ipad.temporary_session_only(virtual)
        context["maximum_users"] = shared_ipad.maximum_users(virtual)
    if virtual.open_app == setup_assistant.COMPANY_PORTAL_BUNDLE_ID:
        context["company_portal_url"] = (
            f"{settings.PORTAL_BASE_URL}/company-portal/?serial={virtual.device.serial_number}"
        )
    return context


def screen_fingerprint(virtual: VirtualDevice) -> str:
    """What the screen shows, as a short digest: the page asks every few seconds and is sent a
    new screen only when this changed (a push ran a command in the background)."""
    if virtual.pane == "web_view" and virtual.state != VirtualDevice.State.OFF:
        # While the user types in the web view, only leaving it redraws the screen (a redraw
        # would load the page again and lose what was typed).
        return hashlib.sha256(b"web_view").hexdigest()[:16]
    seen = [
        virtual.state,
        virtual.pane,
        virtual.language,
        virtual.enrolled,
        virtual.awaiting_configuration,
        virtual.device_name,
        virtual.apps,
        virtual.locked,
        virtual.lock_message,
        virtual.lock_phone_number,
        virtual.lost_mode,
        virtual.lost_mode_message,
        virtual.lost_mode_phone_number,
        virtual.lost_mode_footnote,
        str(virtual.lost_mode_sound_at),
        setup_assistant.activity(virtual),
        virtual.session_kind,
        virtual.session_user_id,
        virtual.error_code,
        list(virtual.installed_profiles.values_list("pk", flat=True)),
    ]
    return hashlib.sha256(json.dumps(seen, default=str).encode()).hexdigest()[:16]


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _render_screen(request: HttpRequest, virtual: VirtualDevice, **extra: Any) -> HttpResponse:
    """The screen alone for htmx, the whole device page otherwise. The screen speaks the
    device's language (chosen in Setup Assistant); the frame around it (the desk bar, Power on,
    Restore with Apple Configurator) speaks the reader's, from the first page on."""
    template = "mock_apple/ipad/device.html#screen" if _htmx(request) else "mock_apple/ipad/device.html"
    # An erase forgets the device's language before its progress ends: the progress keeps the
    # reader's (the Apple logo and a word).
    screen_language = virtual.language or (
        translation.get_language() if setup_assistant.activity(virtual) else "en"
    )
    with translation.override(screen_language):
        context = _screen_context(virtual, **extra)
    context["screen_language"] = screen_language
    return render(request, template, context)


@require_GET
@device_page
def device_screen(request: HttpRequest, virtual: VirtualDevice) -> HttpResponse:
    return _render_screen(request, virtual)


def _int(value: str | None) -> int:
    """A posted row id: ASCII digits a table can hold, or 0 (no row). int() alone would read
    "١٢٣" as 123 and a number of 40 digits as one no column holds."""
    text = value or ""
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        return 0
    return int(text)


Action = Callable[[HttpRequest, VirtualDevice], dict[str, Any] | None]


def _shared_password(request: HttpRequest, virtual: VirtualDevice) -> dict[str, Any]:
    address = attempts.client_address(request)
    result = shared_ipad.sign_in(virtual, request.POST.get("password", ""), address=address)
    if result.locked:
        return {"signin_error": attempts.locked_message()}
    if result.must_change_password:
        return {"change_password": True}
    if not result.ok:
        return {"signin_error": _("Incorrect Managed Apple Account or password.")}
    return {"evicted": result.evicted}


def _shared_change_password(request: HttpRequest, virtual: VirtualDevice) -> dict[str, Any]:
    try:
        result = shared_ipad.change_password(
            virtual,
            current=request.POST.get("current", ""),
            new=request.POST.get("new", ""),
            confirm=request.POST.get("confirm", ""),
            address=attempts.client_address(request),
        )
    except ValidationError as exc:
        return {"change_password": True, "password_error": " ".join(exc.messages)}
    if result.locked:
        return {"change_password": True, "password_error": attempts.locked_message()}
    if not result.ok:
        return {
            "change_password": True,
            "password_error": _("The passwords don't match, or the current one is wrong."),
        }
    return {"evicted": result.evicted}


def _open_company_portal(virtual: VirtualDevice) -> dict[str, Any] | None:
    if not setup_assistant.company_portal_available(virtual):
        return {"app_refused": True}
    setup_assistant.open_app(virtual, setup_assistant.COMPANY_PORTAL_BUNDLE_ID)
    return None


def _remove_management(request: HttpRequest, virtual: VirtualDevice) -> dict[str, Any]:
    if not setup_assistant.remove_management(virtual):
        return {"removal_refused": True, "settings_page": "device_management"}
    return {}


def _step(function: Callable[[VirtualDevice], Any]) -> Action:
    """An action that only moves the device on."""

    def action(request: HttpRequest, virtual: VirtualDevice) -> None:
        function(virtual)

    return action


def _choice(function: Callable[[VirtualDevice, str], Any], field: str) -> Action:
    """An action that takes one posted value."""

    def action(request: HttpRequest, virtual: VirtualDevice) -> None:
        function(virtual, request.POST.get(field, ""))

    return action


def _pick(function: Callable[[VirtualDevice, int], Any], field: str) -> Action:
    def action(request: HttpRequest, virtual: VirtualDevice) -> None:
        function(virtual, _int(request.POST.get(field)))

    return action


def _open(request: HttpRequest, virtual: VirtualDevice) -> dict[str, Any] | None:
    app = request.POST.get("app", "")
    if app == setup_assistant.COMPANY_PORTAL_BUNDLE_ID:
        return _open_company_portal(virtual)
    setup_assistant.open_app(virtual, app)
    profile = request.POST.get("profile", "")[:20]
    return {"settings_profile": profile, "settings_page": "profile"} if profile else None


# Each action: the panes it may be pressed on ("pane:*" = any pane after Remote Management).
ACTIONS: dict[str, tuple[tuple[str, ...], Action]] = {
    "hello": (("hello",), _step(lambda virtual: setup_assistant.go(virtual, "language"))),
    "language": (("language",), _choice(setup_assistant.choose_language, "language")),
    "region": (("region",), _choice(setup_assistant.choose_region, "region")),
    "wifi": (("wifi",), _choice(setup_assistant.join_wifi, "network")),
    "remote_management": (("remote_management",), _step(setup_assistant.remote_management_continue)),
    "web_view_cancel": (("web_view",), _step(setup_assistant.web_view_cancel)),
    "retry": (("error",), _step(setup_assistant.retry)),
    "continue": (("pane:*", "not_managed"), _step(setup_assistant.pane_continue)),
    "await": (("configuring",), _step(setup_assistant.awaiting_check)),
    "class": (("home",), _pick(shared_ipad.pick_class, "class")),
    "person": (("home",), _pick(shared_ipad.pick_person, "person")),
    "signin_back": (("home",), _step(shared_ipad.signin_back)),
    "password": (("home",), _shared_password),
    "change_password": (("home",), _shared_change_password),
    "guest": (("home",), _step(shared_ipad.guest_session)),
    "lock": (("home",), _step(setup_assistant.lock)),
    "unlock": (("home",), _step(setup_assistant.unlock)),
    # Sign Out on the lock screen: the sign-in screen comes, not the lock screen again.
    "sign_out": (("home",), _step(lambda virtual: shared_ipad.sign_out(setup_assistant.unlock(virtual)))),
    "open": (("home",), _open),
    "close": (("home",), _step(setup_assistant.close_app)),
    "remove_management": (("home",), _remove_management),
    "erase": (("home",), _step(setup_assistant.erase)),
}


def _pane_matches(allowed: tuple[str, ...], pane: str, posted: str) -> bool:
    if posted != pane:
        return False
    return any(pane == name or (name.endswith("*") and pane.startswith(name[:-1])) for name in allowed)


@require_POST
@device_page
def device_action(request: HttpRequest, virtual: VirtualDevice) -> HttpResponse:
    serial = virtual.device.serial_number
    # A button's own action comes after its form's hidden one.
    name = (request.POST.getlist("action") or [""])[-1]
    extra: dict[str, Any] = {}
    if name == "power_toggle":
        name = "power_on" if virtual.state == VirtualDevice.State.OFF else "power_off"
    if name in ("power_on", "power_off"):
        (setup_assistant.power_on if name == "power_on" else setup_assistant.power_off)(virtual)
    elif name == "restore" and virtual.state != VirtualDevice.State.OFF:
        # A restore from a Mac (Apple Configurator, Finder): the only way out of Setup Assistant
        # for a device that must be erased, since Settings is not reachable there.
        setup_assistant.erase(virtual)
    elif name == "checkin" and virtual.state != VirtualDevice.State.OFF:
        # The desk's *Check in now* (for MDM servers that cannot push to the mock APNs).
        setup_assistant.checkin(virtual)
    elif virtual.state != VirtualDevice.State.OFF and name in ACTIONS:
        allowed, action = ACTIONS[name]
        if _pane_matches(allowed, virtual.pane, request.POST.get("pane", "")):
            extra = action(request, virtual) or {}
    extra.setdefault("settings_page", request.POST.get("page", ""))
    virtual.refresh_from_db()
    if not _htmx(request) and not extra.get("signin_error") and "change_password" not in extra:
        return redirect("ipad_device", serial=serial)
    return _render_screen(request, virtual, **extra)


@require_GET
@device_page
def screen_poll(request: HttpRequest, virtual: VirtualDevice) -> HttpResponse:
    """The page's poll: 204 (htmx swaps nothing) while the screen is the same, else the screen."""
    if request.GET.get("v", "") == screen_fingerprint(virtual):
        return HttpResponse(status=204)
    return _render_screen(request, virtual)


def _web_view_response(answer: web_view.WebViewAnswer) -> HttpResponse:
    """A proxied page, sandboxed: its scripts run in an opaque origin (not the mock's)."""
    response = HttpResponse(answer.content, status=answer.status, content_type=answer.content_type)
    response._csp_replace = {  # type: ignore[attr-defined]
        "sandbox": ["allow-forms", "allow-scripts"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "frame-ancestors": ["'self'"],
    }
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt  # the MDM's page posts its own form (with its own CSRF token) through the proxy
@require_http_methods(["GET", "POST"])
def web_view_page(request: HttpRequest, serial: str, key: str) -> HttpResponse:
    """The web view's proxy (mock_apple.ipad.web_view): GET or POST `?url=` for the device
    whose web view has this key. Its own key, not the device's link: the sandboxed page has no
    session cookie; the key opens this web view, nothing else."""
    device = get_object_or_404(Device.objects.select_related("organization"), serial_number=serial)
    with tenancy.acting_for(device.organization_id):
        virtual = _virtual(device)
        view = web_view.web_view_get(virtual, key)
        if view is None or virtual.pane != "web_view" or virtual.state == VirtualDevice.State.OFF:
            raise Http404
        with translation.override(virtual.language or "en"):
            answer = web_view.web_view_fetch(
                virtual,
                view,
                url=request.GET.get("url", "")[:4000],
                method=request.method or "GET",
                body=request.body if request.method == "POST" else b"",
                # The whole header: a multipart body needs its boundary.
                content_type=request.META.get("CONTENT_TYPE", "") if request.method == "POST" else "",
            )
            if answer.outcome is not None:
                setup_assistant.enrolled(virtual, answer.outcome)
                # The device page's poll shows the next screen; this page says so meanwhile.
                return render(request, "mock_apple/ipad/web_view_done.html", {"outcome": answer.outcome})
    return _web_view_response(answer)


@require_GET
@device_page
def company_portal_app(request: HttpRequest, virtual: VirtualDevice) -> HttpResponse:
    """Launching the Company Portal by its URL: it opens only with user affinity, else says why."""
    extra = _open_company_portal(virtual) if virtual.pane == "home" else None
    virtual.refresh_from_db()
    return _render_screen(request, virtual, **(extra or {}))


# --- Apple's device services ------------------------------------------------------------------


@require_GET
def device_ca(request: HttpRequest) -> HttpResponse:
    authority = push.certificate_authority(CertificateAuthority.Purpose.DEVICE)
    return HttpResponse(authority.certificate_pem, content_type="application/x-pem-file")
