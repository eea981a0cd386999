"""Enrollment program tokens: the public key of a token request, upload, renewal, deletion,
sync requests, the DEP client that speaks for a token and the bookkeeping of Apple's answers.

Every bad input raises an error whose message says what is wrong and what to do, in the
request's language, and changes nothing: every check (Apple's included) runs before the one
transaction that saves.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import PROTECT, RESTRICT, Min, Model, ProtectedError, RestrictedError
from django.db.models.deletion import get_candidate_relations_to_delete
from django.db.models.fields.reverse_related import ForeignObjectRel
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django.views.decorators.debug import sensitive_variables

from asm_portal import clock, roles
from asm_portal.models import AuditEvent
from asm_portal.roles import Actor
from asm_portal.services import audit_record
from tokens import apple_errors, pki, signals
from tokens.apple_retry import error_code
from tokens.dep_client import DepClient, DepError, OAuthCredentials
from tokens.models import EnrollmentProgramToken, TokenEncryptionKey
from tokens.push_certificates import push_certificate_active
from tokens.refusals import TokenDeletionError, UploadError, refusal_date

logger = logging.getLogger(__name__)

# Audit rows are stored in English whatever the language of the request.
AUDIT_TOKEN = gettext_noop("Enrollment program token")


# --- Public keys of token requests ---------------------------------------------------------


def token_public_key_create(
    *, actor: Actor, token: EnrollmentProgramToken | None = None, data_sharing_consent: bool
) -> TokenEncryptionKey:
    """A new key pair whose certificate (.pem) the administrator uploads to Apple School Manager."""
    roles.require_change_permission(actor)
    now = clock.now()
    # A key lives as long as the session that downloaded it (Intune: "keep this tab open").
    TokenEncryptionKey.objects.filter(
        created_at__lt=now - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    ).delete()
    key = pki.rsa_key_generate()
    certificate = pki.token_certificate_create(
        key, common_name="Microsoft Intune enrollment program token", now=now
    )
    encryption_key = TokenEncryptionKey.objects.create(
        private_key=pki.private_key_to_pem(key),
        certificate_pem=pki.certificate_to_pem(certificate),
        created_at=now,
        created_by=actor if isinstance(actor, User) else None,
        token=token,
        data_sharing_consent=data_sharing_consent,
    )
    audit_record(
        actor=actor,
        category=AuditEvent.Category.ENROLLMENT,
        action=gettext_noop("Download enrollment program token public key"),
        target=token,
        target_type=AUDIT_TOKEN,
    )
    return encryption_key


# --- Enrollment program tokens ---------------------------------------------------------------


def _consumer_key_digest(consumer_key: str) -> str:
    return hashlib.sha256(consumer_key.encode("utf-8")).hexdigest()


@sensitive_variables("credentials", "client")
def _apple_account(credentials: OAuthCredentials) -> dict[str, Any]:
    """Verify the token with Apple (GET /session, then GET /account); the MDM server's details."""
    client = DepClient(credentials)
    try:
        account = client.account()
    except DepError as error:
        logger.info("Apple refused a token upload: HTTP %s %s", error.status, error.code)
        problem = "apple_unreachable" if error.unreachable else f"apple_{error.code or error.status}"
        raise UploadError(
            apple_errors.apple_error_message(error.code, error.status, verifying=True), code=problem
        ) from None
    for name in ("server_name", "server_uuid"):
        value = account.get(name)
        if not isinstance(value, str) or not value.strip():
            raise UploadError(
                _("Apple’s answer about this token could not be understood. Try again later."),
                code="apple_invalid_response",
            )
    return account


def _token_type(account: dict[str, Any]) -> str:
    if account.get("org_type") == "edu" and account.get("org_version") == "v2":
        return EnrollmentProgramToken.TokenType.APPLE_SCHOOL_MANAGER
    return EnrollmentProgramToken.TokenType.DEP


def _encryption_keys(key_ids: list[int], token: EnrollmentProgramToken | None) -> list[TokenEncryptionKey]:
    keys = TokenEncryptionKey.objects.filter(pk__in=key_ids)
    keys = keys.filter(token=token) if token is not None else keys.filter(token__isnull=True)
    found = list(keys.order_by("-created_at", "-pk"))
    if not found:
        raise UploadError(
            _(
                "Download your public key first (step 1), upload it to your MDM server in Apple School "
                "Manager, then download the token: Apple encrypts the token with that key."
            ),
            code="no_public_key",
        )
    return found


