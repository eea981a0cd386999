"""Services of the Apple MDM Push certificate and the enrollment program tokens.

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
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.debug import sensitive_variables

from asm_portal import clock, roles
from asm_portal.models import AuditEvent
from asm_portal.roles import Actor
from asm_portal.services import audit_record
from tokens import pki, signals
from tokens.dep_client import DepClient, DepError, OAuthCredentials
from tokens.models import (
    ApplePushCertificate,
    EnrollmentProgramToken,
    ExpiryStatus,
    TokenEncryptionKey,
)

logger = logging.getLogger(__name__)

# Audit rows are stored in English whatever the language of the request.
AUDIT_TOKEN = "Enrollment program token"
AUDIT_PUSH_CERTIFICATE = "Apple MDM Push certificate"


class UploadError(Exception):
    """A refused upload: `problem` names the case (for tests and logs), `message` is for people."""

    def __init__(self, problem: str, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message


def _date(value: Any) -> str:
    return formats.date_format(timezone.localtime(value), "DATE_FORMAT")


# --- Apple MDM Push certificate ------------------------------------------------------------


def push_certificate_current() -> ApplePushCertificate | None:
    """The uploaded certificate, expired or not (pending requests are not certificates)."""
    return ApplePushCertificate.objects.filter(uploaded_at__isnull=False).order_by("-uploaded_at").first()


def push_certificate_active() -> ApplePushCertificate | None:
    """The certificate Intune can manage Apple devices with: uploaded and not expired."""
    current = push_certificate_current()
    if current is None or current.status == ExpiryStatus.EXPIRED:
        return None
    return current


def push_certificate_request_create(*, actor: Actor) -> ApplePushCertificate:
    """A new RSA key and its certificate signing request, for Apple's Push Certificates portal."""
    roles.require_change_permission(actor)
    key = pki.rsa_key_generate()
    csr = pki.csr_create(key, common_name="Microsoft Intune MDM Push")
    request = ApplePushCertificate.objects.create(
        private_key=pki.private_key_to_pem(key),
        public_key_sha256=pki.public_key_fingerprint(key.public_key()),
        csr_pem=pki.csr_to_pem(csr),
        requested_at=clock.now(),
        requested_by=actor if isinstance(actor, User) else None,
    )
    audit_record(
        actor=actor,
        category=AuditEvent.Category.ENROLLMENT,
        action="Download Apple MDM Push certificate signing request",
        target=request,
        target_type=AUDIT_PUSH_CERTIFICATE,
    )
    return request


def push_certificate_upload(*, actor: Actor, apple_id: str, data: bytes) -> ApplePushCertificate:
    """Pair the certificate Apple signed with its pending request; it becomes the certificate."""
    roles.require_change_permission(actor)
    try:
        certificates = pki.push_certificates_load(data)
    except pki.PushCertificateFormatError:
        raise UploadError(
            "not_certificate",
            _(
                "This file is not a certificate. Upload the Apple MDM Push certificate (.pem) that "
                "Apple’s Push Certificates portal created from your certificate signing request."
            ),
        ) from None
    pending = {
        row.public_key_sha256: row for row in ApplePushCertificate.objects.filter(uploaded_at__isnull=True)
    }
    match = next(
        (
            (certificate, pending[fingerprint])
            for certificate in certificates
            if (fingerprint := pki.certificate_public_key_fingerprint(certificate)) in pending
        ),
        None,
    )
    if match is None:
        raise UploadError(
            "wrong_csr",
            _(
                "This certificate was not created from a certificate signing request downloaded from "
                "this portal. Download your CSR (step 2), upload it to Apple’s Push Certificates portal, "
                "then upload the certificate Apple returns."
            ),
        )
    certificate, request = match
    topic = pki.certificate_topic(certificate)
    if not topic.startswith("com.apple.mgmt."):
        raise UploadError(
            "not_push_certificate",
            _(
                "This certificate is not an Apple MDM Push certificate: its subject has no "
                "com.apple.mgmt topic. Upload the certificate created by Apple’s Push Certificates portal."
            ),
        )
    now = clock.now()
    if certificate.not_valid_after_utc <= now:
        raise UploadError(
            "expired",
            _("This certificate expired on %(date)s. Renew it in Apple’s Push Certificates portal.")
            % {"date": _date(certificate.not_valid_after_utc)},
        )
    current = push_certificate_current()
    if current is not None and current.status != ExpiryStatus.EXPIRED and current.topic != topic:
        raise UploadError(
            "topic_changed",
            _(
                "This is a new certificate (topic %(new)s), not a renewal of the current one (topic "
                "%(old)s). Devices enrolled with the current certificate would have to enroll again. In "
                "Apple’s Push Certificates portal, sign in with %(apple_id)s, choose Renew on the current "
                "certificate and upload the certificate Apple returns."
            )
            % {"new": topic, "old": current.topic, "apple_id": current.apple_id},
        )
    before = current.topic if current else ""
    with transaction.atomic():
        request.certificate_pem = pki.certificate_to_pem(certificate)
        request.apple_id = apple_id
        request.topic = topic
        request.subject = certificate.subject.rfc4514_string()
        request.serial_number = format(certificate.serial_number, "X")
        request.not_before = certificate.not_valid_before_utc
        request.expires_at = certificate.not_valid_after_utc
        request.uploaded_at = now
        request.save()
        # The previous certificate and the other requests have no use any more; their keys go.
        ApplePushCertificate.objects.exclude(pk=request.pk).delete()
        audit_record(
            actor=actor,
            category=AuditEvent.Category.ENROLLMENT,
            action="Renew Apple MDM Push certificate" if before else "Upload Apple MDM Push certificate",
            target=request,
            target_type=AUDIT_PUSH_CERTIFICATE,
            details={"topic": topic, "apple_id": apple_id, "expires": request.expires_at.isoformat()},
        )
    return request


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
        action="Download enrollment program token public key",
        target=token,
        target_type=AUDIT_TOKEN,
    )
    return encryption_key


