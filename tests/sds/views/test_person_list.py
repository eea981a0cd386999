from __future__ import annotations

from sds.models import School
from tests.conftest import HTMX

URL = "/sds/people/"


class PersonListTests:
    def names(self, client, query: str = "") -> list[str]:
        response = client.get(URL + query, **HTMX)
        assert response.status_code == 200
        return [person.display_name for person in response.context["page"]]

    def test_it_lists_people_with_their_schools(self, admin_client, imported_classic) -> None:
        response = admin_client.get(URL)
        assert response.status_code == 200
        assert b"<html" in response.content
        assert response.context["page"].paginator.count == 24
        first = response.context["page"][0]
        assert (first.display_name, first.username) == ("Erma Ballard", "Eballard@contoso.edu")
        assert [m.school.name for m in first.active_memberships] == ["Contoso High School"]

    def test_it_searches_by_name_username_or_sis_id(self, admin_client, imported_classic) -> None:
        assert self.names(admin_client, "?q=klein&fragment=grid") == ["Ora Klein"]
        assert self.names(admin_client, "?q=DTODD&fragment=grid") == ["Daisy Todd"]
        assert self.names(admin_client, "?q=14001&fragment=grid") == ["Craig Beane"]
        assert self.names(admin_client, "?q=nobody&fragment=grid") == []

    def test_it_filters_by_role_school_and_status(self, admin_client, imported_classic, imported_v21) -> None:
        assert self.names(admin_client, "?role=staff") == [
            "Craig Beane",
            "Kristen Fein",
            "Jason Jonzer",
            "Daisy Todd",
        ]
        assert len(self.names(admin_client, "?role=student")) == 22 + 4
        school = School.objects.get(sis_id="110003")
        assert self.names(admin_client, f"?school={school.pk}") == [
            "Jack Craig",
            "Kristen Fein",
            "Fred Hutch",
            "Alice Smithee",
        ]
        assert self.names(admin_client, "?status=inactive") == []

    def test_it_pages_fifty_at_a_time(self, admin_client, imported_classic, imported_v21) -> None:
        response = admin_client.get(URL + "?page=1")
        assert len(response.context["page"]) == 32  # 24 + 8: one page
        assert b"Showing 1 to 32 of 32 records" in response.content

    def test_htmx_grid_fragment_has_no_blade(self, admin_client) -> None:
        response = admin_client.get(URL + "?fragment=grid", **HTMX)
        assert b"blade-header" not in response.content and b'id="grid"' in response.content

    def test_anonymous_users_sign_in_first(self, client) -> None:
        assert client.get(URL)["Location"].startswith("/signin/")

    def test_it_refuses_other_methods(self, admin_client) -> None:
        assert admin_client.post(URL).status_code == 405
