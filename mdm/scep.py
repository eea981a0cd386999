"""The tenant's certificate authority and its SCEP service (RFC 8894, as iPads speak it).

- The CA: one RSA-2048 key and self-signed certificate per tenant, created on first use, the key
  encrypted at rest. It signs enrollment profiles and issues device identity certificates.
- `GetCACaps`: POSTPKIOperation, SHA-256, AES, SCEPStandard, Renewal.
- `GetCACert`: the CA certificate, DER, `application/x-x509-ca-cert` (the CA is its own RA).
- `PKIOperation`: a PKCSReq (signed with the requester's self-signed certificate, the CSR
  enveloped to the CA, a one-time challenge) or a RenewalReq (signed with a certificate this CA
  issued, no challenge) answered by a CertRep, `application/x-pki-message`: SUCCESS with the
  certificate enveloped to the requester, or FAILURE with badRequest / badMessageCheck. A
  message that is not a SCEP message at all is a 400.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from asn1crypto import core
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import AttributeOID, ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.db import IntegrityError, transaction

from asm_portal import clock
from asm_portal.tenancy import require_tenant
from mdm import cms
from mdm.models import CertificateAuthority, IssuedCertificate, ScepChallenge
from tokens.pki import END_ENTITY_KEY_USAGE

logger = logging.getLogger(__name__)

CA_CAPABILITIES = ("POSTPKIOperation", "SHA-256", "AES", "SCEPStandard", "Renewal")

# SCEP's signed attributes (RFC 8894 §3.2.1).
MESSAGE_TYPE = "2.16.840.1.113733.1.9.2"
PKI_STATUS = "2.16.840.1.113733.1.9.3"
FAIL_INFO = "2.16.840.1.113733.1.9.4"
SENDER_NONCE = "2.16.840.1.113733.1.9.5"
RECIPIENT_NONCE = "2.16.840.1.113733.1.9.6"
TRANSACTION_ID = "2.16.840.1.113733.1.9.7"

CERT_REP, RENEWAL_REQ, PKCS_REQ = "3", "17", "19"
SUCCESS, FAILURE = "0", "2"
BAD_ALG, BAD_MESSAGE_CHECK, BAD_REQUEST = "0", "1", "2"

IDENTITY_VALIDITY = timedelta(days=365)
CA_VALIDITY = timedelta(days=3650)


# --- The tenant's CA --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Authority:
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)


def _authority_create(now: datetime) -> CertificateAuthority:
    tenant = require_tenant()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{tenant.display_name} MDM CA"[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, tenant.display_name[:64] or "MDM"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, tenant.initial_domain[:64]),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,  # SCEP clients encrypt their request to the CA
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CertificateAuthority(
        tenant=tenant,
        private_key=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        created_at=now,
    )


def authority_get() -> Authority:
    """The current tenant's CA, created on first use (two first uses at once: one wins)."""
    row = CertificateAuthority.objects.first()
    if row is None:
        try:
            with transaction.atomic():
                row = _authority_create(clock.now())
                row.save()
        except IntegrityError:
            row = CertificateAuthority.objects.get()
    return _authority(row.certificate_pem, row.private_key)


@lru_cache(maxsize=64)
def _authority(certificate_pem: str, key_pem: str) -> Authority:
    """The tenant's CA parsed once per process (OpenSSL's RSA key check costs tens of
    milliseconds, paid on every SCEP request of an enrollment before); keyed by the PEMs, so a
    replaced CA is parsed anew."""
    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return Authority(certificate=x509.load_pem_x509_certificate(certificate_pem.encode()), key=key)


def authority_certificate() -> x509.Certificate:
    """The CA certificate alone (no key decrypted): what identity checks need."""
    row = CertificateAuthority.objects.only("certificate_pem").first()
    if row is None:
        return authority_get().certificate
    return x509.load_pem_x509_certificate(row.certificate_pem.encode())


