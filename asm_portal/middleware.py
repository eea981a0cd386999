from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth import logout
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    StreamingHttpResponse,
)
from django.utils import translation
from django.utils.translation import gettext as _
from django_scopes import scope
from django_scopes.state import state as scope_state

from asm_portal.models import UserPreference
from asm_portal.roles import READ_ONLY_OPERATOR
from asm_portal.tenancy import looked_at, tenant_of


class TenantScopeMiddleware:
    """Open the signed-in user's tenant scope around the view (see asm_portal.tenancy): every
    query of a tenant's table in the request sees that tenant's rows only. Requests without a
    user (the sign-in page, what devices call) run without a scope: the views that serve
    devices find their tenant from the object the device names, and say so."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            # No tenant at all, whatever scope the server thread was left in: a view serving
            # devices names its tenant itself, from the object the device asks for.
            reset = scope_state.set({})
            try:
                return self.get_response(request)
            finally:
                scope_state.reset(reset)
        tenant = tenant_of(user)
        if tenant is None:
            # An account made outside the portal (createsuperuser) that nobody put in a tenant:
            # it may see nothing, and is signed out so that another account can sign in.
            logout(request)
            return HttpResponseForbidden(
                _("This account belongs to no tenant. Ask an administrator to add it to a tenant."),
                content_type="text/plain; charset=utf-8",
            )
        looked = looked_at(request, user)
        if looked is not None:
            # A trainer looking at a trainee's tenant sees it as its users do, and changes
            # nothing: for this request the trainer is a read-only operator of that tenant.
            tenant = looked
            request.looking_at = looked  # type: ignore[attr-defined]
            user._asm_roles = {READ_ONLY_OPERATOR}
        request.tenant = tenant  # type: ignore[attr-defined]
        with scope(tenant=tenant):
            response = self.get_response(request)
            if isinstance(response, StreamingHttpResponse):
                # A streamed body (the CSV export) is read after the view returns: its rows are
                # queried then, so the scope must travel with it.
                response.streaming_content = _scoped_stream(response.streaming_content, tenant)
            return response


def _scoped_stream(content: Any, tenant: Any) -> Any:
    with scope(tenant=tenant):
        yield from content


class UserLanguageMiddleware:
    """A signed-in user's saved language wins over the browser's, on every device they use."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = UserPreference.objects.filter(user=user).values_list("language", flat=True).first()
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class RefuseNulMiddleware:
    """A NUL character in the path, a query string or a form answers 400: PostgreSQL refuses it in
    any text it is given, so it would otherwise end in a 500 wherever a value reaches a query
    (`/ipad/%00/` looked a serial number up). The bodies of CSRF-exempt views are theirs to read
    (the roster upload adds its quota handler before anything reads the body; devices post
    plists; Apple's APIs on the mock answer in Apple's own shape): they are left to their own
    parsing. Both services run it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if "\x00" in request.path or any("\x00" in str(value) for value in view_kwargs.values()):
            return _nul_refused()
        params = [] if getattr(view_func, "reads_own_query", False) else [request.GET]
        form = request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
        if request.method == "POST" and form and not getattr(view_func, "csrf_exempt", False):
            params.append(request.POST)
        for query in params:
            for key, values in query.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    return _nul_refused()
        return None


_View = TypeVar("_View", bound=Callable[..., Any])


def reads_own_query(view: _View) -> _View:
    """Mark a view whose query values never reach the database and that refuses what it cannot
    read itself: RefuseNulMiddleware leaves its query alone. (SCEP: a POST's message is the body;
    some clients repeat it, raw, in the query — RFC 8894 §4.3 does not use that value.)"""
    view.reads_own_query = True  # type: ignore[attr-defined]
    return view


def _nul_refused() -> HttpResponse:
    return HttpResponseBadRequest(
        _("The request contains a NUL character."), content_type="text/plain; charset=utf-8"
    )


# Features no page of either service uses: denied to every frame, scripts included.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "browsing-topics",
    )
)


class PermissionsPolicyMiddleware:
    """`Permissions-Policy` on every response of both services (Django has no setting for it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