# --- Enrollment program tokens ---------------------------------------------------------------


def _consumer_key_digest(consumer_key: str) -> str:
    return hashlib.sha256(consumer_key.encode("utf-8")).hexdigest()


_APPLE_ERROR_MESSAGES = {
    "T_C_NOT_SIGNED": gettext_lazy(
        "Apple refused the token because the organization has not accepted the latest Apple School "
        "Manager terms and conditions (T_C_NOT_SIGNED). An administrator must sign in to Apple School "
        "Manager and accept them; then try again."
    ),
    "ACCESS_DENIED": gettext_lazy(
        "Apple denied access with this token (ACCESS_DENIED). Check in Apple School Manager that the "
        "MDM server still exists and that its token was not revoked; then download a new token."
    ),
    "token_rejected": gettext_lazy(
        "Apple rejected this token (token_rejected): it was revoked or replaced by a newer download "
        "in Apple School Manager. Upload the newest token file of this MDM server."
    ),
    "signature_invalid": gettext_lazy(
        "Apple could not verify the token’s signature (signature_invalid). Download the token again "
        "from Apple School Manager."
    ),
    "token_expired": gettext_lazy(
        "Apple refused the token because it has expired (token_expired). Renew the token: download a "
        "new one from Apple School Manager and upload it here."
    ),
}


def apple_error_message(code: str, status: int | None = None) -> str:
    """What an Apple error means for the administrator, and what to do about it."""
    if code.isdigit():  # an error without Apple code is remembered by its HTTP status
        status, code = int(code), ""
    if (status is None and not code) or code == "UNREACHABLE":
        return _(
            "Apple’s service cannot be reached right now, so the token could not be verified. "
            "Try again in a few minutes."
        )
    if code in _APPLE_ERROR_MESSAGES:
        return str(_APPLE_ERROR_MESSAGES[code])
    return _("Apple answered with an error (HTTP %(status)s %(code)s). Try again later.") % {
        "status": status or "-",
        "code": code or "",
    }


@sensitive_variables("credentials", "client")
def _apple_account(credentials: OAuthCredentials) -> dict[str, Any]:
    """Verify the token with Apple (GET /session, then GET /account); the MDM server's details."""
    client = DepClient(credentials)
    try:
        account = client.account()
    except DepError as error:
        logger.info("Apple refused a token upload: HTTP %s %s", error.status, error.code)
        problem = "apple_unreachable" if error.unreachable else f"apple_{error.code or error.status}"
        raise UploadError(problem, apple_error_message(error.code, error.status)) from None
    for name in ("server_name", "server_uuid"):
        value = account.get(name)
        if not isinstance(value, str) or not value.strip():
            raise UploadError(
                "apple_invalid_response",
                _("Apple’s answer about this token could not be understood. Try again later."),
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
            "no_public_key",
            _(
                "Download your public key first (step 1), upload it to your MDM server in Apple School "
                "Manager, then download the token: Apple encrypts the token with that key."
            ),
        )
    return found


