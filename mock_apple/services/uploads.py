"""Files uploaded to the mock Apple School Manager (an MDM vendor's public key, a CSR for a push
certificate): the size limit, and a file that cannot be read refused in the person's words."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mock_apple import crypto

T = TypeVar("T")


def upload_load(*, data: bytes, load: Callable[[bytes], T], invalid_message: str) -> T:
    """`load(data)`, or a ValidationError: too large, or `invalid_message` if `load` refuses it."""
    if len(data) > settings.ASM_MAX_UPLOAD_BYTES:
        raise ValidationError(_("The file is too large."), code="too_large")
    try:
        return load(data)
    except crypto.CertificateError:
        raise ValidationError(invalid_message, code="invalid") from None
