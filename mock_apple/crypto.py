"""Keys and certificates of the mock Apple side, and the server token file (.p7m).

Every key and certificate operation uses `cryptography`. Secrets at rest are not kept here:
the models store them in encrypted_fields.EncryptedTextField, as the portal does.
"""

from __future__ import annotations

import base64
import json
import textwrap
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Apple's push certificates carry the topic as the subject's UID attribute.
UID_OID = x509.ObjectIdentifier("0.9.2342.19200300.100.1.1")


class CertificateError(ValueError):
    """An uploaded certificate or request that the mock refuses; the message is for people."""


def load_rsa_certificate(data: bytes) -> x509.Certificate:
    """The MDM vendor's public-key certificate, PEM; anything but an RSA certificate is refused."""
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise CertificateError("not a PEM certificate")
    try:
        certificate = x509.load_pem_x509_certificate(data)
    except ValueError as exc:
        raise CertificateError("unreadable certificate") from exc
    if not isinstance(certificate.public_key(), rsa.RSAPublicKey):
        raise CertificateError("not an RSA key")
    return certificate


# A deliberate copy of tokens/pki.py's certificate_to_pem: the mock may not import the portal.
def certificate_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def server_token_file(*, values: dict[str, str], recipient: x509.Certificate) -> bytes:
    """The .p7m Apple hands out: S/MIME-wrapped CMS EnvelopedData, AES-256-CBC, RSA key transport.

    `cryptography` writes its own S/MIME headers without Content-Description (which
    commandment's parser asserts), so the DER is wrapped in Apple's headers here.
    """
    inner = (
        "Content-Type: text/plain;charset=UTF-8\r\n"
        "Content-Transfer-Encoding: 7bit\r\n"
        "\r\n"
        "-----BEGIN MESSAGE-----\r\n"
        f"{json.dumps(values)}\r\n"
        "-----END MESSAGE-----\r\n"
    ).encode()
    der = (
        pkcs7.PKCS7EnvelopeBuilder()
        .set_data(inner)
        .add_recipient(recipient)
        .set_content_encryption_algorithm(algorithms.AES256)
        .encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )
    body = "\r\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
    # These are the S/MIME headers inside the file, byte for byte as Apple writes them (not an
    # HTTP response's: the download's Content-Disposition is built by content_disposition_header).
    headers = (
        'Content-Type: application/pkcs7-mime; name="smime.p7m"; smime-type=enveloped-data\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="smime.p7m"\r\n'
        "Content-Description: S/MIME Encrypted Message\r\n"
        "\r\n"
    )
    return (headers + body + "\r\n").encode()


# --- The mock Apple CA and push certificates ------------------------------------------------


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    """A CA signs certificates and CRLs; a push certificate signs and enciphers keys (TLS client).

    The leaf's usage is a deliberate copy of tokens/pki.py's: the mock may not import the portal."""
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=not ca,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def ca_create(*, name: str, now: datetime) -> tuple[str, str]:
    """A self-signed CA; returns (certificate PEM, private key PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Certification Authority (mock)"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ASM Portal mock Apple"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=20 * 365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            _key_usage(ca=True),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return certificate_pem(certificate), key_pem


def load_csr(data: bytes) -> x509.CertificateSigningRequest:
    """A certificate signing request, PEM or DER, RSA, with a valid self-signature."""
    try:
        csr = x509.load_pem_x509_csr(data) if b"-----BEGIN" in data else x509.load_der_x509_csr(data)
    except ValueError as exc:
        raise CertificateError("not a certificate signing request") from exc
    if not isinstance(csr.public_key(), rsa.RSAPublicKey):
        raise CertificateError("not an RSA key")
    if not csr.is_signature_valid:
        raise CertificateError("bad signature")
    return csr


def push_certificate_sign(
    *,
    csr: x509.CertificateSigningRequest,
    topic_uuid: str,
    ca_certificate_pem: str,
    ca_key_pem: str,
    now: datetime,
) -> x509.Certificate:
    """An MDM push certificate as Apple's portal issues it: one year, topic in the subject UID."""
    ca_certificate = x509.load_pem_x509_certificate(ca_certificate_pem.encode())
    ca_key = serialization.load_pem_private_key(ca_key_pem.encode(), password=None)
    assert isinstance(ca_key, rsa.RSAPrivateKey)
    public_key = csr.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    subject = x509.Name(
        [
            x509.NameAttribute(UID_OID, f"com.apple.mgmt.External.{topic_uuid}"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"APSP:{topic_uuid}"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_certificate.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            _key_usage(ca=False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_certificate.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )


# --- Virtual devices: identity certificates and signed requests -----------------------------


def device_identity_issue(
    *, udid: str, serial_number: str, ca_certificate_pem: str, ca_key_pem: str, now: datetime
) -> tuple[str, str]:
    """A device's RSA-2048 key and its certificate from the device CA: CN = UDID, serialNumber =
    the serial (OID 2.5.4.5), as the enrollment contract says. Returns (certificate PEM, key PEM)."""
    ca_certificate = x509.load_pem_x509_certificate(ca_certificate_pem.encode())
    ca_key = serialization.load_pem_private_key(ca_key_pem.encode(), password=None)
    assert isinstance(ca_key, rsa.RSAPrivateKey)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, udid),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, serial_number),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Apple Inc."),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=10 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return certificate_pem(certificate), key_pem
