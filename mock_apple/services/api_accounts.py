"""API accounts of the School Manager API (Preferences › API) and their OAuth 2 tokens.

An account is a client id (`SCHOOLAPI.<uuid>`, `BUSINESSAPI.<uuid>` for Apple Business), a key
id and the public half of a P-256 key: the private half is handed out once, never stored. A
client trades a signed client assertion (an ES256 JWT) for an opaque access token of an hour,
stored as a SHA-256 digest; revoking the account kills its tokens.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from mock_apple import auth, clock
from mock_apple.db import DB, commit_unsynced, organization_lock
from mock_apple.models import (
    ActivityLog,
    ApiAccessToken,
    ApiAccount,
    ApiAssertionId,
    AppleAccount,
    Organization,
)

MAX_ACCOUNTS = 50
AUDIENCE = "https://account.apple.com/auth/oauth2/v2/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_ASSERTION_LIFETIME = timedelta(days=180)
TOKEN_LIFETIME = timedelta(seconds=3600)
HOUSEKEEPING_EVERY = 100  # tokens issued between two clean-ups of expired tokens and jtis
SCHOOL_SCOPE = "school.api"
BUSINESS_SCOPE = "business.api"


def is_business(organization: Organization) -> bool:
    return organization.org_type == Organization.OrgType.ORG


def scope_of(organization: Organization) -> str:
    return BUSINESS_SCOPE if is_business(organization) else SCHOOL_SCOPE


@dataclass(frozen=True)
class NewAccount:
    account: ApiAccount
    private_key_pem: str
    scope: str


def require_api_manager(actor: AppleAccount | None) -> None:
    """Administrators and Site Managers create and revoke API accounts (None: the CLI)."""
    auth.require_people_manager(actor)


def _activity_record(*, account: ApiAccount, action: str, actor: AppleAccount | None, origin: str) -> None:
    """The organisation's activity log: the signed-in account, else what acted (`origin`)."""
    ActivityLog.objects.create(
        organization_id=account.organization_id,
        created_at=clock.now(),
        actor=actor.apple_id if actor else origin,
        action=action,
        subject=account.name,
        client_id=account.client_id,
    )


def api_account_create(
    *, actor: AppleAccount | None, organization: Organization, name: str, origin: str = ""
) -> NewAccount:
    """`origin`: who acts when there is no signed-in account (the command line, the control API),
    for the activity log."""
    require_api_manager(actor)
    name = name.strip()
    if not name:
        raise ValidationError(_("Enter a name for the API account."), code="required")
    if len(name) > 200:
        raise ValidationError(_("The name can have at most 200 characters."), code="max_length")
    key = ec.generate_private_key(ec.SECP256R1())
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    prefix = "BUSINESSAPI" if is_business(organization) else "SCHOOLAPI"
    with transaction.atomic(using=DB):
        # The organisation's row is the lock: two creations cannot both take the 50th place.
        organization_lock(organization)
        if (
            ApiAccount.objects.filter(organization=organization, revoked_at__isnull=True).count()
            >= MAX_ACCOUNTS
        ):
            raise ValidationError(
                _("Your organisation already has %(count)d API accounts, the most allowed. Revoke one first.")
                % {"count": MAX_ACCOUNTS},
                code="too_many",
            )
        account = ApiAccount.objects.create(
            organization=organization,
            name=name,
            client_id=f"{prefix}.{uuid.uuid4()}",
            key_id=str(uuid.uuid4()),
            public_key_pem=public_pem,
            created_by=actor.apple_id if actor else origin,
            created_at=clock.now(),
        )
        _activity_record(
            account=account, action=ActivityLog.Action.API_ACCOUNT_CREATED, actor=actor, origin=origin
        )
    return NewAccount(account=account, private_key_pem=private_pem, scope=scope_of(organization))


def api_account_revoke(*, actor: AppleAccount | None, account: ApiAccount, origin: str = "") -> ApiAccount:
    """Revoke: the account's assertions and every token it holds stop working at once (logged
    once: revoking a revoked account does nothing)."""
    require_api_manager(actor)
    if account.revoked_at is None:
        with transaction.atomic(using=DB):
            account.revoked_at = clock.now()
            account.revoked_by = actor.apple_id if actor else origin
            account.save(update_fields=["revoked_at", "revoked_by"])
            ApiAccessToken.objects.filter(account=account).delete()
            _activity_record(
                account=account, action=ActivityLog.Action.API_ACCOUNT_REVOKED, actor=actor, origin=origin
            )
    return account


def api_tokens_expire(*, organization: Organization | None = None) -> int:
    """Fault injection: every access token (of one organisation) expires now."""
    tokens = ApiAccessToken.objects.all()
    if organization is not None:
        tokens = tokens.filter(account__organization=organization)
    return tokens.update(expires_at=clock.now() - timedelta(seconds=1))


# --- OAuth 2: client credentials with a client assertion ------------------------------------


