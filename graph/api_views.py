"""Microsoft Graph's enrollment program endpoints (beta), for scripts and the Graph SDKs.

One view reads the path the way Graph does (`depOnboardingSettings/{id}` or
`depOnboardingSettings('{id}')`, functions with or without `()`), authenticates the bearer token,
opens the scope of the token's tenant (`tid`), applies the app's request limit, and hands the
call to a handler in `graph.handlers`. Every answer carries `request-id`; every error has Graph's
shape, with `innerError`.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from asm_portal.tenancy import tenant_scope
from graph import handlers, issuing, managed_devices
from graph.handlers import GraphCall, GraphError
from graph.issuing import InvalidToken

_KEY = re.compile(r"^([A-Za-z.]+)\('?([^'()]*)'?\)$")


def _segments(path: str) -> list[str]:
    """`a/b('x')/c()` → ["a", "b", "x", "c"]; `microsoft.graph.` prefixes dropped."""
    segments: list[str] = []
    for part in path.strip("/").split("/"):
        if not part:
            continue
        part = part.removeprefix("microsoft.graph.")
        if part.endswith("()"):
            part = part[:-2]
        if match := _KEY.match(part):
            segments.extend([match.group(1), match.group(2)])
        else:
            segments.append(part)
    return segments


def error_response(
    status: int, code: str, message: str, call_ids: tuple[str, str], **extra: Any
) -> JsonResponse:
    request_id, client_request_id = call_ids
    body: dict[str, Any] = {"code": code, "message": message, **extra}
    body["innerError"] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": request_id,
        "client-request-id": client_request_id,
    }
    return JsonResponse({"error": body}, status=status)


def _bearer(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _space, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _retry_after(client_id: str) -> int | None:
    """Seconds to wait when the app has used up its requests in the current window, else None."""
    window = max(1, settings.GRAPH_RATE_LIMIT_WINDOW_SECONDS)
    now = time.time()
    key = f"graph:limit:{client_id}:{int(now // window)}"
    cache.add(key, 0, timeout=window * 2)
    try:
        used = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=window * 2)
        used = 1
    if used > settings.GRAPH_RATE_LIMIT_REQUESTS:
        return int(window - now % window) + 1
    return None


def _body(request: HttpRequest) -> dict[str, Any]:
    if request.method not in ("POST", "PATCH", "PUT") or not request.body:
        return {}
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise GraphError(400, "BadRequest", "Unable to read JSON request payload.") from None
    if not isinstance(body, dict):
        raise GraphError(400, "BadRequest", "The request payload must be a JSON object.")
    return body


def _origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


@csrf_exempt
@login_not_required
def graph(request: HttpRequest, path: str) -> HttpResponse:
    request_id = str(uuid.uuid4())
    client_request_id = request.headers.get("client-request-id", "")[:100] or request_id
    ids = (request_id, client_request_id)
    try:
        response = _serve(request, path)
    except GraphError as error:
        response = error_response(error.status, error.code, error.message, ids, **error.extra)
        if error.retry_after is not None:
            response.headers["Retry-After"] = str(error.retry_after)
    except PermissionDenied:
        response = error_response(
            403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", ids
        )
    response.headers["request-id"] = request_id
    response.headers["client-request-id"] = client_request_id
    response.headers["Cache-Control"] = "no-store"
    return response


def _serve(request: HttpRequest, path: str) -> HttpResponse:
    token = _bearer(request)
    if not token:
        raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.")
    try:
        tenant = issuing.access_token_tenant(token)
    except InvalidToken as invalid:
        raise GraphError(401, "InvalidAuthenticationToken", str(invalid)) from None
    with tenant_scope(tenant):
        try:
            caller = issuing.access_token_verify(token, tenant=tenant)
        except InvalidToken as invalid:
            raise GraphError(401, "InvalidAuthenticationToken", str(invalid)) from None
        retry_after = _retry_after(str(caller.app.client_id))
        if retry_after is not None:
            raise GraphError(
                429,
                "TooManyRequests",
                "Too many requests from this application in this tenant. Retry after the time the "
                "Retry-After header gives.",
                retry_after=retry_after,
            )
        call = GraphCall(
            method=request.method or "GET",
            segments=_segments(path),
            path=path,
            params=request.GET,
            headers=request.headers,
            body=_body(request),
            caller=caller,
            origin=_origin(request),
        )
        if tuple(call.segments[:2]) == managed_devices.MANAGED:
            return managed_devices.dispatch(call)
        return handlers.dispatch(call)