@sensitive_variables("keys", "recipients", "server_token")
def _server_token_read(
    data: bytes, key_ids: list[int], token: EnrollmentProgramToken | None
) -> tuple[TokenEncryptionKey, pki.ServerToken]:
    keys = _encryption_keys(key_ids, token)
    recipients = [
        pki.RecipientKey(
            certificate=pki.certificate_from_pem(key.certificate_pem),
            private_key=pki.private_key_from_pem(key.private_key),
        )
        for key in keys
    ]
    try:
        recipient, server_token = pki.server_token_read(data, recipients)
    except pki.ServerTokenError as error:
        raise UploadError(
            apple_errors.server_token_problem_message(error), code=error.problem.value
        ) from None
    if server_token.access_token_expiry <= clock.now():
        raise UploadError(
            _("This token expired on %(date)s. Download a new token from Apple School Manager.")
            % {"date": refusal_date(server_token.access_token_expiry)},
            code="expired",
        )
    return keys[recipients.index(recipient)], server_token


def _duplicate_error(existing: EnrollmentProgramToken) -> UploadError:
    return UploadError(
        _(
            "This server token is already uploaded as the token “%(name)s”. To give it a new server "
            "token, renew “%(name)s” instead."
        )
        % {"name": existing.token_name},
        code="duplicate",
    )


def _limit_check() -> None:
    limit = settings.ASM_MAX_ENROLLMENT_PROGRAM_TOKENS
    if EnrollmentProgramToken.objects.count() >= limit:
        raise UploadError(
            ngettext(
                "This tenant already has the maximum of %(limit)d enrollment program token. Delete a "
                "token you no longer use before adding another.",
                "This tenant already has the maximum of %(limit)d enrollment program tokens. Delete a "
                "token you no longer use before adding another.",
                limit,
            )
            % {"limit": limit},
            code="limit",
        )


def _push_certificate_check() -> None:
    if push_certificate_active() is None:
        raise UploadError(
            _(
                "An active Apple MDM Push certificate is required before an enrollment program token can "
                "be added or renewed: Intune needs it to manage the devices the token brings."
            ),
            code="no_push_certificate",
        )


def token_renew_blocker() -> str:
    """Why no token can be renewed right now ("" when one can)."""
    try:
        _push_certificate_check()
    except UploadError as error:
        return str(error)
    return ""


def token_add_blocker() -> str:
    """Why no token can be added right now ("" when one can): shown before the admin starts."""
    try:
        _push_certificate_check()
        _limit_check()
    except UploadError as error:
        return str(error)
    return ""


def _token_apply(
    token: EnrollmentProgramToken,
    *,
    apple_id: str,
    server_token: pki.ServerToken,
    account: dict[str, Any],
    key: TokenEncryptionKey,
) -> None:
    """Copy what the server token and Apple's answer say onto the token (not saved yet)."""
    credentials = server_token.credentials
    token.token_name = account["server_name"].strip()[:200]
    token.apple_id = apple_id
    token.token_type = _token_type(account)
    token.org_name = str(account.get("org_name") or "")[:200]
    token.org_id = str(account.get("org_id") or "")[:64]
    token.server_uuid = account["server_uuid"].strip()[:64]
    token.data_sharing_consent = token.data_sharing_consent or key.data_sharing_consent
    _credentials_apply(token, credentials, server_token.access_token_expiry)


def _credentials_apply(token: EnrollmentProgramToken, credentials: OAuthCredentials, expires_at: Any) -> None:
    """A server token's OAuth values onto the token (not saved yet); Apple's last error is gone."""
    token.consumer_key = credentials.consumer_key
    token.consumer_key_sha256 = _consumer_key_digest(credentials.consumer_key)
    token.consumer_secret = credentials.consumer_secret
    token.access_token = credentials.access_token
    token.access_secret = credentials.access_secret
    token.expires_at = expires_at
    token.last_sync_error_code = ""
    token.last_sync_error_at = None
    token.modified_at = clock.now()


@sensitive_variables("server_token", "account")
def token_upload(*, actor: Actor, apple_id: str, data: bytes, key_ids: list[int]) -> EnrollmentProgramToken:
    """Add a token from the .p7m Apple School Manager made for this portal's public key.

    Decrypt it with the key of this add-token request, check it, verify it with Apple (the
    token name and program type come from Apple's answer), then save it and ask for the first
    sync, all in one transaction. A refused upload is in the audit log too, with why (the
    trainer's class board shows it as the trainee's last error).
    """
    roles.require_change_permission(actor)
    try:
        return _token_upload(actor=actor, apple_id=apple_id, data=data, key_ids=key_ids)
    except UploadError as refused:
        audit_record(
            actor=actor,
            category=AuditEvent.Category.ENROLLMENT,
            action=gettext_noop("Upload enrollment program token"),
            target_type=AUDIT_TOKEN,
            result=AuditEvent.Result.FAILURE,
            details={"apple_id": apple_id, "error": str(refused), "code": refused.code},
        )
        raise


