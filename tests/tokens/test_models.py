"""Tokens load without their OAuth secrets, and reading one later never loses unsaved changes."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from profiles.models import EnrollmentProfile
from profiles.views import _profiles
from tests.profiles.conftest import profile_create, token_create
from tokens.models import SECRET_FIELDS, EnrollmentProgramToken, token_secrets_via


class TokenSecretsTests:
    def test_the_default_manager_defers_the_secrets(self, db) -> None:
        token = token_create()
        loaded = EnrollmentProgramToken.objects.get(pk=token.pk)
        assert set(loaded.get_deferred_fields()) == set(SECRET_FIELDS)
        assert not set(EnrollmentProgramToken.objects.with_secrets().get(pk=token.pk).get_deferred_fields())

    def test_reading_a_secret_later_keeps_unsaved_changes(self, db) -> None:
        token = token_create()
        loaded = EnrollmentProgramToken.objects.get(pk=token.pk)
        loaded.token_name = "Renamed, not saved"
        with CaptureQueriesContext(connection) as queries:
            secret = loaded.consumer_key
        assert secret == token.consumer_key
        assert loaded.token_name == "Renamed, not saved"
        # One query, for that one column (and the key), not the whole row.
        assert len(queries) == 1 and "token_name" not in queries[0]["sql"]

    def test_related_access_and_profile_grids_leave_the_secrets_encrypted(self, db) -> None:
        profile = profile_create(token_create())
        assert set(EnrollmentProfile.objects.get(pk=profile.pk).token.get_deferred_fields()) == set(
            SECRET_FIELDS
        )
        shown = _profiles().get(pk=profile.pk)
        assert set(shown.token.get_deferred_fields()) >= set(SECRET_FIELDS)

    def test_token_secrets_via_names_the_related_columns(self) -> None:
        assert token_secrets_via("profile__token") == tuple(
            f"profile__token__{name}" for name in SECRET_FIELDS
        )
