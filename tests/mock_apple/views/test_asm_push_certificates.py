"""Apple Push Certificates portal: a CSR in, a push certificate signed by the mock Apple CA out."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from django.core.files.uploadedfile import SimpleUploadedFile

from mock_apple import crypto
from mock_apple.models import CertificateAuthority, PushCertificate
from tests.mock_apple.conftest import APPLE_DB, stored


def csr_pem(key=None) -> bytes:
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Intune push")]))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM)


def upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("request.csr", content)


@pytest.mark.django_db(databases=APPLE_DB)
class PushCertificatesTests:
    def test_it_signs_a_csr_and_offers_the_pem(self, asm_admin) -> None:
        response = asm_admin.post("/push/create/", {"csr": upload(csr_pem())})
        assert response.status_code == 302
        issued = PushCertificate.objects.get()
        certificate = x509.load_pem_x509_certificate(issued.certificate_pem.encode())
        uid = certificate.subject.get_attributes_for_oid(crypto.UID_OID)[0].value
        topic_uuid = str(uid).removeprefix("com.apple.mgmt.External.")
        assert issued.topic == uid
        assert (
            certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == f"APSP:{topic_uuid}"
        )
        assert 364 <= (certificate.not_valid_after_utc - certificate.not_valid_before_utc).days <= 366
        ca = x509.load_pem_x509_certificate(CertificateAuthority.objects.get().certificate_pem.encode())
        certificate.verify_directly_issued_by(ca)
        download = asm_admin.get(f"/push/{issued.pk}/download/")
        assert download["Content-Disposition"] == 'attachment; filename="MDM_ Contoso_Certificate.pem"'
        assert download.content.decode() == issued.certificate_pem
        assert b"com.apple.mgmt.External." in asm_admin.get("/push/").content

    def test_the_ca_key_is_encrypted_at_rest(self, asm_admin) -> None:
        asm_admin.post("/push/create/", {"csr": upload(csr_pem())})
        ca = CertificateAuthority.objects.get()
        assert "PRIVATE KEY" not in stored(ca, "private_key")
        assert "PRIVATE KEY" in ca.private_key

    def test_renewal_keeps_the_topic(self, asm_admin) -> None:
        asm_admin.post("/push/create/", {"csr": upload(csr_pem())})
        first = PushCertificate.objects.get()
        asm_admin.post(f"/push/{first.pk}/renew/", {"csr": upload(csr_pem())})
        renewed = PushCertificate.objects.exclude(pk=first.pk).get()
        assert renewed.topic == first.topic
        assert PushCertificate.objects.get(pk=first.pk).replaced_by == renewed

    @pytest.mark.parametrize("content", [b"garbage", None])
    def test_bad_requests_issue_nothing(self, asm_admin, content) -> None:
        data = content if content is not None else csr_pem(ec.generate_private_key(ec.SECP256R1()))
        response = asm_admin.post("/push/create/", {"csr": upload(data)}, follow=True)
        assert "certificate signing request" in response.content.decode()
        assert not PushCertificate.objects.exists()

    def test_staff_cannot_create(self, asm_staff) -> None:
        assert asm_staff.post("/push/create/", {"csr": upload(csr_pem())}).status_code == 403
        assert asm_staff.get("/push/create/").status_code == 405
