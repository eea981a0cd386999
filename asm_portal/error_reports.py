"""Secrets stay secret on error pages too.

Their storage (Fernet ciphertext at rest, key rotation) is the `encrypted_fields` library,
shared with the mock Apple process.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter


class SecretsExceptionReporterFilter(SafeExceptionReporterFilter):
    """Hide what `sensitive_variables` / `sensitive_post_parameters` mark, even when DEBUG is on.

    Django's filter only works when DEBUG is False, but demos and trainings run with DEBUG on:
    a debug page must not show a decrypted server token or a private key either.
    """

    def is_active(self, request: HttpRequest | None) -> bool:
        return True
