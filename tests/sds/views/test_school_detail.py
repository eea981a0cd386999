from __future__ import annotations

from sds.models import School
from tests.conftest import HTMX


class SchoolDetailTests:
    def test_it_shows_the_school_and_its_counts(self, admin_client, imported_classic) -> None:
        school = School.objects.get(sis_id="10001")
        response = admin_client.get(f"/sds/schools/{school.pk}/")
        assert response.status_code == 200
        assert b"<html" in response.content and b"Contoso High School" in response.content
        assert [(label, count) for label, _url, count in response.context["tiles"]] == [
            ("Students", 22),
            ("Teachers and staff", 2),
            ("Classes", 2),
        ]
        assert f'href="/sds/people/?school={school.pk}&amp;role=student"'.encode() in response.content

    def test_it_links_the_parent_organisation(self, admin_client, imported_v21) -> None:
        department = School.objects.get(sis_id="110002")
        response = admin_client.get(f"/sds/schools/{department.pk}/", **HTMX)
        assert b"<html" not in response.content
        assert response.context["parent"].name == "College of Engineering"
        assert b"Department" in response.content
        assert department.name.encode() in response.content and b"College of Engineering" in response.content

    def test_an_unknown_school_is_not_found(self, admin_client) -> None:
        assert admin_client.get("/sds/schools/999/").status_code == 404

    def test_anonymous_users_sign_in_first(self, client, imported_classic) -> None:
        school = School.objects.earliest("pk")
        assert client.get(f"/sds/schools/{school.pk}/")["Location"].startswith("/signin/")

    def test_it_refuses_other_methods(self, admin_client, imported_classic) -> None:
        assert admin_client.post(f"/sds/schools/{School.objects.earliest('pk').pk}/").status_code == 405
