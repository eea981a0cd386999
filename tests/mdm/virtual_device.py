"""A device identity for tests: a locally generated "Apple device CA" and devices it issues,
which sign their requests as the contract says (enrollment contract §1). No mock_apple import."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from django.test import Client
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
    """A device with its key and certificate; `post` sends a signed request like the real one."""

    serial_number: str
    udid: str
    key: PrivateKey
    certificate: x509.Certificate
    extra: dict[str, Any] = field(default_factory=dict)

    def headers(self, body: bytes, *, key: PrivateKey | None = None) -> dict[str, str]:
        signer = key or self.key
        if isinstance(signer, rsa.RSAPrivateKey):
            signature = signer.sign(body, padding.PKCS1v15(), hashes.SHA256())
        else:
            signature = signer.sign(body, ec.ECDSA(hashes.SHA256()))
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return {
            "X-Apple-Device-Certificate": base64.b64encode(der).decode(),
            "X-Apple-Device-Signature": base64.b64encode(signature).decode(),
            "User-Agent": "MDM-Device/1.0 (iPad; iPadOS 18.1)",
        }

    def body(self, **fields: Any) -> dict[str, Any]:
        return {"serial_number": self.serial_number, "udid": self.udid, **fields}

    def post(self, client: Client, url: str, payload: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        raw = json.dumps(payload if payload is not None else self.body()).encode()
        return client.post(url, raw, content_type="application/json", headers=self.headers(raw), **kwargs)

    def enroll_body(self, *, profile_uuid: str | None, user: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.body(
            model="iPad (10th generation)",
            product="iPad13,18",
            os_version="18.1",
            language="en",
            profile_uuid=profile_uuid,
            user=user,
        )


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
