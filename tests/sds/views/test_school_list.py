from __future__ import annotations

from tests.conftest import HTMX

URL = "/sds/schools/"


class SchoolListTests:
    def test_it_lists_schools_with_their_counts(self, admin_client, imported_classic) -> None:
        response = admin_client.get(URL)
        assert response.status_code == 200
        assert b"<html" in response.content
        rows = {school.name: (people, classes) for school, people, classes in response.context["rows"]}
        contoso_people, contoso_classes = rows["Contoso High School"]
        assert (contoso_people["students"], contoso_people["staff"], contoso_classes) == (22, 2, 2)
        assert rows["Fabrikam High School"] == ({}, 0)

    def test_it_searches_by_name_or_sis_id_and_filters(
        self, admin_client, imported_classic, imported_v21
    ) -> None:
        def names(query: str) -> list[str]:
            response = admin_client.get(URL + query + "&fragment=grid", **HTMX)
            assert b"blade-header" not in response.content
            return [school.name for school, _people, _classes in response.context["rows"]]

        assert names("?q=fabrikam") == ["Fabrikam High School"]
        assert names("?q=110004") == ["Ministry of TwoDotOne"]
        assert names(f"?profile={imported_v21.profile_id}&q=") == [
            "College of Engineering",
            "Computer Science Department",
            "Ministry of TwoDotOne",
            "School of TwoDotOne",
        ]
        assert names("?status=inactive") == []

    def test_htmx_gets_the_journey_only(self, admin_client) -> None:
        response = admin_client.get(URL, **HTMX)
        assert b"<html" not in response.content and b"No schools to display" in response.content

    def test_anonymous_users_sign_in_first(self, client) -> None:
        assert client.get(URL)["Location"].startswith("/signin/")

    def test_it_refuses_other_methods(self, admin_client) -> None:
        assert admin_client.post(URL).status_code == 405
