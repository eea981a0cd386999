"""Apple Configurator certificates: parse an uploaded .cer, .pem or .der with `cryptography`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.utils.translation import gettext as _


class CertificateError(ValueError):
    pass


@dataclass(frozen=True)
class ParsedCertificate:
    der: bytes
    subject: str
    thumbprint: str  # SHA-1, upper-case hex, as Intune shows it
    not_after: datetime


def certificate_parse(data: bytes) -> ParsedCertificate:
    """Accept one X.509 certificate, PEM or DER; anything else is a clear error."""
    if not data:
        raise CertificateError(_("The file is empty."))
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            certificates = x509.load_pem_x509_certificates(data)
            if len(certificates) != 1:
                raise CertificateError(_("The file must hold exactly one certificate."))
            certificate = certificates[0]
        else:
            certificate = x509.load_der_x509_certificate(data)
    except CertificateError:
        raise
    except ValueError:
        raise CertificateError(_("This file is not an X.509 certificate (.cer, .pem or .der).")) from None
    der = certificate.public_bytes(Encoding.DER)
    return ParsedCertificate(
        der=der,
        subject=certificate.subject.rfc4514_string(),
        thumbprint=hashlib.sha1(der).hexdigest().upper(),  # noqa: S324 - a thumbprint, not security
        not_after=certificate.not_valid_after_utc,
    )