class OAuthError(Exception):
    """An RFC 6749 §5.2 error: invalid_request, invalid_client, invalid_grant or invalid_scope."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def _required(form: Any, name: str) -> str:
    value = form.get(name)
    if not value or not isinstance(value, str):
        raise OAuthError("invalid_request", f"The {name} parameter is missing.")
    return str(value)


def token_issue(*, form: Any, account: ApiAccount | None = None) -> tuple[str, int]:
    """The access token and its lifetime for a token request (a form's mapping of fields).
    `account`: the form's client, if the caller has already read it (with its organisation)."""
    if _required(form, "grant_type") != "client_credentials":
        raise OAuthError("invalid_request", "The grant_type must be client_credentials.")
    client_id = _required(form, "client_id")
    if _required(form, "client_assertion_type") != ASSERTION_TYPE:
        raise OAuthError("invalid_request", f"The client_assertion_type must be {ASSERTION_TYPE}.")
    assertion = _required(form, "client_assertion")
    scope = _required(form, "scope")
    if account is None or account.client_id != client_id:
        account = ApiAccount.objects.select_related("organization").filter(client_id=client_id).first()
    if account is None or account.revoked_at is not None:
        raise OAuthError("invalid_client", "The client is unknown or was revoked.")
    claims = _assertion_verify(account, assertion)
    if scope.split() != [scope_of(account.organization)]:
        raise OAuthError("invalid_scope", f"This client's scope is {scope_of(account.organization)}.")
    value = secrets.token_urlsafe(40)
    now = clock.now()
    # One transaction: every commit that waits for the disk is the token endpoint's main cost (a
    # lost token or jti costs the client a new request). The assertion's jti is its first row: a
    # reused one fails the whole transaction, no savepoint.
    try:
        with transaction.atomic(using=DB):
            commit_unsynced()
            ApiAssertionId.objects.create(
                client_id=client_id,
                jti=claims["jti"][:255],
                expires_at=datetime.fromtimestamp(claims["exp"], tz=UTC),
            )
            token = ApiAccessToken.objects.create(
                token_digest=digest(value), account=account, created_at=now, expires_at=now + TOKEN_LIFETIME
            )
            if token.pk % HOUSEKEEPING_EVERY == 0:
                ApiAccessToken.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
                ApiAssertionId.objects.filter(expires_at__lt=now).delete()
    except IntegrityError:
        raise OAuthError("invalid_grant", "This client assertion (jti) was already used.") from None
    return value, int(TOKEN_LIFETIME.total_seconds())


def _assertion_verify(account: ApiAccount, assertion: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.InvalidTokenError:
        raise OAuthError("invalid_client", "The client assertion is not a JWT.") from None
    if header.get("alg") != "ES256":
        raise OAuthError("invalid_client", "The client assertion must be signed with ES256.")
    if header.get("kid") != account.key_id:
        raise OAuthError("invalid_client", "The kid is not a key of this client.")
    try:
        # The times are checked below against the mock's clock, not the machine's.
        claims: dict[str, Any] = jwt.decode(
            assertion,
            account.public_key_pem,
            algorithms=["ES256"],
            audience=AUDIENCE,
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
            leeway=0,
        )
    except jwt.InvalidAudienceError:
        raise OAuthError("invalid_client", f"The aud claim must be {AUDIENCE}.") from None
    except jwt.InvalidSignatureError:
        raise OAuthError("invalid_client", "The client assertion's signature is not valid.") from None
    except jwt.InvalidTokenError as error:
        raise OAuthError("invalid_client", f"The client assertion is not valid: {error}.") from None
    if claims.get("iss") != account.client_id or claims.get("sub") != account.client_id:
        raise OAuthError("invalid_client", "The iss and sub claims must be the client id.")
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int | float) or not isinstance(exp, int | float):
        raise OAuthError("invalid_grant", "The iat and exp claims are required.")
    now = clock.now().timestamp()
    if iat > now:
        raise OAuthError("invalid_grant", "The client assertion was issued in the future (iat).")
    if exp <= now:
        raise OAuthError("invalid_grant", "The client assertion has expired (exp).")
    if exp - iat > MAX_ASSERTION_LIFETIME.total_seconds():
        raise OAuthError("invalid_grant", "The client assertion may live at most 180 days.")
    if not isinstance(claims.get("jti"), str) or not claims["jti"]:
        raise OAuthError("invalid_grant", "The jti claim is required.")
    return claims


def token_lookup(value: str) -> ApiAccessToken | None:
    """The token of a bearer value, live or not (with its account and organisation): whose clock,
    limits and faults the call meets before token_live() checks it."""
    if not value:
        return None
    return (
        ApiAccessToken.objects.select_related("account__organization")
        .filter(token_digest=digest(value))
        .first()
    )


def token_live(token: ApiAccessToken | None) -> ApiAccessToken | None:
    """The token if it is live: not expired on the mock's clock, its account not revoked."""
    if token is None or token.expires_at <= clock.now() or token.account.revoked_at is not None:
        return None
    return token


def token_find(value: str) -> ApiAccessToken | None:
    """The live token for a bearer value (expired on the mock's clock, or revoked: None)."""
    return token_live(token_lookup(value))


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
