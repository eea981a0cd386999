"""Keys, certificates and the server token file (.p7m), all with `cryptography`.

- The public key of an enrollment program token request: an RSA-2048 key pair and a
  self-signed certificate that the administrator uploads to the MDM server in Apple School
  Manager. Apple encrypts the server token to it (CMS EnvelopedData, RSA key transport).
- The certificate signing request (CSR) of the Apple MDM Push certificate, and the push
  certificate Apple's Push Certificates portal returns for it.

Nothing here touches the database; services.py stores what these functions produce.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import enum
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.views.decorators.debug import sensitive_variables

from tokens.dep_client import OAuthCredentials

RSA_KEY_SIZE = 2048
# 1.2.840.113549.1.7.3, envelopedData, as DER: what every server token starts with.
_ENVELOPED_DATA_OID = bytes.fromhex("06092a864886f70d010703")
_BEGIN_MESSAGE = "-----BEGIN MESSAGE-----"
_END_MESSAGE = "-----END MESSAGE-----"
SERVER_TOKEN_FIELDS = (
    "consumer_key",
    "consumer_secret",
    "access_token",
    "access_secret",
    "access_token_expiry",
)


# --- Keys --------------------------------------------------------------------------------


# A certificate that signs and receives encrypted keys, and issues nothing: the MDM server's
# token certificate here, a device's SCEP identity in mdm.scep.
END_ENTITY_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=True,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


def rsa_key_generate() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_SIZE)


def private_key_to_pem(key: rsa.RSAPrivateKey) -> str:
    # Unencrypted PKCS#8: the column that stores it is encrypted at rest (encrypted_fields).
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def private_key_from_pem(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("Not an RSA private key")
    return key


def public_key_fingerprint(key: rsa.RSAPublicKey) -> str:
    """SHA-256 of the SubjectPublicKeyInfo: matches a certificate to the key it was made for."""
    spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()


# --- The public key of a token request ---------------------------------------------------


def token_certificate_create(key: rsa.RSAPrivateKey, *, common_name: str, now: datetime) -> x509.Certificate:
    """A self-signed certificate for Apple to encrypt the server token to (like nanodep's).

    Its key-usage block has a deliberate twin in `mock_apple/crypto.py` (Apple's push
    certificate): the mock is another process and may not import the portal.
    """
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Microsoft Intune (ASM Portal emulator)"),
        ]
    )
    public_key = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            END_ENTITY_KEY_USAGE,
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(key, hashes.SHA256())
    )


def certificate_to_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def certificate_from_pem(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode("ascii"))


# --- The server token (.p7m) -------------------------------------------------------------


class ServerTokenProblem(enum.Enum):
    NOT_PKCS7 = "not_pkcs7"
    WRONG_RECIPIENT = "wrong_recipient"
    CORRUPT = "corrupt"
    UNSUPPORTED_CIPHER = "unsupported_cipher"
    MISSING_FIELDS = "missing_fields"


class ServerTokenError(Exception):
    def __init__(self, problem: ServerTokenProblem, missing: tuple[str, ...] = ()) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.missing = missing


@dataclass(frozen=True)
class ServerToken:
    """The decrypted content of a .p7m: four OAuth 1.0a values and their expiry."""

    credentials: OAuthCredentials = field(repr=False)
    access_token_expiry: datetime


@dataclass(frozen=True)
class RecipientKey:
    """A key pair the portal made; the server token may have been encrypted to it."""

    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey = field(repr=False)


def _der_length_matches(der: bytes) -> bool:
    """The outer DER SEQUENCE declares exactly the bytes we have (catches truncated files)."""
    if len(der) < 2 or der[0] != 0x30:
        return False
    first = der[1]
    if first < 0x80:
        return 2 + first == len(der)
    count = first & 0x7F
    if count == 0 or count > 4 or len(der) < 2 + count:
        return False
    return 2 + count + int.from_bytes(der[2 : 2 + count], "big") == len(der)


def _base64_decode(text: bytes) -> bytes:
    try:
        return base64.b64decode(b"".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ServerTokenError(ServerTokenProblem.CORRUPT) from None


def server_token_envelope(data: bytes) -> bytes:
    """The DER EnvelopedData inside an upload: Apple's S/MIME file, PEM, base64 or raw DER."""
    stripped = data.strip()
    if data.startswith(b"\x30"):
        # Binary DER is never stripped: its last bytes may well be whitespace characters.
        der = data
    elif stripped.startswith(b"-----BEGIN PKCS7-----"):
        body = stripped.removeprefix(b"-----BEGIN PKCS7-----").split(b"-----END PKCS7-----")[0]
        der = _base64_decode(body)
    elif b"content-type:" in stripped[:2000].lower():
        message = email.message_from_bytes(stripped, policy=email.policy.compat32)
        if message.get_content_type() not in ("application/pkcs7-mime", "application/x-pkcs7-mime"):
            raise ServerTokenError(ServerTokenProblem.NOT_PKCS7)
        payload = message.get_payload()
        if not isinstance(payload, str):
            raise ServerTokenError(ServerTokenProblem.NOT_PKCS7)
        der = _base64_decode(payload.encode("ascii", "replace"))
    else:
        try:
            der = base64.b64decode(b"".join(stripped.split()), validate=True)
        except (binascii.Error, ValueError):
            der = b""
    if _ENVELOPED_DATA_OID not in der[:32]:
        raise ServerTokenError(ServerTokenProblem.NOT_PKCS7)
    if not _der_length_matches(der):
        raise ServerTokenError(ServerTokenProblem.CORRUPT)
    return der


def _der_integer(value: int) -> bytes:
    content = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return b"\x02" + _der_length(len(content)) + content


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded


def _is_recipient(envelope: bytes, certificate: x509.Certificate) -> bool:
    """The envelope names this certificate in a RecipientInfo (issuer and serial number).

    Apple, openssl and `cryptography` all name the recipient this way; `cryptography` cannot
    decrypt for a recipient named by key identifier anyway.
    """
    return certificate.issuer.public_bytes() + _der_integer(certificate.serial_number) in envelope


# Debug error pages must not show the decrypted token (Django hides these frames' variables).
@sensitive_variables()
def server_token_decrypt(envelope: bytes, recipients: list[RecipientKey]) -> tuple[RecipientKey, bytes]:
    """Decrypt with the portal's key the envelope names; tell "another key" from "damaged"."""
    for recipient in recipients:
        if not _is_recipient(envelope, recipient.certificate):
            continue
        try:
            content = pkcs7.pkcs7_decrypt_der(envelope, recipient.certificate, recipient.private_key, [])
        except UnsupportedAlgorithm:
            raise ServerTokenError(ServerTokenProblem.UNSUPPORTED_CIPHER) from None
        except ValueError:
            raise ServerTokenError(ServerTokenProblem.CORRUPT) from None
        return recipient, content
    raise ServerTokenError(ServerTokenProblem.WRONG_RECIPIENT)


@sensitive_variables()
def server_token_unwrap(content: bytes) -> str:
    """The JSON inside the decrypted MIME entity, between the BEGIN/END MESSAGE markers."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise ServerTokenError(ServerTokenProblem.CORRUPT) from None
    text = text.replace("\r\n", "\n")
    head, separator, body = text.partition("\n\n")
    if separator and head.lower().startswith("content-"):
        text = body
    if _BEGIN_MESSAGE in text:
        text = text.split(_BEGIN_MESSAGE, 1)[1]
        if _END_MESSAGE not in text:
            raise ServerTokenError(ServerTokenProblem.CORRUPT)
        text = text.split(_END_MESSAGE, 1)[0]
    return text.strip()


def _parse_expiry(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


@sensitive_variables()
def server_token_parse(text: str) -> ServerToken:
    try:
        payload = json.loads(text)
    except ValueError:
        raise ServerTokenError(ServerTokenProblem.CORRUPT) from None
    if not isinstance(payload, dict):
        raise ServerTokenError(ServerTokenProblem.CORRUPT)
    missing = tuple(
        name
        for name in SERVER_TOKEN_FIELDS[:4]
        if not isinstance(payload.get(name), str) or not payload[name].strip()
    )
    expiry = _parse_expiry(payload.get("access_token_expiry"))
    if expiry is None:
        missing += ("access_token_expiry",)
    if missing or expiry is None:
        raise ServerTokenError(ServerTokenProblem.MISSING_FIELDS, missing)
    return ServerToken(
        credentials=OAuthCredentials(
            consumer_key=payload["consumer_key"].strip(),
            consumer_secret=payload["consumer_secret"].strip(),
            access_token=payload["access_token"].strip(),
            access_secret=payload["access_secret"].strip(),
        ),
        access_token_expiry=expiry,
    )


@sensitive_variables()
def server_token_read(data: bytes, recipients: list[RecipientKey]) -> tuple[RecipientKey, ServerToken]:
    """From the uploaded bytes to the OAuth values, or a ServerTokenError saying what is wrong."""
    envelope = server_token_envelope(data)
    recipient, content = server_token_decrypt(envelope, recipients)
    return recipient, server_token_parse(server_token_unwrap(content))


# --- Apple MDM Push certificate ----------------------------------------------------------


def csr_create(key: rsa.RSAPrivateKey, *, common_name: str) -> x509.CertificateSigningRequest:
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Microsoft Intune (ASM Portal emulator)"),
                ]
            )
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )


def csr_to_pem(csr: x509.CertificateSigningRequest) -> str:
    return csr.public_bytes(serialization.Encoding.PEM).decode("ascii")


class PushCertificateFormatError(Exception):
    pass


def push_certificates_load(data: bytes) -> list[x509.Certificate]:
    """Every certificate in a .pem (or a single DER .cer) file."""
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        raise PushCertificateFormatError from None


def certificate_topic(certificate: x509.Certificate) -> str:
    """The push topic: the subject's UID (com.apple.mgmt.External.<uuid>)."""
    values = certificate.subject.get_attributes_for_oid(NameOID.USER_ID)
    return str(values[0].value) if values else ""


def certificate_public_key_fingerprint(certificate: x509.Certificate) -> str:
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        return ""
    return public_key_fingerprint(key)
