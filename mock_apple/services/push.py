"""The Apple Push Certificates portal: the mock Apple certificate authorities (push and
device) and the MDM push certificates they sign."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mock_apple import auth, clock, crypto
from mock_apple.db import DB
from mock_apple.models import (
    AppleAccount,
    CertificateAuthority,
    PushCertificate,
)
from mock_apple.services.uploads import upload_load

# --- Apple Push Certificates portal ---------------------------------------------------------

CA_NAME = "Apple Application Integration 2 Certification Authority (mock)"
DEVICE_CA_NAME = "Apple iPhone Device CA (mock)"


def certificate_authority(purpose: str = CertificateAuthority.Purpose.PUSH) -> CertificateAuthority:
    """A mock Apple CA (push certificates, or device identities), generated on first use."""
    name = DEVICE_CA_NAME if purpose == CertificateAuthority.Purpose.DEVICE else CA_NAME
    with transaction.atomic(using=DB):
        existing = (
            CertificateAuthority.objects.select_for_update().filter(purpose=purpose).order_by("id").first()
        )
        if existing:
            return existing
        certificate_pem, key_pem = crypto.ca_create(name=name, now=timezone.now())
        return CertificateAuthority.objects.create(
            purpose=purpose,
            name=name,
            certificate_pem=certificate_pem,
            private_key=key_pem,
            created_at=clock.now(),
        )


def push_certificate_issue(
    *, actor: AppleAccount, csr_data: bytes, renew: PushCertificate | None = None
) -> PushCertificate:
    """Sign the MDM vendor's CSR; a renewal keeps the topic, so enrolled devices stay managed."""
    auth.require_device_manager(actor)
    csr = upload_load(
        data=csr_data,
        load=crypto.load_csr,
        invalid_message=_("This file is not a certificate signing request (CSR) with an RSA key."),
    )
    if renew is not None and renew.account_id != actor.pk:
        raise ValidationError(_("You can renew only your own certificates."))
    topic_uuid = renew.topic.rsplit(".", 1)[-1] if renew else str(uuid.uuid4())
    authority = certificate_authority()
    now = clock.now()
    certificate = crypto.push_certificate_sign(
        csr=csr,
        topic_uuid=topic_uuid,
        ca_certificate_pem=authority.certificate_pem,
        ca_key_pem=authority.private_key,
        now=now,
    )
    with transaction.atomic(using=DB):
        issued = PushCertificate.objects.create(
            account=actor,
            topic=f"com.apple.mgmt.External.{topic_uuid}",
            serial_number=format(certificate.serial_number, "X"),
            subject=certificate.subject.rfc4514_string(),
            certificate_pem=crypto.certificate_pem(certificate),
            not_after=certificate.not_valid_after_utc,
            created_at=now,
        )
        if renew is not None:
            PushCertificate.objects.filter(pk=renew.pk).update(replaced_by=issued)
    return issued


def push_certificates_of(account: AppleAccount) -> QuerySet[PushCertificate]:
    return PushCertificate.objects.filter(account=account, replaced_by__isnull=True)
