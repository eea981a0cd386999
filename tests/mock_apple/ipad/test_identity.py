"""The virtual iPad's identity: a certificate from the device CA, made once, its key encrypted."""

from __future__ import annotations

import pytest
from cryptography import x509

from mock_apple.ipad import identity
from tests.mock_apple.conftest import APPLE_DB, stored
from tests.mock_apple.ipad_fake import (
    ipad_with_profile,
)


@pytest.mark.django_db(databases=APPLE_DB)
class IdentityTests:
    def test_a_device_gets_a_certificate_from_the_device_ca_with_its_serial_and_udid(
        self, organization
    ) -> None:
        virtual, _ = ipad_with_profile(organization)
        certificate = x509.load_pem_x509_certificate(virtual.certificate_pem.encode())
        subject = certificate.subject
        assert subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == virtual.udid
        assert (
            subject.get_attributes_for_oid(x509.NameOID.SERIAL_NUMBER)[0].value
            == virtual.device.serial_number
        )
        assert "PRIVATE KEY" not in stored(virtual, "private_key")  # encrypted at rest
        assert "PRIVATE KEY" in virtual.private_key
        assert identity.virtual_device_of(virtual.device).pk == virtual.pk  # made once
