"""The roster as Apple School Manager takes it: the requests of a sync, in their order."""

from __future__ import annotations

from sds import apple_roster
from sds.models import Person, SchoolClass
from tests.sds.conftest import sample, upload_and_process, without_lines


class AppleRosterTests:
    def test_the_classic_sample_in_three_requests(self, imported_classic) -> None:
        batches = apple_roster.roster_batches(imported_classic.profile)
        requests = list(batches.requests)
        assert batches.total == len(requests) == 3
        locations, people, classes = requests
        assert locations == {
            "source_name": "Contoso classic",
            "locations": [
                {"location_id": "10001", "location_name": "Contoso High School"},
                {"location_id": "10002", "location_name": "Fabrikam High School"},
            ],
        }
        ora = next(p for p in people["people"] if p["person_id"] == "13001")
        assert ora == {
            "person_id": "13001",
            "role": "student",
            "first_name": "Ora",
            "middle_name": "Christopher",
            "last_name": "Klein",
            "person_number": "13001",
            "email_address": "",
            "sis_username": "OKlein@contoso.edu",
            "grade_level": "9",
            "location_ids": ["10001"],
            "status": "active",
        }
        craig = next(p for p in people["people"] if p["person_id"] == "14001")
        assert (craig["role"], craig["grade_level"]) == ("instructor", "")
        assert len(people["people"]) == 24
        algebra = next(c for c in classes["classes"] if c["class_id"] == "11001")
        assert algebra["class_display_name"] == "Math - Algebra 1" and algebra["location_id"] == "10001"
        assert algebra["instructor_ids"] == ["14001"] and len(algebra["student_ids"]) == 22

    def test_records_that_left_the_roster_go_as_inactive(self, imported_classic, admin_user) -> None:
        files = without_lines(sample("v1-25-users"), "Student.csv", "13001,")
        files = without_lines(files, "StudentEnrollment.csv", "11001,13001", "11002,13001")
        upload_and_process(imported_classic.profile, files, admin_user)
        people = next(
            r for r in apple_roster.roster_batches(imported_classic.profile).requests if "people" in r
        )
        ora = next(p for p in people["people"] if p["person_id"] == "13001")
        assert ora["status"] == "inactive" and ora["location_ids"] == []
        SchoolClass.objects.filter(sis_id="11002").update(is_active=False)
        classes = list(apple_roster.roster_batches(imported_classic.profile).requests)[-1]["classes"]
        assert {c["class_id"]: c["status"] for c in classes} == {"11001": "active", "11002": "inactive"}

    def test_guardians_are_not_sent(self, imported_v21) -> None:
        sent = {
            person["person_id"]
            for request in apple_roster.roster_batches(imported_v21.profile).requests
            for person in request.get("people", [])
        }
        without_role = set(
            Person.objects.filter(profile=imported_v21.profile, role="").values_list("sis_id", flat=True)
        )
        assert without_role and not sent & without_role
        assert sent == set(
            Person.objects.filter(profile=imported_v21.profile)
            .exclude(role="")
            .values_list("sis_id", flat=True)
        )

    def test_batches_stay_within_what_apple_accepts(self, classic_profile, admin_user, monkeypatch) -> None:
        monkeypatch.setattr(apple_roster, "BATCH_RECORDS", 10)
        monkeypatch.setattr(apple_roster, "BATCH_MEMBERS", 30)
        upload_and_process(classic_profile, sample("v1-25-users"), admin_user)
        batches = apple_roster.roster_batches(classic_profile)
        requests = list(batches.requests)
        # 1 of locations, 3 of people (24 by 10), classes of 23 and 23 members: one each.
        assert batches.total == len(requests) == 6
        assert [len(r.get("people", [])) for r in requests[1:4]] == [10, 10, 4]

    def test_roles(self) -> None:
        assert [
            apple_roster.apple_role(r)
            for r in ("student", "teacher", "professor", "principal", "itAdmin", "", "alumni")
        ] == [
            "student",
            "instructor",
            "instructor",
            "staff",
            "staff",
            None,
            None,
        ]
