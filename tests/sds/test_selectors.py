"""What the School Data Sync blades read, on the classic sample (2 schools, 24 people, 2 classes)."""

from __future__ import annotations

from sds import selectors
from sds.models import Person, School, SchoolClass


class RosterFiltersTests:
    def test_unknown_values_filter_nothing(self) -> None:
        filters = selectors.RosterFilters.from_params({"q": "  ora ", "status": "gone", "profile": "x"})
        assert filters == selectors.RosterFilters(query="ora", status="", profile="")

    def test_search_status_and_profile_narrow_the_list(self, imported_classic) -> None:
        filters = selectors.RosterFilters.from_params(
            {"q": "KLEIN", "status": "active", "profile": str(imported_classic.profile_id)}
        )
        people = selectors.roster_filter(
            Person.objects.all(), search_fields=("given_name", "family_name"), filters=filters
        )
        assert [person.sis_id for person in people] == ["13001"]
        inactive = selectors.RosterFilters(status="inactive")
        assert not selectors.roster_filter(Person.objects.all(), search_fields=(), filters=inactive).exists()


class RosterCountsTests:
    def test_overview_counts_the_active_roster(self, imported_classic) -> None:
        counts = selectors.overview_counts()
        assert (counts["profile_count"], counts["school_count"], counts["class_count"]) == (1, 2, 2)
        assert counts["student_count"] + counts["staff_count"] == 24

    def test_school_rows_count_people_and_classes_per_school(self, imported_classic) -> None:
        rows = selectors.school_rows(School.objects.order_by("sis_id"))
        assert [(school.sis_id, classes) for school, _people, classes in rows] == [("10001", 2), ("10002", 0)]
        people = rows[0][1]
        assert people["students"] > 0 and people["staff"] > 0

    def test_class_rows_count_students_and_teachers(self, imported_classic) -> None:
        rows = selectors.class_rows(SchoolClass.objects.filter(sis_id="11001"))
        ((school_class, counts),) = rows
        assert (counts["students"], counts["teachers"]) == (22, 1)
        teachers, students = selectors.class_members(school_class)
        assert (len(teachers), len(students)) == (1, 22)

    def test_people_of_a_role_at_a_school(self, imported_classic) -> None:
        school = selectors.school_from_param(str(School.objects.get(sis_id="10001").pk))
        assert school is not None
        students, role = selectors.people_for_list(role="student", school=school)
        assert role == "student" and students.count() == selectors.school_counts(school)["students"]
        everyone, role = selectors.people_for_list(role="guardian", school=None)
        assert role == "" and everyone.count() == 24
        assert selectors.school_from_param("nope") is None

    def test_profile_rows_show_the_latest_upload_and_the_people(self, imported_classic) -> None:
        ((profile, latest, people),) = selectors.profile_rows()
        assert (profile, latest, people) == (imported_classic.profile, imported_classic, 24)
        assert selectors.roster_imported()
