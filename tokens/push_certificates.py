"""The Apple MDM Push certificate: the current and the active one, its signing request, its upload.

Intune manages Apple devices only with an active certificate; every bad upload raises an
`UploadError` whose message says what is wrong and what to do, and changes nothing.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from asm_portal import clock, roles
from asm_portal.models import AuditEvent
from asm_portal.roles import Actor
from asm_portal.services import audit_record
from tokens import pki
from tokens.models import ApplePushCertificate, ExpiryStatus
from tokens.refusals import UploadError, refusal_date

# Audit rows are stored in English whatever the language of the request.
AUDIT_PUSH_CERTIFICATE = gettext_noop("Apple MDM Push certificate")


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
        action=gettext_noop("Download Apple MDM Push certificate signing request"),
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
            _(
                "This file is not a certificate. Upload the Apple MDM Push certificate (.pem) that "
                "Apple’s Push Certificates portal created from your certificate signing request."
            ),
            code="not_certificate",
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
            _(
                "This certificate was not created from a certificate signing request downloaded from "
                "this portal. Download your CSR (step 2), upload it to Apple’s Push Certificates portal, "
                "then upload the certificate Apple returns."
            ),
            code="wrong_csr",
        )
    certificate, request = match
    topic = pki.certificate_topic(certificate)
    if not topic.startswith("com.apple.mgmt."):
        raise UploadError(
            _(
                "This certificate is not an Apple MDM Push certificate: its subject has no "
                "com.apple.mgmt topic. Upload the certificate created by Apple’s Push Certificates portal."
            ),
            code="not_push_certificate",
        )
    now = clock.now()
    if certificate.not_valid_after_utc <= now:
        raise UploadError(
            _("This certificate expired on %(date)s. Renew it in Apple’s Push Certificates portal.")
            % {"date": refusal_date(certificate.not_valid_after_utc)},
            code="expired",
        )
    current = push_certificate_current()
    if current is not None and current.status != ExpiryStatus.EXPIRED and current.topic != topic:
        raise UploadError(
            _(
                "This is a new certificate (topic %(new)s), not a renewal of the current one (topic "
                "%(old)s). Devices enrolled with the current certificate would have to enroll again. In "
                "Apple’s Push Certificates portal, sign in with %(apple_id)s, choose Renew on the current "
                "certificate and upload the certificate Apple returns."
            )
            % {"new": topic, "old": current.topic, "apple_id": current.apple_id},
            code="topic_changed",
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
            action=gettext_noop("Renew Apple MDM Push certificate")
            if before
            else gettext_noop("Upload Apple MDM Push certificate"),
            target=request,
            target_type=AUDIT_PUSH_CERTIFICATE,
            details={"topic": topic, "apple_id": apple_id, "expires": request.expires_at.isoformat()},
        )
    return request
