"""Delete profile: the confirmation, read-only, the deletion."""

from __future__ import annotations

from profiles.models import EnrollmentProfile
from tests.profiles.conftest import profile_create


class ProfileDeleteViewTests:
    def test_delete(self, admin_client, operator_client, token) -> None:
        profile = profile_create(token)
        url = f"/enrollment/apple/profiles/{profile.pk}/delete/"
        assert "This action will permanently delete" in admin_client.get(url).content.decode()
        assert operator_client.post(url).status_code == 403
        assert admin_client.post(url).status_code == 302
        assert not EnrollmentProfile.objects.exists()
