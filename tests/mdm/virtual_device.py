"""A device identity for tests: a locally generated "Apple device CA" and devices it issues
(they sign their MachineInfo with it). No mock_apple import."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from django.utils import timezone

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass
class DeviceCa:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    fetches: list[int] = field(default_factory=list)  # how often the portal fetched it (tests)

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


def ca_create(name: str = "Apple iPhone Device CA") -> DeviceCa:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = timezone.now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    return DeviceCa(key, certificate)


@dataclass
class VirtualDevice:
    """A device with its key and certificate from Apple's device CA (it signs its MachineInfo)."""

    serial_number: str
    udid: str
    key: PrivateKey
    certificate: x509.Certificate
    extra: dict[str, Any] = field(default_factory=dict)


def device_issue(
    ca: DeviceCa,
    serial_number: str,
    *,
    udid: str | None = None,
    ec_key: bool = False,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    cert_serial: str | None = None,
) -> VirtualDevice:
    key: PrivateKey = (
        ec.generate_private_key(ec.SECP256R1()) if ec_key else rsa.generate_private_key(65537, 2048)
    )
    udid = udid or uuid.uuid4().hex.upper()[:25]
    now = timezone.now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, udid),
                    x509.NameAttribute(NameOID.SERIAL_NUMBER, cert_serial or serial_number),
                ]
            )
        )
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=3650))
        .sign(ca.key, hashes.SHA256())
    )
    return VirtualDevice(serial_number, udid, key, certificate)
