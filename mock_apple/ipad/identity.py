"""The virtual iPad's hardware identity: its UDID, and its key and certificate from the mock
Apple iPhone Device CA; the signed headers of its requests, and their check."""

from __future__ import annotations

import base64
import secrets

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.db import transaction

from mock_apple import clock, crypto
from mock_apple.db import DB
from mock_apple.models import (
    CertificateAuthority,
    Device,
    VirtualDevice,
)
from mock_apple.services import push
from mock_apple.setup_panes import OS_VERSION

USER_AGENT = f"MDM-Device/1.0 (iPad; iPadOS {OS_VERSION})"


class DeviceIdentityError(ValueError):
    """A device request whose certificate or signature does not hold."""


def _udid() -> str:
    # The modern UDID format: 8 hex digits (the chip), a dash, 16 hex digits (the ECID).
    return f"{secrets.token_hex(4).upper()}-{secrets.token_hex(8).upper()}"


def virtual_device_of(device: Device) -> VirtualDevice:
    """The device's hardware: made at first power-on with a UDID and a key and certificate from
    the Apple iPhone Device CA; they survive an erase."""
    existing = VirtualDevice.objects.filter(device=device).select_related("device").first()
    if existing:
        return existing
    authority = push.certificate_authority(CertificateAuthority.Purpose.DEVICE)
    udid = _udid()
    certificate_pem, key_pem = crypto.device_identity_issue(
        udid=udid,
        serial_number=device.serial_number,
        ca_certificate_pem=authority.certificate_pem,
        ca_key_pem=authority.private_key,
        now=clock.now(),
    )
    with transaction.atomic(using=DB):
        made, _ = VirtualDevice.objects.get_or_create(
            device=device,
            defaults={
                "udid": udid,
                "certificate_pem": certificate_pem,
                "private_key": key_pem,
                "created_at": clock.now(),
            },
        )
    return made


def signed_headers(virtual: VirtualDevice, body: bytes) -> dict[str, str]:
    return {
        **crypto.device_request_headers(
            certificate_pem_text=virtual.certificate_pem,
            key_pem=virtual.private_key,
            body=body,
        ),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


def device_identity_verify(*, certificate_b64: str, signature_b64: str, body: bytes) -> tuple[str, str]:
    """Check a device request as the portal does: issued by the device CA, valid now, body signed.
    Returns (serial number, UDID) from the certificate.

    A deliberate copy of devices/identity.py's check (the iPad's own pages and the tests' fake
    portal use it): the mock may not import the portal."""
    authority = push.certificate_authority(CertificateAuthority.Purpose.DEVICE)
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(certificate_b64, validate=True))
        signature = base64.b64decode(signature_b64, validate=True)
        ca = x509.load_pem_x509_certificate(authority.certificate_pem.encode())
        certificate.verify_directly_issued_by(ca)
        now = clock.now()
        if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            raise DeviceIdentityError("certificate not valid now")
        key = certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise DeviceIdentityError("not an RSA key")
        key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        serials = certificate.subject.get_attributes_for_oid(x509.NameOID.SERIAL_NUMBER)
        names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise DeviceIdentityError(str(exc) or exc.__class__.__name__) from None
    if not serials or not names:
        raise DeviceIdentityError("certificate without serial number or UDID")
    return str(serials[0].value), str(names[0].value)
