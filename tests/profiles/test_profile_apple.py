"""Profiles defined on the mock Apple service over real HTTP (its own process)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.conf import settings

from mock_apple.models import Profile as AppleProfile
from profiles import services
from tests.mock_apple.conftest import (  # noqa: F401
    control,
    dep_server,
    live,
    organization_create,
    server_with_token,
)
from tests.profiles.conftest import profile_create, token_create


@pytest.fixture
def apple_token(settings, dep_server):  # noqa: F811
    settings.APPLE_BASE_URL = dep_server
    organization = organization_create(devices=5)
    server, values = server_with_token(organization, devices=2)
    return token_create(credentials=values, server_uuid=server.server_uuid)


@pytest.mark.integration
@live
class ProfileOnAppleTests:
    def test_it_defines_the_profile_once(self, apple_token) -> None:
        profile = profile_create(apple_token, hidden_screens=["Siri", "Passcode"])
        uuid = services.profile_define_on_apple(profile=profile)
        stored = AppleProfile.objects.get(profile_uuid=uuid)
        assert stored.data["profile_name"] == "Student iPads"
        assert stored.data["skip_setup_items"] == ["Passcode", "Siri"]
        assert stored.data["url"].endswith(f"/enroll/{apple_token.pk}/")
        # The same definition again: no new profile on Apple.
        assert services.profile_define_on_apple(profile=profile) == uuid
        assert AppleProfile.objects.count() == 1

    def test_an_edit_defines_a_new_profile(self, admin_user, apple_token) -> None:
        profile = profile_create(apple_token)
        first = services.profile_define_on_apple(profile=profile)
        services.profile_update(
            actor=admin_user, profile=profile, values=replace(profile.values(), department="Library")
        )
        profile.refresh_from_db()
        assert profile.apple_profile_uuid != first
        assert (
            AppleProfile.objects.get(profile_uuid=profile.apple_profile_uuid).data["department"] == "Library"
        )

    def test_apples_refusal_shows_next_to_its_field_and_saves_nothing(self, admin_user, apple_token) -> None:
        profile = profile_create(apple_token)
        uuid = services.profile_define_on_apple(profile=profile)
        # A department within Apple's published limits that Apple refuses all the same.
        queued = control(
            settings.APPLE_BASE_URL,
            "POST",
            "faults",
            {"endpoint": "profile_define", "status": 400, "code": "DEPARTMENT_INVALID"},
        )
        assert queued.status_code == 201, queued.text
        with pytest.raises(services.ProfileRefused) as refused:
            services.profile_update(
                actor=admin_user, profile=profile, values=replace(profile.values(), department="Sciences")
            )
        assert refused.value.errors == {
            "department": ["Apple rejected the department (Invalid department entry)."]
        }
        profile.refresh_from_db()
        assert profile.department == "IT"
        assert profile.apple_profile_uuid == uuid

    def test_a_department_beyond_apples_limit_never_reaches_apple(self, admin_user, apple_token) -> None:
        profile = profile_create(apple_token)
        uuid = services.profile_define_on_apple(profile=profile)
        with pytest.raises(services.ProfileRefused) as refused:
            services.profile_update(
                actor=admin_user, profile=profile, values=replace(profile.values(), department="D" * 130)
            )
        assert list(refused.value.errors) == ["department"]
        assert "125" in str(refused.value.errors["department"][0])
        profile.refresh_from_db()
        assert profile.department == "IT"
        assert profile.apple_profile_uuid == uuid
        assert AppleProfile.objects.count() == 1  # Apple was not asked

    def test_apple_unreachable_saves_nothing(self, admin_user, apple_token, settings) -> None:
        profile = profile_create(apple_token)
        services.profile_define_on_apple(profile=profile)
        settings.APPLE_BASE_URL = "http://127.0.0.1:9"
        with pytest.raises(services.ProfileRefused, match="could not be reached"):
            services.profile_update(
                actor=admin_user, profile=profile, values=replace(profile.values(), department="X")
            )
        profile.refresh_from_db()
        assert profile.department == "IT"
