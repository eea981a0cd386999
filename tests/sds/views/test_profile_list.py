from __future__ import annotations

from tests.conftest import HTMX

URL = "/sds/profiles/"


class ProfileListTests:
    def test_it_lists_the_profiles_with_their_last_upload(
        self, admin_client, imported_classic, v21_profile
    ) -> None:
        response = admin_client.get(URL)
        assert response.status_code == 200
        assert b"<html" in response.content
        rows = {profile.name: (upload, people) for profile, upload, people in response.context["rows"]}
        assert rows["Contoso classic"] == (imported_classic, 24)
        assert rows["Contoso v2.1"] == (None, 0)
        assert b"Classic SDS CSV (v1)" in response.content and b"contoso.edu" in response.content

    def test_htmx_gets_the_journey_only(self, admin_client) -> None:
        response = admin_client.get(URL, **HTMX)
        assert response.status_code == 200
        assert b"<html" not in response.content
        assert b"No sync profiles" in response.content

    def test_operators_see_the_create_command_disabled(self, operator_client, admin_client) -> None:
        assert b'aria-disabled="true"' in operator_client.get(URL).content
        assert b'hx-get="/sds/profiles/new/"' in admin_client.get(URL).content
        assert b'hx-get="/sds/profiles/new/"' not in operator_client.get(URL).content

    def test_anonymous_users_sign_in_first(self, client) -> None:
        assert client.get(URL)["Location"].startswith("/signin/")

    def test_it_refuses_other_methods(self, admin_client) -> None:
        assert admin_client.post(URL).status_code == 405
