"""The tenant's token endpoint: client credentials in, an RS256 access token for Graph out.

Entra's v2.0 endpoint, as far as the enrollment program's scripts need it: `client_credentials`
with a client secret or with a client assertion signed by a certificate uploaded to the app,
the scope `https://graph.microsoft.com/.default`, errors with Entra's AADSTS codes. The access
token carries `aud`, `tid`, `appid` and `roles`; Graph checks it with the tenant's public key.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import transaction
from jwt.algorithms import RSAAlgorithm

from asm_portal import clock
from asm_portal.models import Tenant
from graph.models import AppCertificate, AppRegistration, ClientSecret, SigningKey
from graph.registrations import secret_digest
from tokens import pki

GRAPH_AUDIENCE = "https://graph.microsoft.com"
GRAPH_SCOPES = ("https://graph.microsoft.com/.default", "00000003-0000-0000-c000-000000000000/.default")
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class EntraError(Exception):
    """An answer of Entra's token endpoint: `error`, an AADSTS code and its description."""

    def __init__(self, error: str, code: int, description: str, status: int = 400) -> None:
        super().__init__(f"AADSTS{code}: {description}")
        self.error = error
        self.code = code
        self.description = description
        self.status = status


@dataclass(frozen=True)
class AccessToken:
    value: str
    expires_in: int


@dataclass(frozen=True)
class Caller:
    """Who a verified access token speaks for."""

    tenant: Tenant
    app: AppRegistration
    roles: tuple[str, ...]


def tenant_resolve(name: str) -> Tenant | None:
    """A tenant named in a URL the way Entra accepts it: its tenant ID or its initial domain."""
    try:
        return Tenant.objects.filter(tenant_id=uuid.UUID(name)).first()
    except ValueError:
        return Tenant.objects.filter(initial_domain__iexact=name).first()


# --- Signing keys --------------------------------------------------------------------------

# Loaded keys, by kid: decrypting and parsing a key costs more than the whole token request.
_LOADED: dict[str, rsa.RSAPrivateKey] = {}


