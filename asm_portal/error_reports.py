"""Secrets stay secret on error pages too, and a refused request is one line in the log.

Their storage (Fernet ciphertext at rest, key rotation) is the `encrypted_fields` library,
shared with the mock Apple process.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter


class SecretsExceptionReporterFilter(SafeExceptionReporterFilter):
    """Hide what `sensitive_variables` / `sensitive_post_parameters` mark, even when DEBUG is on.

    Django's filter only works when DEBUG is False, but demos and trainings run with DEBUG on:
    a debug page must not show a decrypted server token or a private key either.
    """

    def is_active(self, request: HttpRequest | None) -> bool:
        return True


class RefusalWithoutTraceback(logging.Filter):
    """A request refused with PermissionDenied (a 403) is expected: Django logs it on
    `django.request` with the exception's traceback, which says nothing an operator needs and
    buries real errors. The one warning line stays ("Forbidden (Permission denied): /path"),
    without the traceback; every other record is left as it is. Both services (settings.LOGGING)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True
