"""Field encryption: secrets (private keys, OAuth secrets) are Fernet ciphertext at rest.

``settings.FIELD_ENCRYPTION_KEYS`` holds one or more Fernet keys. The first encrypts; every
key decrypts, so a new key can be put first and the old ones kept until `secrets_reencrypt`
has rewritten the rows.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter


class DecryptionError(Exception):
    """A stored secret cannot be decrypted with any configured key (wrong or missing key)."""


@cache
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _fernet() -> MultiFernet:
    # Keyed on the current setting, so that tests overriding it (and rotations) take effect.
    return _fernet_for(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_text(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt_text(ciphertext: str) -> str:
    try:
        return _fernet().decrypt(ciphertext.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError):
        # Never include the ciphertext: the message may reach a log or an error page.
        raise DecryptionError("A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEY.") from None


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """A text column whose value is Fernet ciphertext in the database and plaintext in Python.

    Ciphertext is randomised, so the column cannot be filtered on; store a digest next to it
    when a lookup is needed.
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt_text(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_text(str(value))


def secrets_reencrypt() -> int:
    """Rewrite every encrypted column with the first key; returns how many values changed.

    Run after putting a new key first in FIELD_ENCRYPTION_KEY; then the old keys can go.
    """
    changed = 0
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if not fields:
            continue
        manager = model._base_manager
        columns = [f.attname for f in fields]
        # values_list() decrypts with any key; update() encrypts again with the first one.
        with transaction.atomic(using=manager.db):
            for pk, *values in list(manager.values_list("pk", *columns)):
                updates = {name: value for name, value in zip(columns, values, strict=True) if value}
                if updates:
                    manager.filter(pk=pk).update(**updates)
                    changed += len(updates)
    return changed


class SecretsExceptionReporterFilter(SafeExceptionReporterFilter):
    """Hide what `sensitive_variables` / `sensitive_post_parameters` mark, even when DEBUG is on.

    Django's filter only works when DEBUG is False, but demos and trainings run with DEBUG on:
    a debug page must not show a decrypted server token or a private key either.
    """

    def is_active(self, request: HttpRequest | None) -> bool:
        return True
