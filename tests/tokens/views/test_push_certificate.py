"""The Apple MDM Push certificate blade: CSR download, certificate upload, renewal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from django.core.files.uploadedfile import SimpleUploadedFile

from asm_portal import clock
from asm_portal.models import AuditEvent
from tests.conftest import HTMX
from tests.tokens.apple import self_signed_certificate_pem
from tests.tokens.conftest import APPLE_ID
from tokens import pki, push_certificates
from tokens.models import ApplePushCertificate

URL = "/enrollment/apple/push-certificate/"
CSR_URL = "/enrollment/apple/push-certificate/csr/"
UPLOAD_URL = "/enrollment/apple/push-certificate/upload/"


def download_csr(client) -> str:
    response = client.post(CSR_URL, {"consent": "on"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="IntuneCSR.csr"'
    return str(response.content.decode())


def upload(client, data: bytes, apple_id: str = APPLE_ID, **extra):
    return client.post(
        UPLOAD_URL,
        {"apple_id": apple_id, "certificate": SimpleUploadedFile("MDM_ Contoso_Certificate.pem", data)},
        **extra,
    )


def refused(client, data: bytes, problem_text: str) -> None:
    rows = list(ApplePushCertificate.objects.order_by("pk").values_list("pk", "certificate_pem"))
    response = upload(client, data)
    assert response.status_code == 200
    assert problem_text in response.content.decode()
    assert list(ApplePushCertificate.objects.order_by("pk").values_list("pk", "certificate_pem")) == rows


class PushCertificateTests:
    def test_it_shows_the_steps_as_a_page(self, admin_client) -> None:
        response = admin_client.get(URL)
        assert response.status_code == 200
        body = response.content.decode()
        assert "<html" in body
        for text in (
            "I agree",
            "Download your CSR",
            "Create your MDM Push certificate",
            'name="apple_id"',
            'name="certificate"',
        ):
            assert text in body, text
        assert 'href="http://127.0.0.1:8001/push/"' in body

    def test_htmx_gets_the_blade_only(self, admin_client) -> None:
        response = admin_client.get(URL, **HTMX)
        assert response.status_code == 200
        assert b"<html" not in response.content
        assert b"Apple MDM Push certificate" in response.content
        assert b'name="apple_id"' in response.content

    def test_the_csr_needs_the_consent(self, admin_client) -> None:
        response = admin_client.post(CSR_URL, {})
        assert response.status_code == 200
        assert "Select “I agree”" in response.content.decode()
        assert not ApplePushCertificate.objects.exists()

    def test_the_csr_is_signed_by_a_key_kept_encrypted(self, admin_client) -> None:
        csr = x509.load_pem_x509_csr(download_csr(admin_client).encode())
        assert csr.is_signature_valid
        row = ApplePushCertificate.objects.get()
        assert row.uploaded_at is None
        key = pki.private_key_from_pem(row.private_key)
        assert key.key_size == 2048
        assert pki.public_key_fingerprint(key.public_key()) == row.public_key_sha256
        assert AuditEvent.objects.get().action == "Download Apple MDM Push certificate signing request"

    def test_it_uploads_the_certificate_apple_signed(self, admin_client, push_portal) -> None:
        csr = download_csr(admin_client)
        response = upload(
            admin_client, push_portal.sign(csr, topic_uuid="4cafc5ac-424f-424f-a588-d4d431f765b3")
        )
        assert response.status_code == 302
        row = ApplePushCertificate.objects.get()
        assert row.topic == "com.apple.mgmt.External.4cafc5ac-424f-424f-a588-d4d431f765b3"
        assert row.apple_id == APPLE_ID
        assert row.status == "active"
        body = admin_client.get(URL).content.decode()
        for text in (
            APPLE_ID,
            row.topic,
            "APSP:4cafc5ac-424f-424f-a588-d4d431f765b3",
            row.serial_number,
            "364 days",
            "Active",
        ):
            assert text in body, text
        assert push_certificates.push_certificate_active() == row

    def test_htmx_upload_returns_to_the_blade(self, admin_client, push_portal) -> None:
        response = upload(admin_client, push_portal.sign(download_csr(admin_client)), **HTMX)
        assert response.status_code == 204
        assert '"path": "/enrollment/apple/push-certificate/"' in response["HX-Location"]

    def test_a_file_that_is_not_a_certificate(self, admin_client) -> None:
        download_csr(admin_client)
        refused(admin_client, b"hello", "This file is not a certificate.")

    def test_a_certificate_for_another_csr(self, admin_client) -> None:
        download_csr(admin_client)
        refused(
            admin_client,
            self_signed_certificate_pem().encode(),
            "not created from a certificate signing request downloaded from this portal",
        )

    def test_a_certificate_that_is_not_a_push_certificate(self, admin_client, push_portal) -> None:
        csr = download_csr(admin_client)
        refused(
            admin_client,
            push_portal.sign(csr, topic_prefix="com.example."),
            "is not an Apple MDM Push certificate",
        )

    def test_an_expired_certificate(self, admin_client, push_portal) -> None:
        csr = download_csr(admin_client)
        with clock.frozen_at(datetime.now(UTC) + timedelta(days=400)):
            refused(admin_client, push_portal.sign(csr), "This certificate expired on")

    def test_a_bad_apple_id_or_a_large_file(self, admin_client, push_portal, settings) -> None:
        csr = download_csr(admin_client)
        data = push_portal.sign(csr)
        response = upload(admin_client, data, apple_id="not-an-email")
        assert "must be an email address" in response.content.decode()
        settings.ASM_MAX_UPLOAD_BYTES = 100
        response = upload(admin_client, data)
        assert "The file is too large" in response.content.decode()
        assert not ApplePushCertificate.objects.filter(uploaded_at__isnull=False).exists()

    def test_renewal_keeps_the_topic_and_replaces_the_certificate(self, admin_client, push_portal) -> None:
        upload(admin_client, push_portal.sign(download_csr(admin_client), topic_uuid="topic-1"))
        first = ApplePushCertificate.objects.get()
        response = upload(admin_client, push_portal.sign(download_csr(admin_client), topic_uuid="topic-1"))
        assert response.status_code == 302
        renewed = ApplePushCertificate.objects.get()  # the old certificate and its key are gone
        assert renewed.pk != first.pk
        assert renewed.topic == first.topic
        assert AuditEvent.objects.filter(action="Renew Apple MDM Push certificate").exists()

    def test_a_new_certificate_instead_of_a_renewal_is_refused(self, admin_client, push_portal) -> None:
        upload(admin_client, push_portal.sign(download_csr(admin_client), topic_uuid="topic-1"))
        csr = download_csr(admin_client)
        refused(admin_client, push_portal.sign(csr, topic_uuid="topic-2"), "not a renewal of the current one")
        assert ApplePushCertificate.objects.get(uploaded_at__isnull=False).topic.endswith("topic-1")

    def test_it_warns_before_the_expiry_and_says_when_expired(self, admin_client, push_certificate) -> None:
        with clock.frozen_at(push_certificate.expires_at - timedelta(days=10)):
            body = admin_client.get(URL).content.decode()
            assert "expires in 10 days" in body or "expires in 9 days" in body
            assert push_certificates.push_certificate_active() is not None
        with clock.frozen_at(push_certificate.expires_at + timedelta(days=1)):
            body = admin_client.get(URL).content.decode()
            assert "expired on" in body
            assert push_certificates.push_certificate_active() is None

    def test_read_only_operators_see_but_cannot_change(self, operator_client, push_certificate) -> None:
        body = operator_client.get(URL).content.decode()
        assert push_certificate.topic in body
        assert 'name="certificate"' not in body
        assert operator_client.post(CSR_URL, {"consent": "on"}).status_code == 403
        assert operator_client.post(UPLOAD_URL, {"apple_id": APPLE_ID}).status_code == 403
        assert ApplePushCertificate.objects.count() == 1

    def test_anonymous_users_sign_in_first(self, client, db) -> None:
        assert client.get(URL).status_code == 302
        assert client.post(CSR_URL, {"consent": "on"}).status_code == 302
        assert not ApplePushCertificate.objects.exists()

    @pytest.mark.parametrize("url", [CSR_URL, UPLOAD_URL])
    def test_it_refuses_other_methods(self, admin_client, url) -> None:
        assert admin_client.get(url).status_code == 405
        assert admin_client.put(URL).status_code == 405
