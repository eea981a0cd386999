from __future__ import annotations

from sds.models import SchoolClass
from tests.conftest import HTMX
from tests.sds.conftest import sample, upload_and_process, without_lines


class ClassDetailTests:
    def test_it_shows_the_teachers_and_the_students(self, admin_client, imported_classic) -> None:
        algebra = SchoolClass.objects.get(sis_id="11001")
        response = admin_client.get(f"/sds/classes/{algebra.pk}/")
        assert response.status_code == 200
        assert b"<html" in response.content
        assert [e.person.display_name for e in response.context["teachers"]] == ["Craig Beane"]
        students = [e.person.display_name for e in response.context["students"]]
        assert len(students) == 22 and students[:2] == ["Erma Ballard", "Petra Barlow"]
        assert b"Teacher (1)" in response.content and b"Students (22)" in response.content

    def test_it_leaves_out_enrollments_that_turned_inactive(
        self, admin_client, classic_profile, imported_classic, admin_user
    ) -> None:
        files = without_lines(sample("v1-25-users"), "StudentEnrollment.csv", "11001,13001")
        upload_and_process(classic_profile, files, admin_user)
        algebra = SchoolClass.objects.get(sis_id="11001")
        response = admin_client.get(f"/sds/classes/{algebra.pk}/", **HTMX)
        assert b"<html" not in response.content
        assert len(response.context["students"]) == 21
        assert b"Students (21)" in response.content

    def test_a_professor_is_listed_with_the_teachers(self, admin_client, imported_v21) -> None:
        school_class = SchoolClass.objects.get(sis_id="112001")
        response = admin_client.get(f"/sds/classes/{school_class.pk}/")
        assert [(e.person.display_name, e.role) for e in response.context["teachers"]] == [
            ("Jason Jonzer", "professor")
        ]
        assert b"Professor" in response.content

    def test_an_unknown_class_is_not_found(self, admin_client) -> None:
        assert admin_client.get("/sds/classes/999/").status_code == 404

    def test_anonymous_users_sign_in_first(self, client, imported_classic) -> None:
        assert client.get(f"/sds/classes/{SchoolClass.objects.earliest('pk').pk}/")["Location"].startswith(
            "/signin/"
        )

    def test_it_refuses_other_methods(self, admin_client, imported_classic) -> None:
        assert admin_client.post(f"/sds/classes/{SchoolClass.objects.earliest('pk').pk}/").status_code == 405
