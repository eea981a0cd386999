"""Apple's side, as narrow unit tests need it: server tokens (.p7m) and push certificates made
exactly as Apple makes them (apple-dep-api.md §2), and Apple's JSON answers.

Integration tests use the real mock Apple service instead (tests/conftest.py `apple_server`).
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

APPLE_BASE_URL = "http://127.0.0.1:8001"


def server_token_json(*, expiry: datetime | None = None, **overrides: Any) -> dict[str, Any]:
    """The five keys of a server token, with fresh random secrets."""
    expiry = expiry or datetime.now(UTC) + timedelta(days=365)
    payload: dict[str, Any] = {
        "consumer_key": f"CK_{secrets.token_hex(24)}",
        "consumer_secret": f"CS_{secrets.token_hex(20)}",
        "access_token": f"AT_{secrets.token_hex(24)}",
        "access_secret": f"AS_{secrets.token_hex(20)}",
        "access_token_expiry": expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    payload.update(overrides)
    return payload


def inner_entity(payload: dict[str, Any] | str, *, markers: bool = True) -> bytes:
    """The decrypted content: a text/plain MIME entity, the JSON between MESSAGE markers."""
    text = payload if isinstance(payload, str) else json.dumps(payload)
    if markers:
        text = f"-----BEGIN MESSAGE-----\r\n{text}\r\n-----END MESSAGE-----\r\n"
    return (
        "Content-Type: text/plain;charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" + text
    ).encode()


def envelope(certificate_pem: str, content: bytes, *, aes256: bool = True) -> bytes:
    """CMS EnvelopedData (RSA key transport) to the certificate, as DER."""
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    builder = pkcs7.PKCS7EnvelopeBuilder().set_data(content).add_recipient(certificate)
    if aes256:
        builder = builder.set_content_encryption_algorithm(algorithms.AES256)
    return builder.encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])


def smime(der: bytes) -> bytes:
    """Apple's S/MIME file: its header block (with Content-Description), base64 at 64 columns."""
    body = base64.b64encode(der).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        'Content-Type: application/pkcs7-mime; name="smime.p7m"; smime-type=enveloped-data\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Disposition: attachment; filename="smime.p7m"\r\n'
        "Content-Description: S/MIME Encrypted Message\r\n"
        "\r\n" + "\r\n".join(lines) + "\r\n"
    ).encode()


def server_token_file(
    certificate_pem: str, payload: dict[str, Any] | str, *, markers: bool = True, as_der: bool = False
) -> bytes:
    """A .p7m as Apple School Manager's "Download token" gives it."""
    der = envelope(certificate_pem, inner_entity(payload, markers=markers))
    return der if as_der else smime(der)


@cache
def self_signed_certificate_pem(common_name: str = "someone else's MDM") -> str:
    """Another vendor's public key: a token encrypted to it is not for this portal."""
    from tests.mock_apple.conftest import rsa_certificate_pem

    return rsa_certificate_pem(common_name)[0].decode()


class PushCertificatesPortal:
    """Apple's Push Certificates portal: a CA that signs the portal's CSR."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.name = x509.Name(
            [x509.NameAttribute(NameOID.COMMON_NAME, "Apple Application Integration 2 CA (test)")]
        )

    def sign(
        self,
        csr_pem: str,
        *,
        topic_uuid: str | None = None,
        not_after: datetime | None = None,
        topic_prefix: str = "com.apple.mgmt.External.",
    ) -> bytes:
        csr = x509.load_pem_x509_csr(csr_pem.encode())
        topic_uuid = topic_uuid or str(uuid.uuid4())
        now = datetime.now(UTC)
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.USER_ID, f"{topic_prefix}{topic_uuid}"),
                x509.NameAttribute(NameOID.COMMON_NAME, f"APSP:{topic_uuid}"),
                x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            ]
        )
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.name)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(not_after or now + timedelta(days=365))
            .sign(self.key, hashes.SHA256())
        )
        return certificate.public_bytes(serialization.Encoding.PEM)


def account_json(
    *,
    server_name: str = "Contoso Intune",
    server_uuid: str | None = None,
    org_type: str = "edu",
    org_version: str = "v2",
) -> dict[str, Any]:
    """Apple's GET /account answer (AccountDetail)."""
    return {
        "server_name": server_name,
        "server_uuid": server_uuid or uuid.uuid4().hex.upper(),
        "admin_id": "admin@appleid.contoso.edu",
        "facilitator_id": "admin@appleid.contoso.edu",
        "org_name": "Contoso School District",
        "org_email": "it@contoso.edu",
        "org_phone": "+1 425 555 0100",
        "org_address": "1 Microsoft Way, Redmond, WA 98052, US",
        "org_id": "3F1A0C2B9D",
        "org_id_hash": "c2f7a1",
        "org_type": org_type,
        "org_version": org_version,
        "urls": [],
    }