def issued_by_authority(certificate: x509.Certificate, authority: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(authority)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


# --- Challenges --------------------------------------------------------------------------------------


def _digest(challenge: str) -> str:
    return hashlib.sha256(challenge.encode()).hexdigest()


def scep_challenge_issue(*, serial_number: str, lifetime: timedelta | None = None) -> str:
    """A one-time challenge for the device `serial_number` ("": an exported profile's, for the
    first device that uses it), valid `lifetime` (SCEP_CHALLENGE_SECONDS by default); only its
    digest is kept."""
    challenge = secrets.token_urlsafe(24)
    now = clock.now()
    ScepChallenge.objects.create(
        tenant=require_tenant(),
        challenge_sha256=_digest(challenge),
        serial_number=serial_number,
        created_at=now,
        expires_at=now + (lifetime or timedelta(seconds=settings.SCEP_CHALLENGE_SECONDS)),
    )
    return challenge


# --- PKIOperation ------------------------------------------------------------------------------------


class ScepMessageError(ValueError):
    """Not a SCEP message the service can read or answer (HTTP 400)."""


@dataclass
class CertRep:
    der: bytes
    success: bool
    fail_info: str = ""


def _cert_rep(
    *,
    authority: Authority,
    status: str,
    transaction_id: str,
    sender_nonce: bytes,
    recipient: x509.Certificate | None,
    issued: x509.Certificate | None = None,
    fail_info: str = "",
) -> bytes:
    attributes = [
        cms.attribute(MESSAGE_TYPE, core.PrintableString(CERT_REP)),
        cms.attribute(PKI_STATUS, core.PrintableString(status)),
        cms.attribute(TRANSACTION_ID, core.PrintableString(transaction_id)),
        cms.attribute(SENDER_NONCE, core.OctetString(secrets.token_bytes(16))),
        cms.attribute(RECIPIENT_NONCE, core.OctetString(sender_nonce)),
    ]
    if fail_info:
        attributes.append(cms.attribute(FAIL_INFO, core.PrintableString(fail_info)))
    content = b""
    if issued is not None and recipient is not None:
        degenerate = pkcs7.serialize_certificates([issued], serialization.Encoding.DER)
        content = cms.envelope_encrypt(degenerate, recipient=recipient)
    return cms.cms_sign(
        content=content,
        certificate=authority.certificate,
        key=authority.key,
        extra_attributes=attributes,
        detached=issued is None,
    )


def _issue(authority: Authority, csr: x509.CertificateSigningRequest, now: datetime) -> x509.Certificate:
    public_key = csr.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey) or public_key.key_size < 2048:
        raise ValueError("an RSA key of 2048 bits or more is required")
    return (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(authority.certificate.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + IDENTITY_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            END_ENTITY_KEY_USAGE,
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.key.public_key()), critical=False
        )
        .sign(authority.key, hashes.SHA256())
    )


def _challenge_of(csr: x509.CertificateSigningRequest) -> str:
    try:
        value = csr.attributes.get_attribute_for_oid(AttributeOID.CHALLENGE_PASSWORD).value
    except x509.AttributeNotFound:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _device_serial(csr: x509.CertificateSigningRequest) -> str:
    values = csr.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    return str(values[0].value) if values else ""


