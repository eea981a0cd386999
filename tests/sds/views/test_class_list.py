from __future__ import annotations

from sds.models import School
from tests.conftest import HTMX

URL = "/sds/classes/"


class ClassListTests:
    def test_it_lists_classes_with_teachers_and_students(self, admin_client, imported_classic) -> None:
        response = admin_client.get(URL)
        assert response.status_code == 200
        assert b"<html" in response.content
        rows = [
            (c.title, c.school.name, counts["teachers"], counts["students"])
            for c, counts in response.context["rows"]
        ]
        assert rows == [
            ("Math - Algebra 1", "Contoso High School", 1, 22),
            ("Math - Algebra 2", "Contoso High School", 1, 22),
        ]

    def test_it_searches_and_filters_by_school(self, admin_client, imported_classic, imported_v21) -> None:
        def titles(query: str) -> list[str]:
            response = admin_client.get(URL + query, **HTMX)
            return [c.title for c, _counts in response.context["rows"]]

        assert titles("?q=algebra 2&fragment=grid") == ["Math - Algebra 2"]
        assert titles("?q=112001&fragment=grid") == ["Computer Science 101"]
        school = School.objects.get(sis_id="110003")
        assert titles(f"?school={school.pk}&fragment=grid") == ["Biology 10"]
        response = admin_client.get(f"{URL}?school={school.pk}")
        assert b'name="school" value="%d"' % school.pk in response.content

    def test_htmx_gets_the_journey_only(self, admin_client) -> None:
        response = admin_client.get(URL, **HTMX)
        assert b"<html" not in response.content and b"No classes to display" in response.content

    def test_anonymous_users_sign_in_first(self, client) -> None:
        assert client.get(URL)["Location"].startswith("/signin/")

    def test_it_refuses_other_methods(self, admin_client) -> None:
        assert admin_client.post(URL).status_code == 405
