from __future__ import annotations

from sds.models import Person
from tests.conftest import HTMX


class PersonDetailTests:
    def test_it_shows_the_person_their_schools_and_classes(self, admin_client, imported_classic) -> None:
        ora = Person.objects.get(sis_id="13001")
        response = admin_client.get(f"/sds/people/{ora.pk}/")
        assert response.status_code == 200
        assert b"<html" in response.content
        content = response.content.decode()
        assert "OKlein@contoso.edu" in content and "Christopher" in content
        assert [m.school.name for m in response.context["memberships"]] == ["Contoso High School"]
        assert [e.school_class.title for e in response.context["enrollments"]] == [
            "Math - Algebra 1",
            "Math - Algebra 2",
        ]
        assert "P@ssword" not in content

    def test_htmx_gets_the_journey_only(self, admin_client, imported_v21) -> None:
        kristen = Person.objects.get(sis_id="114007")
        response = admin_client.get(f"/sds/people/{kristen.pk}/", **HTMX)
        assert b"<html" not in response.content
        assert kristen.display_name.encode() in response.content
        assert b"Ministry of TwoDotOne" in response.content
        assert [(m.school.name, m.is_primary) for m in response.context["memberships"]] == [
            ("Ministry of TwoDotOne", True),
            ("School of TwoDotOne", False),
        ]

    def test_an_unknown_person_is_not_found(self, admin_client) -> None:
        assert admin_client.get("/sds/people/999/").status_code == 404

    def test_anonymous_users_sign_in_first(self, client, imported_classic) -> None:
        assert client.get(f"/sds/people/{Person.objects.earliest('pk').pk}/")["Location"].startswith(
            "/signin/"
        )

    def test_it_refuses_other_methods(self, admin_client, imported_classic) -> None:
        assert admin_client.post(f"/sds/people/{Person.objects.earliest('pk').pk}/").status_code == 405