@sensitive_variables("server_token", "account")
def _token_upload(*, actor: Actor, apple_id: str, data: bytes, key_ids: list[int]) -> EnrollmentProgramToken:
    _push_certificate_check()
    _limit_check()
    key, server_token = _server_token_read(data, key_ids, None)
    digest = _consumer_key_digest(server_token.credentials.consumer_key)
    existing = EnrollmentProgramToken.objects.filter(consumer_key_sha256=digest).first()
    if existing is not None:
        raise _duplicate_error(existing)
    account = _apple_account(server_token.credentials)
    existing = EnrollmentProgramToken.objects.filter(server_uuid=account["server_uuid"].strip()).first()
    if existing is not None:
        raise _duplicate_error(existing)
    token = EnrollmentProgramToken(created_at=clock.now())
    _token_apply(token, apple_id=apple_id, server_token=server_token, account=account, key=key)
    try:
        with transaction.atomic():
            _limit_check()
            token.save()
            TokenEncryptionKey.objects.filter(pk__in=key_ids, token__isnull=True).delete()
            audit_record(
                actor=actor,
                category=AuditEvent.Category.ENROLLMENT,
                action=gettext_noop("Upload enrollment program token"),
                target=token,
                target_type=AUDIT_TOKEN,
                details={
                    "apple_id": apple_id,
                    "token_type": token.token_type,
                    "server_uuid": token.server_uuid,
                    "expires": token.expires_at.isoformat(),
                },
            )
            token_sync_request(actor=actor, token=token, reason="Token uploaded")
    except IntegrityError:
        # Another administrator saved the same server token in the meantime.
        raise UploadError(
            _("This server token was uploaded by someone else in the meantime."),
            code="duplicate",
        ) from None
    return token


@sensitive_variables("server_token", "account")
def token_renew(
    *, actor: Actor, token: EnrollmentProgramToken, apple_id: str, data: bytes, key_ids: list[int]
) -> EnrollmentProgramToken:
    """Give the token the new server token of the same MDM server; profiles and devices stay."""
    roles.require_change_permission(actor)
    _push_certificate_check()
    key, server_token = _server_token_read(data, key_ids, token)
    digest = _consumer_key_digest(server_token.credentials.consumer_key)
    other = EnrollmentProgramToken.objects.filter(consumer_key_sha256=digest).exclude(pk=token.pk).first()
    if other is not None:
        raise _duplicate_error(other)
    account = _apple_account(server_token.credentials)
    server_uuid = account["server_uuid"].strip()
    # Whether Apple keeps an MDM server's consumer key across downloads is not documented (the
    # mock issues a new one each time): the same consumer key, or Apple's own answer about the
    # server (its UUID), proves that the new token belongs to this token's MDM server.
    if digest != token.consumer_key_sha256 and server_uuid != token.server_uuid:
        raise UploadError(
            _(
                "This token belongs to the MDM server “%(server)s”, not to “%(name)s”. In Apple School "
                "Manager, download the token of the MDM server “%(name)s” and upload that one."
            )
            % {"server": account["server_name"], "name": token.token_name},
            code="other_server",
        )
    before = {"apple_id": token.apple_id, "expires": token.expires_at.isoformat()}
    _token_apply(token, apple_id=apple_id, server_token=server_token, account=account, key=key)
    with transaction.atomic():
        token.save()
        TokenEncryptionKey.objects.filter(token=token).delete()
        audit_record(
            actor=actor,
            category=AuditEvent.Category.ENROLLMENT,
            action=gettext_noop("Renew enrollment program token"),
            target=token,
            target_type=AUDIT_TOKEN,
            details={
                "before": before,
                "after": {"apple_id": apple_id, "expires": token.expires_at.isoformat()},
            },
        )
        token_sync_request(actor=actor, token=token, reason="Token renewed")
    return token


def token_sync_request(*, actor: Actor | None, token: EnrollmentProgramToken, reason: str) -> None:
    """Ask for a sync of the token's devices with Apple (Graph syncWithAppleDeviceEnrollmentProgram).

    The request is recorded (Last requested sync) and audited; the devices app, which receives
    `token_sync_requested`, queues the sync run, whose task is sent once the caller's
    transaction commits. A sync already in progress is not doubled.
    """
    if actor is not None:
        roles.require_change_permission(actor)
    token.last_sync_requested_at = clock.now()
    token.save(update_fields=["last_sync_requested_at"])
    audit_record(
        actor=actor,
        category=AuditEvent.Category.ENROLLMENT,
        action=gettext_noop("Request sync of enrollment program token"),
        target=token,
        target_type=AUDIT_TOKEN,
        details={"reason": reason},
    )
    signals.token_sync_requested.send(sender=EnrollmentProgramToken, token=token, actor=actor)


