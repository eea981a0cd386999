from __future__ import annotations

import datetime
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from profiles.certificates import CertificateError, certificate_parse


def make_certificate(common_name: str = "Apple Configurator") -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )


class CertificateParseTests:
    def test_it_reads_pem_and_der_alike(self) -> None:
        certificate = make_certificate()
        der = certificate.public_bytes(serialization.Encoding.DER)
        from_pem = certificate_parse(certificate.public_bytes(serialization.Encoding.PEM))
        from_der = certificate_parse(der)
        assert from_pem == from_der
        assert from_der.der == der
        assert from_der.thumbprint == hashlib.sha1(der).hexdigest().upper()
        assert from_der.subject == "CN=Apple Configurator"

    @pytest.mark.parametrize(
        "data", [b"", b"not a certificate", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"]
    )
    def test_it_rejects_what_is_not_a_certificate(self, data: bytes) -> None:
        with pytest.raises(CertificateError):
            certificate_parse(data)

    def test_it_rejects_a_bundle(self) -> None:
        pem = b"".join(make_certificate(str(i)).public_bytes(serialization.Encoding.PEM) for i in range(2))
        with pytest.raises(CertificateError, match="exactly one"):
            certificate_parse(pem)
