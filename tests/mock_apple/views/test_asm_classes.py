"""Apple School Manager › Classes, and a class with its instructors and students."""

from __future__ import annotations

import pytest

from mock_apple.models import RosterClass
from tests.mock_apple.conftest import APPLE_DB
from tests.mock_apple.roster_records import algebra, imported, server_of


@pytest.mark.django_db(databases=APPLE_DB)
class AsmClassesTests:
    def test_it_lists_classes_with_their_counts_and_search(self, asm_admin, organization) -> None:
        imported(
            server_of(organization),
            classes=[algebra(), algebra(class_id="11002", display_name="Art", student_ids=())],
        )
        page = asm_admin.get("/asm/classes/").context["page"]
        assert [(c.display_name, c.instructor_count, c.student_count) for c in page] == [
            ("Art", 1, 0),
            ("Math - Algebra 1", 1, 2),
        ]
        assert [c.class_id for c in asm_admin.get("/asm/classes/?q=algebra").context["page"]] == ["11001"]
        assert [c.class_id for c in asm_admin.get("/asm/classes/?q=11002").context["page"]] == ["11002"]
        fragment = asm_admin.get("/asm/classes/?fragment=grid&q=art", HTTP_HX_REQUEST="true")
        assert b"<html" not in fragment.content and b"Art" in fragment.content

    def test_a_class_shows_its_instructors_and_students(self, asm_admin, organization) -> None:
        imported(server_of(organization))
        school_class = RosterClass.objects.get()
        body = asm_admin.get(f"/asm/classes/{school_class.pk}/").content.decode()
        assert "Instructor (1)" in body and "Students (2)" in body
        assert "craig.beane@appleid.contoso.edu" in body and "beulah.mcmillan@appleid.contoso.edu" in body

    def test_a_manual_class_says_why_it_lost_its_students(self, asm_admin, organization) -> None:
        imported(server_of(organization))
        imported(server_of(organization), people=[], classes=[algebra(active=False)])
        body = asm_admin.get(f"/asm/classes/{RosterClass.objects.get().pk}/").content.decode()
        assert "This class is no longer in its source" in body and "Students (0)" in body

    def test_no_classes_yet(self, asm_staff) -> None:
        assert b"No classes yet." in asm_staff.get("/asm/classes/").content

    def test_unknown_classes_are_not_found_and_other_methods_refused(self, asm_admin) -> None:
        assert asm_admin.get("/asm/classes/4040/").status_code == 404
        assert asm_admin.post("/asm/classes/").status_code == 405