def _kid(public_jwk: dict[str, Any]) -> str:
    digest = hashlib.sha256(f"{public_jwk['e']}.{public_jwk['n']}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:20]).decode().rstrip("=")


def signing_key_current() -> SigningKey:
    """The current tenant's signing key, made on first use (in the caller's tenant scope)."""
    key = SigningKey.objects.first()
    if key is not None:
        return key
    with transaction.atomic():
        private = pki.rsa_key_generate()
        public_jwk: dict[str, Any] = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
        kid = _kid(public_jwk)
        public_jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
        return SigningKey.objects.create(
            kid=kid,
            private_key=pki.private_key_to_pem(private),
            public_jwk=public_jwk,
            created_at=clock.now(),
        )


def _private_key(key: SigningKey) -> rsa.RSAPrivateKey:
    loaded = _LOADED.get(key.kid)
    if loaded is None:
        loaded = _LOADED[key.kid] = pki.private_key_from_pem(key.private_key)
    return loaded


def signing_keys_jwks() -> dict[str, Any]:
    """The tenant's public keys as a JSON Web Key Set (discovery/v2.0/keys)."""
    signing_key_current()
    return {"keys": [dict(key.public_jwk) for key in SigningKey.objects.all()]}


# --- Client authentication -----------------------------------------------------------------


def _app_find(client_id: str, tenant: Tenant) -> AppRegistration:
    app = None
    with contextlib.suppress(ValueError):
        app = AppRegistration.objects.filter(client_id=uuid.UUID(client_id)).first()
    if app is None:
        raise EntraError(
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{tenant.display_name}'. This can happen if the application has not been installed by "
            "the administrator of the tenant or consented to by any user in the tenant. You may have "
            "sent your authentication request to the wrong tenant.",
        )
    return app


def _secret_check(app: AppRegistration, value: str) -> None:
    digest = secret_digest(value)
    match = None
    for secret in ClientSecret.objects.filter(app=app):
        if hmac.compare_digest(secret.secret_sha256, digest):
            match = secret
    if match is None:
        raise EntraError(
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the "
            f"client secret value, not the client secret ID, for a secret added to app '{app.client_id}'.",
            status=401,
        )
    if match.expires_at <= clock.now():
        raise EntraError(
            "invalid_client",
            7000222,
            f"The provided client secret keys for app '{app.client_id}' are expired. Visit the Azure "
            "portal to create new keys for your app or consider using certificate credentials for "
            "added security.",
            status=401,
        )


def _assertion_check(app: AppRegistration, assertion: str, token_url: str) -> None:
    """A client assertion (RFC 7523) signed with the key of a certificate uploaded to the app,
    named by its SHA-1 thumbprint in `x5t`."""
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        raise EntraError("invalid_client", 50027, "JWT token is invalid or malformed.") from None
    thumbprint_b64 = str(header.get("x5t", ""))
    try:
        thumbprint = base64.urlsafe_b64decode(thumbprint_b64 + "=" * (-len(thumbprint_b64) % 4)).hex().upper()
    except ValueError:
        thumbprint = ""
    certificate = AppCertificate.objects.filter(app=app, thumbprint=thumbprint).first()
    if certificate is None:
        raise EntraError(
            "invalid_client",
            700027,
            f"The certificate with identifier used to sign the client assertion is not registered on "
            f"application. [Reason - The key was not found., Thumbprint of key used by client: "
            f"'{thumbprint}'].",
            status=401,
        )
    public_key = x509.load_pem_x509_certificate(certificate.certificate_pem.encode()).public_key()
    try:
        claims = jwt.decode(
            assertion,
            public_key,  # type: ignore[arg-type]
            algorithms=["RS256", "PS256"],
            audience=token_url,
            options={"require": ["exp", "aud", "iss", "sub"]},
            leeway=300,
        )
    except jwt.ExpiredSignatureError:
        raise EntraError(
            "invalid_client", 700024, "Client assertion is not within its valid time range.", status=401
        ) from None
    except jwt.InvalidAudienceError:
        raise EntraError(
            "invalid_client",
            700021,
            f"Client assertion audience claim does not match Realm issuer. Expected '{token_url}'.",
            status=401,
        ) from None
    except jwt.PyJWTError:
        raise EntraError(
            "invalid_client", 700027, "Client assertion contains an invalid signature.", status=401
        ) from None
    if claims.get("iss") != str(app.client_id) or claims.get("sub") != str(app.client_id):
        raise EntraError(
            "invalid_client",
            700023,
            "Client assertion failed signature validation: the iss and sub claims must be the client ID.",
            status=401,
        )


def _required(params: dict[str, str], name: str) -> str:
    value = params.get(name, "")
    if not value:
        raise EntraError(
            "invalid_request", 900144, f"The request body must contain the following parameter: '{name}'."
        )
    return value


def access_token_issue(*, tenant: Tenant, params: dict[str, str], issuer: str, token_url: str) -> AccessToken:
    """Check a token request (in the tenant's scope) and sign its access token."""
    grant_type = _required(params, "grant_type")
    if grant_type != "client_credentials":
        raise EntraError(
            "unsupported_grant_type",
            70003,
            f"The app requested an unsupported grant type '{grant_type}'. This emulator issues "
            "tokens for the client credentials grant only.",
        )
    client_id = _required(params, "client_id")
    scope = _required(params, "scope")
    if scope.strip() not in GRAPH_SCOPES:
        raise EntraError(
            "invalid_scope",
            1002012,
            f"The provided value for scope {scope} is not valid. Client credential flows must have a "
            "scope value with /.default suffixed to the resource identifier (application ID URI).",
        )
    app = _app_find(client_id, tenant)
    if params.get("client_secret"):
        _secret_check(app, params["client_secret"])
        appidacr = "1"
    elif params.get("client_assertion"):
        if params.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
            raise EntraError(
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'client_assertion_type'.",
            )
        _assertion_check(app, params["client_assertion"], token_url)
        appidacr = "2"
    else:
        raise EntraError(
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            status=401,
        )
    return _sign(tenant=tenant, app=app, issuer=issuer, appidacr=appidacr)


def _sign(*, tenant: Tenant, app: AppRegistration, issuer: str, appidacr: str) -> AccessToken:
    key = signing_key_current()
    # Wall-clock time, not the tenant's demo clock: clients check exp against their own clock.
    now = int(time.time())
    lifetime = settings.GRAPH_ACCESS_TOKEN_SECONDS
    object_id = str(uuid.uuid5(app.client_id, "servicePrincipal"))
    claims = {
        "aud": GRAPH_AUDIENCE,
        "iss": issuer,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "app_displayname": app.display_name,
        "appid": str(app.client_id),
        "appidacr": appidacr,
        "idtyp": "app",
        "oid": object_id,
        "sub": object_id,
        "roles": app.granted_roles,
        "tid": str(tenant.tenant_id),
        "uti": base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="),
        "ver": "1.0",
    }
    value = jwt.encode(claims, _private_key(key), algorithm="RS256", headers={"kid": key.kid, "x5t": key.kid})
    return AccessToken(value=value, expires_in=lifetime)


# --- Verification (Graph's side) --------------------------------------------------------------


class InvalidToken(Exception):
    pass


def access_token_tenant(value: str) -> Tenant:
    """The tenant an access token claims (not yet verified: the tenant's key verifies it)."""
    try:
        claims = jwt.decode(value, options={"verify_signature": False})
        tenant = Tenant.objects.filter(tenant_id=uuid.UUID(str(claims.get("tid", "")))).first()
    except (jwt.PyJWTError, ValueError):
        raise InvalidToken("Access token is malformed.") from None
    if tenant is None:
        raise InvalidToken("Access token is from an unknown tenant.")
    return tenant


# Tokens already verified by this process, until they expire: a script sends the same token with
# every call, and checking its RSA signature and its key again each time would double the cost of
# a small call. The app is still looked up on every call.
_VERIFIED: OrderedDict[str, dict[str, Any]] = OrderedDict()
_VERIFIED_MAX = 2048


def _claims_verified(value: str) -> dict[str, Any]:
    try:
        kid = str(jwt.get_unverified_header(value).get("kid", ""))
    except jwt.PyJWTError:
        raise InvalidToken("Access token is malformed.") from None
    key = SigningKey.objects.filter(kid=kid).first()
    if key is None:
        raise InvalidToken("Access token validation failure: unknown signing key.")
    try:
        claims: dict[str, Any] = jwt.decode(
            value,
            _private_key(key).public_key(),
            algorithms=["RS256"],
            audience=GRAPH_AUDIENCE,
            options={"require": ["exp", "tid", "appid"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("Lifetime validation failed, the token is expired.") from None
    except jwt.PyJWTError:
        raise InvalidToken("Access token validation failure. Invalid audience or signature.") from None
    return claims


def access_token_verify(value: str, *, tenant: Tenant) -> Caller:
    """Verify an access token in its tenant's scope: signature, audience, lifetime, and that the
    app still exists (a deleted app's tokens stop working at once)."""
    claims = _VERIFIED.get(value)
    if claims is None or claims["exp"] <= time.time():
        _VERIFIED.pop(value, None)
        claims = _claims_verified(value)
        _VERIFIED[value] = claims
        while len(_VERIFIED) > _VERIFIED_MAX:
            _VERIFIED.popitem(last=False)
    if claims.get("tid") != str(tenant.tenant_id):
        raise InvalidToken("Access token validation failure: wrong tenant.")
    try:
        app = AppRegistration.objects.filter(client_id=uuid.UUID(str(claims["appid"]))).first()
    except ValueError:
        app = None
    if app is None:
        raise InvalidToken("Access token validation failure: the application no longer exists.")
    return Caller(tenant=tenant, app=app, roles=tuple(str(role) for role in claims.get("roles") or ()))
