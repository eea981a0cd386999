from __future__ import annotations

from tests.conftest import HTMX


class ProfileDetailTests:
    def url(self, profile) -> str:
        return f"/sds/profiles/{profile.pk}/"

    def test_it_shows_the_profile_its_files_and_uploads(
        self, admin_client, classic_profile, imported_classic
    ) -> None:
        response = admin_client.get(self.url(classic_profile))
        assert response.status_code == 200
        assert b"<html" in response.content
        assert list(response.context["page"]) == [imported_classic]
        content = response.content.decode()
        assert "StudentEnrollment.csv" in content and "Required when classes are synced" in content
        assert f'href="/sds/uploads/{imported_classic.pk}/"' in content

    def test_htmx_gets_the_journey_or_the_grid(self, admin_client, classic_profile) -> None:
        response = admin_client.get(self.url(classic_profile), **HTMX)
        assert b"<html" not in response.content and b"blade-header" in response.content
        response = admin_client.get(self.url(classic_profile) + "?fragment=grid", **HTMX)
        assert b"blade-header" not in response.content and b'id="grid"' in response.content

    def test_operators_see_the_upload_command_disabled(self, operator_client, classic_profile) -> None:
        response = operator_client.get(self.url(classic_profile))
        assert response.status_code == 200
        assert f'hx-get="/sds/profiles/{classic_profile.pk}/upload/"'.encode() not in response.content

    def test_an_unknown_profile_is_not_found(self, admin_client) -> None:
        assert admin_client.get("/sds/profiles/999/").status_code == 404

    def test_anonymous_users_sign_in_first(self, client, classic_profile) -> None:
        assert client.get(self.url(classic_profile))["Location"].startswith("/signin/")

    def test_it_refuses_other_methods(self, admin_client, classic_profile) -> None:
        assert admin_client.post(self.url(classic_profile)).status_code == 405