_SERVER_TOKEN_MESSAGES = {
    pki.ServerTokenProblem.NOT_PKCS7: gettext_lazy(
        "This file is not a server token. Upload the token file (.p7m) that Apple School Manager "
        "downloaded for your MDM server, for example “Server_Token_2026-01-31T10-00-00Z_smime.p7m”."
    ),
    pki.ServerTokenProblem.WRONG_RECIPIENT: gettext_lazy(
        "This token was not created with the public key downloaded from this portal. Upload the "
        "public key (.pem) of step 1 to your MDM server in Apple School Manager, download a new "
        "token and upload that one."
    ),
    pki.ServerTokenProblem.UNSUPPORTED_CIPHER: gettext_lazy(
        "This token is encrypted with an algorithm this portal does not support. Download it again "
        "from Apple School Manager."
    ),
    pki.ServerTokenProblem.CORRUPT: gettext_lazy(
        "This token file is damaged or incomplete and cannot be decrypted. Download it again from Apple "
        "School Manager."
    ),
}


def _server_token_problem_message(error: pki.ServerTokenError) -> str:
    if error.problem == pki.ServerTokenProblem.MISSING_FIELDS:
        return ngettext(
            "This token is missing a required value (%(fields)s). Download it again from Apple School "
            "Manager.",
            "This token is missing required values (%(fields)s). Download it again from Apple School "
            "Manager.",
            len(error.missing),
        ) % {"fields": ", ".join(error.missing)}
    return str(_SERVER_TOKEN_MESSAGES[error.problem])


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
        raise UploadError(error.problem.value, _server_token_problem_message(error)) from None
    if server_token.access_token_expiry <= clock.now():
        raise UploadError(
            "expired",
            _("This token expired on %(date)s. Download a new token from Apple School Manager.")
            % {"date": _date(server_token.access_token_expiry)},
        )
    return keys[recipients.index(recipient)], server_token


def _duplicate_error(existing: EnrollmentProgramToken) -> UploadError:
    return UploadError(
        "duplicate",
        _(
            "This server token is already uploaded as the token “%(name)s”. To give it a new server "
            "token, renew “%(name)s” instead."
        )
        % {"name": existing.token_name},
    )


def _limit_check() -> None:
    limit = settings.ASM_MAX_ENROLLMENT_PROGRAM_TOKENS
    if EnrollmentProgramToken.objects.count() >= limit:
        raise UploadError(
            "limit",
            ngettext(
                "This tenant already has the maximum of %(limit)d enrollment program token. Delete a "
                "token you no longer use before adding another.",
                "This tenant already has the maximum of %(limit)d enrollment program tokens. Delete a "
                "token you no longer use before adding another.",
                limit,
            )
            % {"limit": limit},
        )


def _push_certificate_check() -> None:
    if push_certificate_active() is None:
        raise UploadError(
            "no_push_certificate",
            _(
                "An active Apple MDM Push certificate is required before an enrollment program token can "
                "be added or renewed: Intune needs it to manage the devices the token brings."
            ),
        )


def token_renew_blocker() -> str:
    """Why no token can be renewed right now ("" when one can)."""
    try:
        _push_certificate_check()
    except UploadError as error:
        return error.message
    return ""


