"""The device's SCEP client (RFC 8894, as iOS speaks it): GetCACaps, GetCACert, then a
PKIOperation PKCSReq — a CSR with the profile's challenge, enveloped to the CA (or its RA) with
the best content cipher the CA advertises, signed with a self-signed certificate of the new key,
with SCEP's signed attributes — and the CertRep's certificate, decrypted with that key whatever
cipher the CA answered with (AES, triple DES or DES). The key is RSA of the profile's Keysize."""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from asn1crypto import core
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import AttributeOID, NameOID

from mock_apple.ipad import cms
from mock_apple.ipad.transport import DeviceHttp, Unreachable

MESSAGE_TYPE = "2.16.840.1.113733.1.9.2"
PKI_STATUS = "2.16.840.1.113733.1.9.3"
FAIL_INFO = "2.16.840.1.113733.1.9.4"
SENDER_NONCE = "2.16.840.1.113733.1.9.5"
RECIPIENT_NONCE = "2.16.840.1.113733.1.9.6"
TRANSACTION_ID = "2.16.840.1.113733.1.9.7"
PKCS_REQ, SUCCESS = "19", "0"
SHORT_NAMES = {
    "CN": NameOID.COMMON_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "C": NameOID.COUNTRY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "L": NameOID.LOCALITY_NAME,
    "E": NameOID.EMAIL_ADDRESS,
    "emailAddress": NameOID.EMAIL_ADDRESS,
}


class ScepFailed(Exception):
    """The SCEP server could not be reached, refused, or answered something else."""


@dataclass(frozen=True)
class Identity:
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey


def subject_name(subject: Any) -> x509.Name:
    """The payload's Subject, an array of RDNs each an array of [OID, value] pairs."""
    rdns = []
    if not isinstance(subject, list):
        raise ScepFailed("Subject is not an array")
    for rdn in subject:
        attributes = []
        for pair in rdn if isinstance(rdn, list) else []:
            if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
                raise ScepFailed("Subject is not an array of arrays of [OID, value]")
            oid = SHORT_NAMES.get(pair[0]) or x509.ObjectIdentifier(pair[0])
            attributes.append(x509.NameAttribute(oid, pair[1]))
        if attributes:
            rdns.append(x509.RelativeDistinguishedName(attributes))
    return x509.Name(rdns)


def _self_signed(key: rsa.RSAPrivateKey, name: x509.Name) -> x509.Certificate:
    """The requester's transient certificate (RFC 8894 §2.3): the same key, self-signed."""
    now = datetime.now(UTC)
    if not list(name):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SCEP requester")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


def _recipient(http: DeviceHttp, url: str) -> x509.Certificate:
    """GetCACert: the CA certificate, or from a CA/RA bundle the RA (the one that is no CA)."""
    response = http.request("GET", url, params={"operation": "GetCACert"})
    if response.status_code != 200:
        raise ScepFailed(f"GetCACert: HTTP {response.status_code}")
    kind = response.headers.get("Content-Type", "").split(";")[0].strip()
    try:
        if kind == "application/x-x509-ca-ra-cert":
            certificates = pkcs7.load_der_pkcs7_certificates(response.content)
        else:
            certificates = [x509.load_der_x509_certificate(response.content)]
    except ValueError:
        raise ScepFailed("GetCACert: not a certificate") from None
    for certificate in certificates:
        try:
            if not certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
                return certificate
        except x509.ExtensionNotFound:
            return certificate
    return certificates[0]


