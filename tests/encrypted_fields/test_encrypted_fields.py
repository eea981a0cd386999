"""Field encryption: ciphertext at rest, key rotation, and a clear error for a missing key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

import encrypted_fields as crypto
from tokens.models import TokenEncryptionKey

FIRST = Fernet.generate_key().decode()
SECOND = Fernet.generate_key().decode()


def raw_private_key(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT private_key FROM tokens_tokenencryptionkey WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


def make_row(secret: str = "-----BEGIN PRIVATE KEY-----\nsecret\n") -> TokenEncryptionKey:
    from asm_portal import clock

    return TokenEncryptionKey.objects.create(
        private_key=secret, certificate_pem="cert", created_at=clock.now()
    )


class EncryptedFieldsTests:
    def test_it_round_trips_with_random_ciphertext(self, settings) -> None:
        settings.FIELD_ENCRYPTION_KEYS = [FIRST]
        one, two = crypto.encrypt_text("AS_secret"), crypto.encrypt_text("AS_secret")
        assert one != two and "AS_secret" not in one
        assert crypto.decrypt_text(one) == crypto.decrypt_text(two) == "AS_secret"

    def test_the_column_holds_ciphertext_and_the_model_plaintext(self, db, settings) -> None:
        settings.FIELD_ENCRYPTION_KEYS = [FIRST]
        row = make_row()
        stored = raw_private_key(row.pk)
        assert "PRIVATE KEY" not in stored and "secret" not in stored
        assert Fernet(FIRST.encode()).decrypt(stored.encode()).decode() == row.private_key
        assert (
            TokenEncryptionKey.objects.get(pk=row.pk).private_key == "-----BEGIN PRIVATE KEY-----\nsecret\n"
        )

    def test_the_first_key_encrypts_and_every_key_decrypts(self, db, settings) -> None:
        settings.FIELD_ENCRYPTION_KEYS = [FIRST]
        old = make_row("old secret")
        settings.FIELD_ENCRYPTION_KEYS = [SECOND, FIRST]
        new = make_row("new secret")
        assert TokenEncryptionKey.objects.get(pk=old.pk).private_key == "old secret"
        Fernet(SECOND.encode()).decrypt(raw_private_key(new.pk).encode())
        with pytest.raises(Exception):  # noqa: B017 - any Fernet failure: the old key did not encrypt it
            Fernet(FIRST.encode()).decrypt(raw_private_key(new.pk).encode())

    # `reencrypt_secrets` walks the mock Apple's secrets too, on its own database.
    @pytest.mark.django_db(databases=["default", "apple"])
    def test_reencrypt_secrets_moves_every_row_to_the_first_key(self, settings, capsys) -> None:
        settings.FIELD_ENCRYPTION_KEYS = [FIRST]
        row = make_row("rotate me")
        settings.FIELD_ENCRYPTION_KEYS = [SECOND, FIRST]
        call_command("reencrypt_secrets")
        assert "1 secret encrypted with the current key." in capsys.readouterr().out
        call_command("reencrypt_secrets", language="fr")  # a French administrator's run
        assert " secret chiffré avec la clé actuelle." in capsys.readouterr().out
        settings.FIELD_ENCRYPTION_KEYS = [SECOND]  # the old key is gone; the row still reads
        assert TokenEncryptionKey.objects.get(pk=row.pk).private_key == "rotate me"

    def test_a_missing_key_is_a_clear_error_without_the_ciphertext(self, db, settings) -> None:
        settings.FIELD_ENCRYPTION_KEYS = [FIRST]
        row = make_row("lost")
        stored = raw_private_key(row.pk)
        settings.FIELD_ENCRYPTION_KEYS = [SECOND]
        with pytest.raises(crypto.DecryptionError) as caught:
            TokenEncryptionKey.objects.get(pk=row.pk)
        assert "FIELD_ENCRYPTION_KEY" in str(caught.value) and stored not in str(caught.value)
