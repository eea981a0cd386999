"""The roster files of an upload are secrets at rest: encrypted by the one library, rotated with
every other secret by `reencrypt_secrets`."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command

from sds import uploads
from sds.models import RosterFile
from tests.sds.conftest import raw_content, sample

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


class RosterFileContentTests:
    # `reencrypt_secrets` rewrites the mock Apple's secrets too, on its own database.
    @pytest.mark.django_db(databases=["default", "apple"])
    def test_roster_files_survive_a_key_rotation(self, settings, classic_profile, admin_user) -> None:
        settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
        files = sample("v1-25-users")
        uploads.roster_upload_create(actor=admin_user, profile=classic_profile, files=files)
        stored = RosterFile.objects.get(name="School.csv")
        assert Fernet(KEY_A.encode()).decrypt(raw_content(stored)) == files["School.csv"]

        settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
        call_command("reencrypt_secrets", verbosity=0)
        settings.FIELD_ENCRYPTION_KEYS = [KEY_B]

        assert RosterFile.objects.get(pk=stored.pk).content == files["School.csv"]
        with pytest.raises(InvalidToken):
            Fernet(KEY_A.encode()).decrypt(raw_content(stored))
