"""Secrets at rest: Fernet ciphertext in the database, plaintext in Python, one key rotation.

A small library below both processes — the portal apps and the mock Apple service use it as
they use `cryptography`, so neither imports the other. ``settings.FIELD_ENCRYPTION_KEYS`` holds
one or more Fernet keys: the first encrypts, every key decrypts, so a new key can be put first
and the old ones kept until `secrets_reencrypt` has rewritten every encrypted column of every
model, on every database (the portal's and the mock Apple's).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.db import models, router, transaction

__all__ = [
    "DecryptionError",
    "EncryptedBinaryField",
    "EncryptedTextField",
    "decrypt_bytes",
    "decrypt_text",
    "encrypt_bytes",
    "encrypt_text",
    "secrets_reencrypt",
]


class DecryptionError(Exception):
    """A stored secret cannot be decrypted with any configured key (wrong or missing key)."""


@cache
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _fernet() -> MultiFernet:
    # Keyed on the current setting, so that tests overriding it (and rotations) take effect.
    return _fernet_for(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_bytes(plaintext: bytes) -> bytes:
    return _fernet().encrypt(plaintext)


def decrypt_bytes(ciphertext: bytes) -> bytes:
    try:
        return _fernet().decrypt(ciphertext)
    except InvalidToken:
        # Never include the ciphertext: the message may reach a log or an error page.
        raise DecryptionError("A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEY.") from None


def encrypt_text(plaintext: str) -> str:
    return encrypt_bytes(plaintext.encode("utf-8")).decode("ascii")


def decrypt_text(ciphertext: str) -> str:
    try:
        token = ciphertext.encode("ascii")
    except UnicodeEncodeError:
        raise DecryptionError("A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEY.") from None
    return decrypt_bytes(token).decode("utf-8")


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


class EncryptedBinaryField(models.BinaryField):  # type: ignore[type-arg]
    """A binary column (files such as uploaded rosters) stored as Fernet ciphertext."""

    description = "Bytes encrypted at rest"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> bytes | None:
        if value is None:
            return None
        return decrypt_bytes(bytes(value))

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is not None and not prepared:
            value = encrypt_bytes(bytes(value))
        return super().get_db_prep_value(value, connection, prepared)


ENCRYPTED_FIELDS = (EncryptedTextField, EncryptedBinaryField)


def secrets_reencrypt() -> int:
    """Rewrite every encrypted column with the first key; returns how many values changed.

    Run after putting a new key first in FIELD_ENCRYPTION_KEY; then the old keys can go. Each
    model is rewritten on the database the router sends its writes to, so the mock Apple's
    secrets (server tokens, CA keys, passwords) rotate with the portal's.
    """
    changed = 0
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, ENCRYPTED_FIELDS)]
        if not fields:
            continue
        alias = router.db_for_write(model)
        manager = model._base_manager.db_manager(alias)
        columns = [f.attname for f in fields]
        # values_list() decrypts with any key; update() encrypts again with the first one.
        with transaction.atomic(using=alias):
            for pk, *values in list(manager.values_list("pk", *columns)):
                updates = {
                    name: value
                    for name, value in zip(columns, values, strict=True)
                    if value not in (None, "")
                }
                if updates:
                    manager.filter(pk=pk).update(**updates)
                    changed += len(updates)
    return changed