def token_add_blocker() -> str:
    """Why no token can be added right now ("" when one can): shown before the admin starts."""
    try:
        _push_certificate_check()
        _limit_check()
    except UploadError as error:
        return error.message
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
    sync, all in one transaction.
    """
    roles.require_change_permission(actor)
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
                action="Upload enrollment program token",
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
            "duplicate",
            _("This server token was uploaded by someone else in the meantime."),
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
            "other_server",
            _(
                "This token belongs to the MDM server “%(server)s”, not to “%(name)s”. In Apple School "
                "Manager, download the token of the MDM server “%(name)s” and upload that one."
            )
            % {"server": account["server_name"], "name": token.token_name},
        )
    before = {"apple_id": token.apple_id, "expires": token.expires_at.isoformat()}
    _token_apply(token, apple_id=apple_id, server_token=server_token, account=account, key=key)
    with transaction.atomic():
        token.save()
        TokenEncryptionKey.objects.filter(token=token).delete()
        audit_record(
            actor=actor,
            category=AuditEvent.Category.ENROLLMENT,
            action="Renew enrollment program token",
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
        action="Request sync of enrollment program token",
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
    token.last_sync_error_code = (error.code or (str(error.status) if error.status else "UNREACHABLE"))[:64]
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


class TokenDeletionError(Exception):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__(" ".join(reasons))
        self.reasons = reasons


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
                action="Delete enrollment program token",
                target=token,
                target_type=AUDIT_TOKEN,
                details={"server_uuid": token.server_uuid, "apple_id": token.apple_id},
            )
            token.delete()
    except (ProtectedError, RestrictedError):
        # A device or profile arrived between the check and the deletion.
        raise TokenDeletionError(token_deletion_blockers(token=token)) from None


# --- School Data Sync ---------------------------------------------------------------------------


class SdsShareError(Exception):
    """Sharing with School Data Sync refused; the message is for people."""


class SdsShareConflict(Exception):
    """Another token is shared with School Data Sync: replacing it needs a confirmation."""

    def __init__(self, current: EnrollmentProgramToken) -> None:
        super().__init__(current.token_name)
        self.current = current


def token_sds_shared() -> EnrollmentProgramToken | None:
    """The token School Data Sync may use (one at most), without its secrets."""
    return EnrollmentProgramToken.objects.all().filter(shared_with_sds=True).first()


def _sds_sharing_set(actor: Actor | None, token: EnrollmentProgramToken, shared: bool, reason: str) -> None:
    token.shared_with_sds = shared
    token.save(update_fields=["shared_with_sds"])
    audit_record(
        actor=actor,
        category=AuditEvent.Category.ENROLLMENT,
        action="Share enrollment program token with School Data Sync"
        if shared
        else "Stop sharing enrollment program token with School Data Sync",
        target=token,
        target_type=AUDIT_TOKEN,
        details={
            "graph_action": "shareForSchoolDataSyncService" if shared else "unshareForSchoolDataSyncService",
            "reason": reason,
        },
    )
    transaction.on_commit(
        lambda: signals.sds_sharing_changed.send(
            sender=EnrollmentProgramToken, token=token, shared=shared, actor=actor
        )
    )


def token_sds_share(
    *, actor: Actor, token: EnrollmentProgramToken, replace: bool = False
) -> EnrollmentProgramToken | None:
    """Allow School Data Sync to use this token (Graph shareForSchoolDataSyncService).

    Only Apple School Manager tokens can be shared, one at a time: when another token has it,
    `replace` must confirm that it moves here. Returns the token that lost it, if any.
    """
    roles.require_change_permission(actor)
    if not token.is_apple_school_manager:
        raise SdsShareError(_("Only Apple School Manager tokens can be shared with School Data Sync."))
    with transaction.atomic():
        # Every Apple School Manager token row, locked in id order: two administrators sharing
        # two tokens at once cannot both succeed.
        list(
            EnrollmentProgramToken.objects.select_for_update()
            .filter(token_type=EnrollmentProgramToken.TokenType.APPLE_SCHOOL_MANAGER)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        token.refresh_from_db(fields=["shared_with_sds"])
        if token.shared_with_sds:
            return None
        current = token_sds_shared()
        if current is not None and not replace:
            raise SdsShareConflict(current)
        if current is not None:
            _sds_sharing_set(actor, current, False, reason=f"Replaced by {token.token_name}")
        _sds_sharing_set(actor, token, True, reason="Allowed")
    return current


def token_sds_unshare(*, actor: Actor, token: EnrollmentProgramToken) -> bool:
    """Block School Data Sync (Graph unshareForSchoolDataSyncService): future roster syncs stop;
    nothing already in Apple School Manager is deleted. False when it was not shared."""
    roles.require_change_permission(actor)
    with transaction.atomic():
        locked = EnrollmentProgramToken.objects.select_for_update().filter(pk=token.pk, shared_with_sds=True)
        if not locked.values_list("pk", flat=True).first():
            token.shared_with_sds = False
            return False
        _sds_sharing_set(actor, token, False, reason="Blocked")
    return True


def tokens_summary() -> dict[str, Any]:
    """The list's header: how many tokens are active, and the oldest last successful sync."""
    now = clock.now()
    active = EnrollmentProgramToken.objects.filter(expires_at__gt=now, last_sync_error_code="").count()
    oldest = EnrollmentProgramToken.objects.aggregate(oldest=Min("last_successful_sync_at"))["oldest"]
    return {"active_count": active, "oldest_sync": oldest}
