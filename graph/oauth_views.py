"""Entra ID's endpoints for scripts: the token endpoint, its keys and its OpenID configuration.

No session and no CSRF token (a script posts a form); the tenant is the one the URL names, by its
tenant ID or its initial domain, and its scope is opened here. Answers and errors in Entra's shape.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from asm_portal.models import Tenant
from asm_portal.tenancy import tenant_scope
from graph import issuing
from graph.issuing import EntraError


def _origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _entra_error(error: EntraError) -> JsonResponse:
    now = datetime.now(UTC)
    trace_id = str(uuid.uuid4())
    correlation_id = str(uuid.uuid4())
    stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
    description = (
        f"AADSTS{error.code}: {error.description}\r\nTrace ID: {trace_id}\r\n"
        f"Correlation ID: {correlation_id}\r\nTimestamp: {stamp}"
    )
    response = JsonResponse(
        {
            "error": error.error,
            "error_description": description,
            "error_codes": [error.code],
            "timestamp": stamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": f"https://login.microsoftonline.com/error?code={error.code}",
        },
        status=error.status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _tenant_missing(name: str) -> EntraError:
    return EntraError(
        "invalid_request",
        90002,
        f"Tenant '{name}' not found. Check to make sure you have the correct tenant ID and are signing "
        "into the correct cloud.",
    )


def _in_tenant(
    view: Callable[[HttpRequest, Tenant], HttpResponse],
) -> Callable[[HttpRequest, str], HttpResponse]:
    """The tenant the URL names (tenant ID or initial domain), its scope open around the view;
    an unknown tenant is Entra's AADSTS90002."""

    @wraps(view)
    def wrapper(request: HttpRequest, tenant: str) -> HttpResponse:
        found = issuing.tenant_resolve(tenant)
        if found is None:
            return _entra_error(_tenant_missing(tenant))
        with tenant_scope(found):
            return view(request, found)

    return wrapper


@csrf_exempt
@login_not_required
@require_http_methods(["POST"])
@_in_tenant
def token(request: HttpRequest, found: Tenant) -> HttpResponse:
    if request.content_type != "application/x-www-form-urlencoded":
        return _entra_error(
            EntraError(
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'grant_type'. The body must be "
                "application/x-www-form-urlencoded.",
            )
        )
    params = {key: request.POST.get(key, "") for key in request.POST}
    try:
        access = issuing.access_token_issue(
            tenant=found,
            params=params,
            issuer=f"{_origin(request)}/{found.tenant_id}/v2.0",
            token_url=request.build_absolute_uri(request.path),
        )
    except EntraError as error:
        return _entra_error(error)
    response = JsonResponse(
        {
            "token_type": "Bearer",
            "expires_in": access.expires_in,
            "ext_expires_in": access.expires_in,
            "access_token": access.value,
        }
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@login_not_required
@require_GET
@_in_tenant
def keys(request: HttpRequest, found: Tenant) -> HttpResponse:
    return JsonResponse(issuing.signing_keys_jwks())


@login_not_required
@require_GET
@_in_tenant
def openid_configuration(request: HttpRequest, found: Tenant) -> HttpResponse:
    base = f"{_origin(request)}/{found.tenant_id}"
    body: dict[str, Any] = {
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
        "jwks_uri": f"{base}/discovery/v2.0/keys",
        "response_modes_supported": [],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": [],
        "scopes_supported": ["https://graph.microsoft.com/.default"],
        "grant_types_supported": ["client_credentials"],
        "issuer": f"{base}/v2.0",
        "request_uri_parameter_supported": False,
        "tenant_region_scope": "EU",
        "cloud_instance_name": request.get_host(),
        "msgraph_host": request.get_host(),
    }
    return JsonResponse(body)
