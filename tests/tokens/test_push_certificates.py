"""The Apple MDM Push certificate services: the current and active certificate, the signing
request, and the upload's refusals (each one names its case and saves nothing)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from asm_portal import clock
from asm_portal.models import AuditEvent
from asm_portal.refusals import Refusal
from tests.tokens.conftest import APPLE_ID
from tokens import push_certificates
from tokens.models import ApplePushCertificate
from tokens.refusals import UploadError


def refused(admin_user, data: bytes, code: str) -> str:
    rows = list(ApplePushCertificate.objects.order_by("pk").values_list("pk", "certificate_pem"))
    with pytest.raises(UploadError) as caught:
        push_certificates.push_certificate_upload(actor=admin_user, apple_id=APPLE_ID, data=data)
    assert caught.value.code == code
    assert list(ApplePushCertificate.objects.order_by("pk").values_list("pk", "certificate_pem")) == rows
    return str(caught.value)


@pytest.mark.django_db
class PushCertificateTests:
    def test_a_pending_request_is_not_a_certificate(self, admin_user) -> None:
        request = push_certificates.push_certificate_request_create(actor=admin_user)
        assert request.csr_pem.startswith("-----BEGIN CERTIFICATE REQUEST-----")
        assert push_certificates.push_certificate_current() is None
        assert push_certificates.push_certificate_active() is None
        assert AuditEvent.objects.get().action == "Download Apple MDM Push certificate signing request"

    def test_the_uploaded_certificate_is_current_and_active(self, admin_user, push_portal) -> None:
        request = push_certificates.push_certificate_request_create(actor=admin_user)
        certificate = push_certificates.push_certificate_upload(
            actor=admin_user, apple_id=APPLE_ID, data=push_portal.sign(request.csr_pem)
        )
        assert certificate.pk == request.pk and certificate.topic.startswith("com.apple.mgmt.")
        assert push_certificates.push_certificate_current() == certificate
        assert push_certificates.push_certificate_active() == certificate
        assert AuditEvent.objects.filter(action="Upload Apple MDM Push certificate").exists()

    def test_an_expired_certificate_is_current_but_not_active(self, push_certificate) -> None:
        with clock.frozen_at(push_certificate.expires_at + timedelta(days=1)):
            assert push_certificates.push_certificate_current() == push_certificate
            assert push_certificates.push_certificate_active() is None

    def test_a_file_that_is_not_a_certificate(self, admin_user) -> None:
        push_certificates.push_certificate_request_create(actor=admin_user)
        assert "This file is not a certificate." in refused(admin_user, b"hello", "not_certificate")

    def test_a_renewal_with_another_topic(self, admin_user, push_portal) -> None:
        for topic, code in (("topic-1", None), ("topic-2", "topic_changed")):
            request = push_certificates.push_certificate_request_create(actor=admin_user)
            data = push_portal.sign(request.csr_pem, topic_uuid=topic)
            if code is None:
                push_certificates.push_certificate_upload(actor=admin_user, apple_id=APPLE_ID, data=data)
            else:
                assert "not a renewal of the current one" in refused(admin_user, data, code)

    def test_a_refusal_is_the_portal_s_one_refusal(self, admin_user) -> None:
        # The views show it like every other refusal: on the form, or as the error banner.
        with pytest.raises(Refusal):
            push_certificates.push_certificate_upload(actor=admin_user, apple_id=APPLE_ID, data=b"x")

    def test_read_only_operators_cannot(self, operator_user) -> None:
        with pytest.raises(PermissionDenied):
            push_certificates.push_certificate_request_create(actor=operator_user)
        with pytest.raises(PermissionDenied):
            push_certificates.push_certificate_upload(actor=operator_user, apple_id=APPLE_ID, data=b"x")
