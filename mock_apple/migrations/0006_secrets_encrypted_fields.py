"""Secrets at rest through encrypted_fields, the library the portal uses.

The columns already hold Fernet ciphertext under settings.FIELD_ENCRYPTION_KEYS, written as
text by the former mock_apple.crypto.encrypt: exactly what EncryptedTextField reads and writes.
So the fields are renamed (the `_encrypted` suffix goes: the field type says it) and altered
without touching a row; `reencrypt_secrets` now rewrites them when a key rotates.
"""

from django.db import migrations

import encrypted_fields


class Migration(migrations.Migration):
    dependencies = [
        ("mock_apple", "0005_mdm_server_enrollment_url_derived"),
    ]

    operations = [
        migrations.RenameField("servertoken", "consumer_secret_encrypted", "consumer_secret"),
        migrations.RenameField("servertoken", "access_secret_encrypted", "access_secret"),
        migrations.RenameField("certificateauthority", "private_key_encrypted", "private_key"),
        migrations.RenameField("virtualdevice", "private_key_encrypted", "private_key"),
        migrations.AlterField(
            model_name="servertoken",
            name="consumer_secret",
            field=encrypted_fields.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="servertoken",
            name="access_secret",
            field=encrypted_fields.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="certificateauthority",
            name="private_key",
            field=encrypted_fields.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="virtualdevice",
            name="private_key",
            field=encrypted_fields.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="person",
            name="temporary_password",
            field=encrypted_fields.EncryptedTextField(blank=True),
        ),
    ]