def scep_pki_operation(*, message: bytes) -> CertRep:
    """Answer one PKIOperation: a CertRep (success or failure), or ScepMessageError."""
    try:
        signed = cms.cms_verify(message)
    except cms.CmsError as error:
        # Not even a signed message: nothing to answer a CertRep to.
        raise ScepMessageError(str(error)) from None
    message_type = cms.printable(signed.attributes, MESSAGE_TYPE)
    transaction_id = cms.printable(signed.attributes, TRANSACTION_ID)
    sender_nonce = cms.octets(signed.attributes, SENDER_NONCE)
    if message_type not in {PKCS_REQ, RENEWAL_REQ} or not transaction_id or not sender_nonce:
        raise ScepMessageError("not a PKCSReq or RenewalReq")
    authority = authority_get()

    def failure(fail_info: str, reason: str) -> CertRep:
        logger.info("SCEP request refused (%s): %s", transaction_id[:64], reason)
        der = _cert_rep(
            authority=authority,
            status=FAILURE,
            transaction_id=transaction_id,
            sender_nonce=sender_nonce,
            recipient=None,
            fail_info=fail_info,
        )
        return CertRep(der=der, success=False, fail_info=fail_info)

    legacy = settings.SCEP_LEGACY_CLIENTS
    try:
        csr_der = cms.envelope_decrypt(signed.content, key=authority.key, allow_des=legacy)
        csr = x509.load_der_x509_csr(csr_der)
    except cms.CmsUnsupportedAlgorithm as error:
        # RFC 8894 §3.2.1.4: an algorithm the CA does not support is badAlg, not a broken message.
        return failure(BAD_ALG, str(error))
    except (cms.CmsError, ValueError):
        return failure(BAD_MESSAGE_CHECK, "the request is not a CSR encrypted to this CA")
    if not csr.is_signature_valid:
        return failure(BAD_MESSAGE_CHECK, "the CSR's signature does not verify")
    if message_type == PKCS_REQ and not legacy and csr.public_key() != signed.signer.public_key():
        # RFC 8894 §2.3: a PKCSReq is signed with a self-signed certificate of the CSR's key.
        # (The CSR's own signature proves the key; test tools such as mdmb sign with another
        # throw-away key, accepted only with SCEP_LEGACY_CLIENTS.)
        return failure(BAD_MESSAGE_CHECK, "the message is not signed with the CSR's key")
    now = clock.now()
    with transaction.atomic():
        if message_type == PKCS_REQ:
            challenge = (
                ScepChallenge.objects.select_for_update()
                .filter(challenge_sha256=_digest(_challenge_of(csr)))
                .first()
            )
            if challenge is None or challenge.used_at is not None or challenge.expires_at <= now:
                return failure(BAD_REQUEST, "unknown, used or expired challenge")
            serial_number = challenge.serial_number
            claimed = _device_serial(csr)
            if claimed and serial_number and claimed != serial_number:
                return failure(BAD_REQUEST, "the challenge was given to another device")
            # An exported profile's challenge names no device: the certificate is bound to the
            # serial number its subject claims, or else to the one it authenticates with first.
            serial_number = serial_number or claimed[:32]
        else:
            # RenewalReq: signed with the identity this CA issued, still valid.
            previous = IssuedCertificate.objects.filter(sha256=fingerprint(signed.signer)).first()
            if (
                previous is None
                or not issued_by_authority(signed.signer, authority.certificate)
                or previous.expires_at <= now
            ):
                return failure(BAD_REQUEST, "renewal not signed with a valid certificate of this CA")
            serial_number = previous.serial_number
            challenge = None
        try:
            issued = _issue(authority, csr, now)
        except ValueError as error:
            return failure(BAD_REQUEST, str(error))
        IssuedCertificate.objects.create(
            tenant=require_tenant(),
            sha256=fingerprint(issued),
            serial=format(issued.serial_number, "X"),
            serial_number=serial_number,
            certificate_pem=issued.public_bytes(serialization.Encoding.PEM).decode(),
            issued_at=now,
            expires_at=issued.not_valid_after_utc,
        )
        if challenge is not None:
            challenge.used_at = now
            challenge.certificate_serial = format(issued.serial_number, "X")
            challenge.save(update_fields=["used_at", "certificate_serial"])
    der = _cert_rep(
        authority=authority,
        status=SUCCESS,
        transaction_id=transaction_id,
        sender_nonce=sender_nonce,
        recipient=signed.signer,
        issued=issued,
    )
    return CertRep(der=der, success=True)
