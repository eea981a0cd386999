"""The mock Apple's secrets at rest go through encrypted_fields: `reencrypt_secrets` rotates them
with the portal's (server tokens, CA keys, virtual iPads' keys, temporary passwords)."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connections

from mock_apple.ipad import identity
from mock_apple.models import CertificateAuthority, Device, Person, ServerToken, VirtualDevice
from mock_apple.services import mdm_servers, push
from tests.mock_apple.conftest import APPLE_DB, organization_create, stored
from tests.mock_apple.roster_records import imported, server_of

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def secrets_of(rows: dict[str, Any]) -> dict[str, str]:
    """Every secret, read back through the models: (model, field) -> plaintext."""
    token, authority, virtual, person = rows["token"], rows["authority"], rows["virtual"], rows["person"]
    token = ServerToken.objects.get(pk=token.pk)
    virtual = VirtualDevice.objects.get(pk=virtual.pk)
    return {
        "consumer_secret": token.consumer_secret,
        "access_secret": token.access_secret,
        "ca_private_key": CertificateAuthority.objects.get(pk=authority.pk).private_key,
        "ipad_private_key": virtual.private_key,
        "temporary_password": Person.objects.get(pk=person.pk).temporary_password,
    }


def columns_of(rows: dict[str, Any]) -> list[str]:
    return [
        stored(rows["token"], "consumer_secret"),
        stored(rows["token"], "access_secret"),
        stored(rows["authority"], "private_key"),
        stored(rows["virtual"], "private_key"),
        stored(rows["person"], "temporary_password"),
    ]


@pytest.mark.django_db(transaction=True, databases=APPLE_DB)
class SecretsRotationTests:
    def test_it_rewrites_every_mock_apple_secret_under_the_new_key(self, settings) -> None:
        settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
        organization = organization_create(devices=3)
        server = server_of(organization)
        token, values = mdm_servers.server_token_issue(actor=None, server=server)
        authority = push.certificate_authority()
        virtual = identity.virtual_device_of(Device.objects.filter(organization=organization).earliest("id"))
        imported(server)
        person = Person.objects.exclude(temporary_password="").order_by("id").first()
        rows = {"token": token, "authority": authority, "virtual": virtual, "person": person}
        before = secrets_of(rows)
        assert (before["consumer_secret"], before["access_secret"]) == (
            values["consumer_secret"],
            values["access_secret"],
        )
        assert "PRIVATE KEY" in before["ca_private_key"] and "PRIVATE KEY" in before["ipad_private_key"]
        for column in columns_of(rows):
            Fernet(KEY_A.encode()).decrypt(column.encode())  # written under A

        settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
        call_command("reencrypt_secrets", verbosity=0)
        settings.FIELD_ENCRYPTION_KEYS = [KEY_B]  # A is gone: everything still reads

        assert secrets_of(rows) == before
        for column in columns_of(rows):
            with pytest.raises(InvalidToken):
                Fernet(KEY_A.encode()).decrypt(column.encode())
            Fernet(KEY_B.encode()).decrypt(column.encode())

    def test_a_secret_written_by_the_former_mock_apple_crypto_reads_back(self, settings) -> None:
        """Migration 0006 changes no row: the former mock_apple.crypto.encrypt wrote Fernet
        ciphertext as text under the same keys, which is what EncryptedTextField reads."""
        settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
        server = server_of(organization_create(devices=1))
        token, _ = mdm_servers.server_token_issue(actor=None, server=server)
        former = Fernet(KEY_A.encode()).encrypt(b"CS_former").decode()  # crypto.encrypt's output
        with connections["apple"].cursor() as cursor:
            cursor.execute(
                "UPDATE mock_apple_servertoken SET consumer_secret = %s WHERE id = %s", [former, token.pk]
            )
        assert ServerToken.objects.get(pk=token.pk).consumer_secret == "CS_former"
