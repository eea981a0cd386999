"""Edit profile (Properties): GET, POST, read-only."""

from __future__ import annotations

from tests.conftest import HTMX
from tests.profiles.conftest import profile_create
from tests.profiles.views.form_data import form_data


class ProfileEditViewTests:
    def test_get_post(self, admin_client, operator_client, token) -> None:
        profile = profile_create(token)
        url = f"/enrollment/apple/profiles/{profile.pk}/properties/"
        html = admin_client.get(url).content.decode()
        assert 'type="text" name="name" value="Student iPads"' in html  # Basics, by default
        fragment = admin_client.get(f"{url}?section=setup", **HTMX).content.decode()
        assert "<html" not in fragment and 'name="screen_Siri"' in fragment
        assert 'type="hidden" name="name" value="Student iPads"' in fragment
        response = admin_client.post(url, form_data(name="Renamed"), **HTMX)
        assert response.status_code == 204 and "HX-Location" in response.headers
        profile.refresh_from_db()
        assert profile.name == "Renamed"
        assert operator_client.post(url, form_data(name="Nope")).status_code == 403
        assert admin_client.delete(url).status_code == 405
