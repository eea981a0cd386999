from __future__ import annotations

from asm_portal.models import AuditEvent
from sds.models import SyncProfile
from tests.conftest import HTMX

URL = "/sds/profiles/new/"


class ProfileCreateTests:
    def test_it_shows_the_form_as_a_page(self, admin_client) -> None:
        response = admin_client.get(URL)
        assert response.status_code == 200
        assert b"<html" in response.content
        assert b'name="domain_suffix"' in response.content
        # The CSV format is a choice between the formats, with no "---------" blank one.
        assert b"---------" not in response.content and response.content.count(b'name="roster_format"') == 2

    def test_htmx_gets_the_context_pane_only(self, admin_client) -> None:
        response = admin_client.get(URL, **HTMX)
        assert response.status_code == 200
        assert b"<html" not in response.content
        assert b'class="pane-panel"' in response.content
        assert b'name="domain_suffix"' in response.content

    def test_it_creates_a_profile_and_opens_it(self, admin_client, admin_user) -> None:
        response = admin_client.post(
            URL, {"name": "  Contoso  ", "roster_format": "v1", "domain_suffix": "@Contoso.EDU"}
        )
        profile = SyncProfile.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/sds/profiles/{profile.pk}/"
        assert (profile.name, profile.roster_format, profile.domain_suffix) == (
            "Contoso",
            "v1",
            "contoso.edu",
        )
        assert AuditEvent.objects.get(action="Create sync profile").actor == admin_user

    def test_htmx_post_navigates_to_the_profile(self, admin_client) -> None:
        response = admin_client.post(URL, {"name": "Contoso", "roster_format": "v2.1"}, **HTMX)
        assert response.status_code == 204
        assert f'"path": "/sds/profiles/{SyncProfile.objects.get().pk}/"' in response["HX-Location"]

    def test_bad_input_is_explained_and_changes_nothing(self, admin_client) -> None:
        SyncProfile.objects.create(name="Contoso", roster_format="v1", created_at="2026-01-01T00:00:00Z")
        for data, message in (
            ({"name": "ab", "roster_format": "v1"}, b"at least 3 characters"),
            ({"name": "Contoso", "roster_format": "v1"}, b"already exists"),
            ({"name": "Fabrikam", "roster_format": "v3"}, b"Select a valid choice"),
            (
                {"name": "Fabrikam", "roster_format": "v1", "domain_suffix": "not a domain"},
                b"Enter a domain name",
            ),
        ):
            response = admin_client.post(URL, data, **HTMX)
            assert response.status_code == 200, data
            assert message in response.content, data
        assert SyncProfile.objects.count() == 1

    def test_read_only_operators_are_refused(self, operator_client) -> None:
        assert operator_client.get(URL).status_code == 403
        assert operator_client.post(URL, {"name": "Contoso", "roster_format": "v1"}).status_code == 403
        assert not SyncProfile.objects.exists()

    def test_anonymous_users_sign_in_first(self, client, db) -> None:
        assert client.post(URL, {"name": "Contoso", "roster_format": "v1"})["Location"].startswith("/signin/")
        assert not SyncProfile.objects.exists()

    def test_it_refuses_other_methods(self, admin_client) -> None:
        assert admin_client.put(URL).status_code == 405