def token_dep_client(*, token: EnrollmentProgramToken) -> DepClient:
    """A DEP client speaking for this token (for the sync engine, profiles and assignments).

    The OAuth values are decrypted here and nowhere else; blades load tokens without them.
    """
    if set(token.get_deferred_fields()) & set(EnrollmentProgramToken.SECRET_FIELDS):
        token = EnrollmentProgramToken.objects.with_secrets().get(pk=token.pk)
    return DepClient(
        OAuthCredentials(
            consumer_key=token.consumer_key,
            consumer_secret=token.consumer_secret,
            access_token=token.access_token,
            access_secret=token.access_secret,
        )
    )


def token_apple_call_failed(*, token: EnrollmentProgramToken, error: DepError) -> None:
    """Remember that Apple refused a call made with this token: the token shows an error state."""
    token.last_sync_error_code = error_code(error)
    token.last_sync_error_at = clock.now()
    token.save(update_fields=["last_sync_error_code", "last_sync_error_at"])


def token_apple_call_succeeded(*, token: EnrollmentProgramToken) -> None:
    if token.last_sync_error_code or token.last_sync_error_at:
        token.last_sync_error_code = ""
        token.last_sync_error_at = None
        token.save(update_fields=["last_sync_error_code", "last_sync_error_at"])


@sensitive_variables("credentials")
def token_credentials_replace(
    *, token: EnrollmentProgramToken, credentials: OAuthCredentials, expires_at: Any
) -> None:
    """Install a server token Apple issued again for the token's MDM server (a trainer clearing
    a revocation drill): the same MDM server, new OAuth values, no error state left."""
    _credentials_apply(token, credentials, expires_at)
    token.save()


def token_deletion_blockers(*, token: EnrollmentProgramToken) -> list[str]:
    """Why the token cannot be deleted yet; empty when it can.

    Intune deletes a token only when it has no devices and no profiles. This is the one place
    that says so: every model that refers to a token with `on_delete=PROTECT` (the profiles
    and devices of later apps) blocks the deletion while it has rows for this token; models
    with CASCADE (sync history, public keys) go with the token.
    """
    blockers = []
    # The relations Django's own deletion looks at, hidden ones (related_name="+") included.
    for candidate in get_candidate_relations_to_delete(token._meta):
        relation = cast(ForeignObjectRel, candidate)
        if relation.on_delete not in (PROTECT, RESTRICT):
            continue
        model = cast(type[Model], relation.related_model)
        count = model._default_manager.filter(**{relation.field.name: token}).count()
        if count:
            meta = model._meta
            blockers.append(
                ngettext(
                    "The token still has %(count)d %(things)s. Delete it first.",
                    "The token still has %(count)d %(things)s. Delete them first.",
                    count,
                )
                % {"count": count, "things": meta.verbose_name if count == 1 else meta.verbose_name_plural}
            )
    return blockers


def token_delete(*, actor: Actor, token: EnrollmentProgramToken) -> None:
    roles.require_change_permission(actor)
    blockers = token_deletion_blockers(token=token)
    if blockers:
        raise TokenDeletionError(blockers)
    try:
        with transaction.atomic():
            # Recorded first, while the token still has its id; rolled back if the deletion fails.
            audit_record(
                actor=actor,
                category=AuditEvent.Category.ENROLLMENT,
                action=gettext_noop("Delete enrollment program token"),
                target=token,
                target_type=AUDIT_TOKEN,
                details={"server_uuid": token.server_uuid, "apple_id": token.apple_id},
            )
            token.delete()
    except (ProtectedError, RestrictedError):
        # A device or profile arrived between the check and the deletion.
        raise TokenDeletionError(token_deletion_blockers(token=token)) from None


def tokens_summary() -> dict[str, Any]:
    """The list's header: how many tokens are active, and the oldest last successful sync."""
    now = clock.now()
    active = EnrollmentProgramToken.objects.filter(expires_at__gt=now, last_sync_error_code="").count()
    oldest = EnrollmentProgramToken.objects.aggregate(oldest=Min("last_successful_sync_at"))["oldest"]
    return {"active_count": active, "oldest_sync": oldest}
