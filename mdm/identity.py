"""Who is calling: the identity of a device, proven by its Apple device certificate.

Every device → portal request carries the device's certificate (issued by Apple's device CA at
manufacture; in this emulator by the mock Apple service) and a signature of the exact request
body made with the device's key. The portal trusts the CA it fetches from Apple over HTTP, and
nothing the device says about itself until both check out (enrollment contract §1).
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from asm_portal import clock
from asm_portal.refusals import Refusal

logger = logging.getLogger(__name__)

CERTIFICATE_HEADER = "X-Apple-Device-Certificate"
SIGNATURE_HEADER = "X-Apple-Device-Signature"
CA_PATH = "/deviceservices/ca.pem"
_CA_CACHE_KEY = "devices:apple-device-ca-pem"
# After a certificate the cached CA did not issue, Apple's CA is fetched again (it may have been
# replaced, e.g. a reseeded mock), but no more than once per this many seconds.
_REFETCH_KEY = "devices:apple-device-ca-refetched"
_REFETCH_SECONDS = 60
# A header holds one DER certificate: a few kilobytes at most.
_MAX_HEADER_CHARS = 16 * 1024


class DeviceIdentityError(Refusal):
    """The request does not prove a device identity; nothing it says may be trusted."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="DEVICE_IDENTITY_INVALID")


class DeviceCaUnavailable(Exception):
    """Apple's device CA could not be fetched: the portal cannot tell devices apart."""


@dataclass(frozen=True)
class DeviceIdentity:
    serial_number: str
    udid: str


def ca_pem_fetch() -> bytes:
    """GET {APPLE_BASE_URL}/deviceservices/ca.pem (server to server): Apple's device CA, as PEM.

    The one place the CA comes from; `apple_device_ca` reads through this module-level name, so
    tests replace it (e.g. with a local CA) without touching the cache or the HTTP call.
    """
    url = f"{settings.APPLE_BASE_URL}{CA_PATH}"
    try:
        response = requests.get(url, timeout=settings.APPLE_HTTP_TIMEOUT_SECONDS)
        response.raise_for_status()
    except requests.RequestException as error:
        raise DeviceCaUnavailable(f"{url}: {error}") from error
    return response.content


def apple_device_ca(*, refresh: bool = False) -> x509.Certificate:
    """Apple's device CA, from the cache or fetched once (DEVICE_CA_CACHE_SECONDS)."""
    pem = None if refresh else cache.get(_CA_CACHE_KEY)
    if pem is None:
        pem = ca_pem_fetch()
        try:
            ca = x509.load_pem_x509_certificate(pem)
        except ValueError as error:
            raise DeviceCaUnavailable(f"Apple's device CA is not a PEM certificate: {error}") from error
        cache.set(_CA_CACHE_KEY, pem, settings.DEVICE_CA_CACHE_SECONDS)
        return ca
    return x509.load_pem_x509_certificate(pem)


def _b64(value: str, what: str) -> bytes:
    if not value or len(value) > _MAX_HEADER_CHARS:
        raise DeviceIdentityError(_("The request has no valid %(what)s.") % {"what": what})
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise DeviceIdentityError(_("The request has no valid %(what)s.") % {"what": what}) from None


def _issued_by(certificate: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _signature_valid(certificate: x509.Certificate, signature: bytes, body: bytes) -> bool:
    key = certificate.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, body, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _attribute(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    values = certificate.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def device_identity_verify(
    *, headers: Mapping[str, str], body: bytes, serial_number: str, udid: str, now: datetime | None = None
) -> DeviceIdentity:
    """The device's identity, if its certificate, signature and claims all check out.

    `serial_number` and `udid` are what the body claims; they must be the certificate's.
    Raises DeviceIdentityError (the caller answers 401) or DeviceCaUnavailable (503).
    """
    der = _b64(headers.get(CERTIFICATE_HEADER, ""), _("device certificate"))
    signature = _b64(headers.get(SIGNATURE_HEADER, ""), _("device signature"))
    try:
        certificate = x509.load_der_x509_certificate(der)
    except ValueError:
        raise DeviceIdentityError(_("The device certificate cannot be read.")) from None
    ca = apple_device_ca()
    # Apple's CA may have changed since it was cached: ask again, at most once a minute.
    issued = _issued_by(certificate, ca) or (
        cache.add(_REFETCH_KEY, True, _REFETCH_SECONDS)
        and _issued_by(certificate, apple_device_ca(refresh=True))
    )
    if not issued:
        raise DeviceIdentityError(_("The device certificate was not issued by Apple's device CA."))
    moment = now or clock.now()
    if not certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc:
        raise DeviceIdentityError(_("The device certificate is not valid at this date."))
    if not _signature_valid(certificate, signature, body):
        raise DeviceIdentityError(_("The request's signature does not match the device certificate."))
    cert_serial = _attribute(certificate, NameOID.SERIAL_NUMBER)
    cert_udid = _attribute(certificate, NameOID.COMMON_NAME)
    if not cert_serial or cert_serial != serial_number:
        raise DeviceIdentityError(_("The serial number is not the device certificate's."))
    if not cert_udid or cert_udid != udid:
        raise DeviceIdentityError(_("The UDID is not the device certificate's."))
    return DeviceIdentity(serial_number=cert_serial, udid=cert_udid)
