"""App registrations: register, consent, add and revoke client secrets and certificates, delete.

Administrators only (read-only operators see the blade), and every change is in the audit log.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from asm_portal import clock, roles
from asm_portal.models import AuditEvent
from asm_portal.refusals import Refusal
from asm_portal.roles import Actor
from asm_portal.services import audit_record
from graph.models import DEVICE_ROLES, AppCertificate, AppRegistration, ClientSecret, Permission
from profiles.certificates import CertificateError, certificate_parse

# Audit rows are stored in English; the app's changes sit with the role changes ("who may do what").
AUDIT_APP = "Application"
AUDIT_CATEGORY = AuditEvent.Category.ROLE

# Entra offers these lifetimes for a client secret (the portal's "Recommended: 180 days").
SECRET_LIFETIMES = {
    90: gettext_lazy("90 days (3 months)"),
    180: gettext_lazy("180 days (6 months)"),
    365: gettext_lazy("365 days (12 months)"),
    730: gettext_lazy("730 days (24 months)"),
}
DEFAULT_SECRET_DAYS = 180
MAX_SECRETS_PER_APP = 20
MAX_CERTIFICATES_PER_APP = 10
DISPLAY_NAME_MAX = 120
# Entra's secret alphabet: letters, digits and a few symbols, 40 characters.
_SECRET_ALPHABET = string.ascii_letters + string.digits + "~._-"
SECRET_LENGTH = 40


class AppRefused(Refusal):
    pass


@dataclass(frozen=True)
class NewSecret:
    """A secret just added: `value` exists only here, shown once."""

    secret: ClientSecret
    value: str


def secret_digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def _audit(actor: Actor, action: str, app: AppRegistration, **details: object) -> None:
    audit_record(
        actor=actor,
        category=AUDIT_CATEGORY,
        action=action,
        target=app,
        target_type=AUDIT_APP,
        details={"client_id": str(app.client_id), **details},
    )


def app_create(
    *, actor: Actor, display_name: str, permission: str, device_permissions: Sequence[str] = ()
) -> AppRegistration:
    """Register an application with one application permission of the enrollment program and
    any of the managed-device permissions (not yet consented)."""
    roles.require_change_permission(actor)
    display_name = display_name.strip()
    if not display_name:
        raise AppRefused(errors={"display_name": [_("Enter a display name.")]})
    if len(display_name) > DISPLAY_NAME_MAX:
        raise AppRefused(
            errors={
                "display_name": [
                    _("The display name can have at most %(max)d characters.") % {"max": DISPLAY_NAME_MAX}
                ]
            }
        )
    if permission not in Permission.values:
        raise AppRefused(errors={"permission": [_("Choose Read or ReadWrite.")]})
    if set(device_permissions) - set(DEVICE_ROLES):
        raise AppRefused(errors={"device_permissions": [_("Choose among the offered permissions.")]})
    app = AppRegistration.objects.create(
        display_name=display_name,
        permission=permission,
        device_permissions=[role for role in DEVICE_ROLES if role in device_permissions],
        created_at=clock.now(),
        created_by=_user(actor),
    )
    _audit(actor, "Add application", app, permission=app.role, device_permissions=app.device_roles)
    return app


def app_consent_grant(*, actor: Actor, app: AppRegistration) -> None:
    """Grant admin consent for the tenant: access tokens carry the app's role from now on."""
    roles.require_change_permission(actor)
    app.consent_granted_at = clock.now()
    app.consent_granted_by = (actor.get_username() if actor.is_authenticated else "")[:254]
    app.save(update_fields=["consent_granted_at", "consent_granted_by"])
    _audit(actor, "Consent to application", app, permission=app.role)


def app_consent_revoke(*, actor: Actor, app: AppRegistration) -> None:
    roles.require_change_permission(actor)
    app.consent_granted_at = None
    app.consent_granted_by = ""
    app.save(update_fields=["consent_granted_at", "consent_granted_by"])
    _audit(actor, "Revoke consent to application", app, permission=app.role)


def app_delete(*, actor: Actor, app: AppRegistration) -> None:
    """Delete the app: its secrets and certificates go with it, and its tokens stop working."""
    roles.require_change_permission(actor)
    _audit(actor, "Delete application", app)
    app.delete()


def secret_add(*, actor: Actor, app: AppRegistration, description: str, days: int) -> NewSecret:
    roles.require_change_permission(actor)
    if days not in SECRET_LIFETIMES:
        raise AppRefused(errors={"days": [_("Choose one of the offered expiry periods.")]})
    description = description.strip()[:120]
    if app.secrets.count() >= MAX_SECRETS_PER_APP:
        raise AppRefused(
            _("An application can have at most %(max)d client secrets. Delete one first.")
            % {"max": MAX_SECRETS_PER_APP}
        )
    value = "".join(secrets.choice(_SECRET_ALPHABET) for _i in range(SECRET_LENGTH))
    now = clock.now()
    secret = ClientSecret.objects.create(
        app=app,
        description=description,
        hint=value[:3],
        secret_sha256=secret_digest(value),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    _audit(
        actor,
        "Add client secret",
        app,
        secret_id=str(secret.secret_id),
        description=description,
        expires=secret.expires_at.isoformat(),
    )
    return NewSecret(secret, value)


def secret_revoke(*, actor: Actor, secret: ClientSecret) -> None:
    roles.require_change_permission(actor)
    _audit(actor, "Remove client secret", secret.app, secret_id=str(secret.secret_id))
    secret.delete()


def certificate_add(*, actor: Actor, app: AppRegistration, data: bytes) -> AppCertificate:
    roles.require_change_permission(actor)
    try:
        parsed = certificate_parse(data)
    except CertificateError as error:
        raise AppRefused(errors={"certificate": [str(error)]}) from None
    if parsed.not_after <= clock.now():
        raise AppRefused(errors={"certificate": [_("This certificate has expired.")]})
    if app.certificates.count() >= MAX_CERTIFICATES_PER_APP:
        raise AppRefused(
            errors={
                "certificate": [
                    _("An application can have at most %(max)d certificates.")
                    % {"max": MAX_CERTIFICATES_PER_APP}
                ]
            }
        )
    pem = x509.load_der_x509_certificate(parsed.der).public_bytes(Encoding.PEM)
    try:
        with transaction.atomic():
            certificate = AppCertificate.objects.create(
                app=app,
                thumbprint=parsed.thumbprint,
                certificate_pem=pem.decode(),
                subject=parsed.subject[:500],
                not_after=parsed.not_after,
                uploaded_at=clock.now(),
            )
    except IntegrityError:
        raise AppRefused(errors={"certificate": [_("This certificate was already uploaded.")]}) from None
    _audit(actor, "Add certificate", app, thumbprint=parsed.thumbprint)
    return certificate


def certificate_remove(*, actor: Actor, certificate: AppCertificate) -> None:
    roles.require_change_permission(actor)
    _audit(actor, "Remove certificate", certificate.app, thumbprint=certificate.thumbprint)
    certificate.delete()
