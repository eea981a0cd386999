"""The one scoped getter of a profile, for the views of every app."""

from __future__ import annotations

import pytest
from django.http import Http404

from profiles.selectors import profile_get_for_user
from tests.profiles.conftest import profile_create
from tokens.models import EnrollmentProgramToken


class ProfileGetForUserTests:
    def test_it_returns_the_profile_with_its_token_without_the_secrets(self, admin_user, token) -> None:
        profile = profile_create(token)
        found = profile_get_for_user(user=admin_user, pk=profile.pk)
        assert found == profile and found.token == token
        assert set(EnrollmentProgramToken.SECRET_FIELDS) <= found.token.get_deferred_fields()

    def test_an_unknown_profile_is_not_found(self, admin_user, db) -> None:
        with pytest.raises(Http404):
            profile_get_for_user(user=admin_user, pk=404)