def scep_enroll(http: DeviceHttp, settings: dict[str, Any]) -> Identity:
    """Get an identity from the SCEP payload's settings (its inner PayloadContent)."""
    url = settings.get("URL")
    if not isinstance(url, str) or not url:
        raise ScepFailed("no URL")
    key_size = settings.get("Keysize", 1024)
    if key_size not in (1024, 2048, 4096):
        raise ScepFailed(f"Keysize {key_size!r}")
    try:
        caps = http.request("GET", url, params={"operation": "GetCACaps"})
        if caps.status_code != 200:
            raise ScepFailed(f"GetCACaps: HTTP {caps.status_code}")
        capabilities = set(caps.text.split())
        recipient = _recipient(http, url)
        key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
        name = subject_name(settings.get("Subject", []))
        builder = x509.CertificateSigningRequestBuilder().subject_name(name)
        challenge = settings.get("Challenge")
        if isinstance(challenge, str) and challenge:
            builder = builder.add_attribute(AttributeOID.CHALLENGE_PASSWORD, challenge.encode())
        csr = builder.sign(key, hashes.SHA256())
        enveloped = cms.envelope(
            csr.public_bytes(serialization.Encoding.DER), recipient, content_cipher(capabilities)
        )
        requester = _self_signed(key, name)
        transaction_id = hashlib.sha256(
            key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        ).hexdigest()
        nonce = os.urandom(16)
        message = cms.sign(
            enveloped,
            requester,
            key,
            attributes={
                MESSAGE_TYPE: core.PrintableString(PKCS_REQ),
                TRANSACTION_ID: core.PrintableString(transaction_id),
                SENDER_NONCE: core.OctetString(nonce),
            },
        )
        if "POSTPKIOperation" in capabilities or "SCEPStandard" in capabilities:
            response = http.request(
                "POST",
                url,
                params={"operation": "PKIOperation"},
                data=message,
                headers={"Content-Type": "application/x-pki-message"},
            )
        else:
            response = http.request(
                "GET",
                url,
                params={"operation": "PKIOperation", "message": base64.b64encode(message).decode()},
            )
    except Unreachable as exc:
        raise ScepFailed(f"unreachable: {exc}") from None
    if response.status_code != 200:
        raise ScepFailed(f"PKIOperation: HTTP {response.status_code}")
    return Identity(_cert_rep(response.content, recipient, requester, key, transaction_id, nonce), key)


def content_cipher(capabilities: set[str]) -> str:
    """RFC 8894 §3.5.2: AES128-CBC when the CA advertises AES (SCEPStandard implies it), else
    triple DES when it advertises DES3, else single DES, all a CA without either supports."""
    if {"AES", "SCEPStandard"} & capabilities:
        return "aes128_cbc"
    return "tripledes_3key" if "DES3" in capabilities else "des"


def _printable(value: core.Asn1Value | None) -> str:
    if value is None:
        return ""
    return str(value.parse(core.PrintableString).native if isinstance(value, core.Any) else value.native)


def _cert_rep(
    body: bytes,
    recipient: x509.Certificate,
    requester: x509.Certificate,
    key: rsa.RSAPrivateKey,
    transaction_id: str,
    nonce: bytes,
) -> x509.Certificate:
    """The CertRep, signed by the CA (or RA) we enveloped to, for our transaction; its content
    is the degenerate PKCS#7 of the new certificate, enveloped to our self-signed certificate."""
    try:
        verified = cms.verify(body)
    except cms.CmsError as exc:
        raise ScepFailed(f"CertRep: {exc}") from None
    if verified.signer.public_key() != recipient.public_key():
        raise ScepFailed("CertRep not signed by the SCEP server's certificate")
    attributes = verified.attributes
    if _printable(attributes.get(TRANSACTION_ID)) != transaction_id:
        raise ScepFailed("CertRep for another transaction")
    recipient_nonce = attributes.get(RECIPIENT_NONCE)
    if recipient_nonce is not None and recipient_nonce.parse(core.OctetString).native != nonce:
        raise ScepFailed("CertRep with another nonce")
    status = _printable(attributes.get(PKI_STATUS))
    if status != SUCCESS:
        raise ScepFailed(f"pkiStatus {status or '?'} failInfo {_printable(attributes.get(FAIL_INFO)) or '?'}")
    try:
        degenerate = cms.decrypt(verified.content, requester, key)
        certificates = pkcs7.load_der_pkcs7_certificates(degenerate)
    except ValueError as exc:  # cms.CmsError too
        raise ScepFailed(f"CertRep content: {exc}") from None
    mine = [each for each in certificates if each.public_key() == key.public_key()]
    if not mine:
        raise ScepFailed("CertRep without our certificate")
    return mine[0]
