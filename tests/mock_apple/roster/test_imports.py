"""Rosters sent by an MDM server land in Apple School Manager: keys, updates, what leaves."""

from __future__ import annotations

import pytest

from mock_apple.models import Location, Person, RosterClass
from mock_apple.roster import managed_apple_ids
from tests.mock_apple.conftest import APPLE_DB
from tests.mock_apple.roster_records import algebra, imported, sample_people, server_of, student


@pytest.mark.django_db(databases=APPLE_DB)
class RosterImportTests:
    def test_it_creates_locations_people_with_accounts_and_classes(self, organization) -> None:
        result = imported(server_of(organization))
        assert (result.locations_created, result.people_created, result.classes_created) == (2, 3, 1)
        assert result.failures == []
        ora = Person.objects.get(person_id="13001")
        assert ora.managed_apple_id == "ora.klein@appleid.contoso.edu"
        assert (ora.role, ora.source, ora.source_name, ora.synced_by) == (
            "student",
            "sds",
            "Contoso classic",
            "Intune",
        )
        assert [location.name for location in ora.locations.all()] == ["Contoso High School"]
        algebra_class = RosterClass.objects.get(class_id="11001")
        assert algebra_class.location.location_id == "10001" and algebra_class.course_name == "Math 101"
        assert [p.person_id for p in algebra_class.instructors.all()] == ["14001"]
        assert sorted(p.person_id for p in algebra_class.students.all()) == ["13001", "13002"]
        assert Person.objects.get(person_id="14001").role == "instructor"

    def test_sending_again_updates_in_place(self, organization) -> None:
        server = server_of(organization)
        imported(server)
        renamed = [
            student("13001", "Ora", "Klein-Smith", location_ids=("10001", "10002")),
            *sample_people()[1:],
        ]
        result = imported(server, people=renamed, classes=[algebra(student_ids=("13002",))])
        assert (result.locations_created, result.locations_updated) == (0, 2)
        assert (result.people_created, result.people_updated) == (0, 3)
        assert (result.classes_created, result.classes_updated) == (0, 1)
        assert (
            Person.objects.count() == 3 and RosterClass.objects.count() == 1 and Location.objects.count() == 2
        )
        ora = Person.objects.get(person_id="13001")
        # A new last name keeps the account Apple made; the new location is added.
        assert ora.last_name == "Klein-Smith" and ora.managed_apple_id == "ora.klein@appleid.contoso.edu"
        assert ora.locations.count() == 2
        assert [p.person_id for p in RosterClass.objects.get().students.all()] == ["13002"]

    def test_collisions_get_the_next_number(self, organization) -> None:
        people = [
            student("1", "Scott", "Miller"),
            student("2", "Scott", "Miller"),
            student("3", "Scótt", "Mïller"),
        ]
        imported(server_of(organization), people=people, classes=[])
        assert list(Person.objects.order_by("person_id").values_list("managed_apple_id", flat=True)) == [
            "scott.miller@appleid.contoso.edu",
            "scott.miller1@appleid.contoso.edu",
            "scott.miller2@appleid.contoso.edu",
        ]
        imported(server_of(organization), people=[student("4", "Scott", "Miller")], classes=[])
        assert Person.objects.get(person_id="4").managed_apple_id == "scott.miller3@appleid.contoso.edu"

    def test_an_administrator_s_apple_id_is_taken_too(self, organization) -> None:
        imported(server_of(organization), people=[student("1", "Admin", "X")], classes=[])
        managed_apple_ids.managed_apple_id_format_set(
            actor=None, organization=organization, value="{first}@appleid.{domain}", apply_to_existing=False
        )
        imported(server_of(organization), people=[student("2", "Admin", "Y")], classes=[])
        # admin@appleid.contoso.edu is the Administrator's own account: the student gets admin1.
        assert Person.objects.get(person_id="2").managed_apple_id == "admin1@appleid.contoso.edu"

    def test_an_empty_field_of_the_format_refuses_that_person_only(self, organization) -> None:
        managed_apple_ids.managed_apple_id_format_set(
            actor=None,
            organization=organization,
            value="{first_initial}{last}{person_number}@appleid.{domain}",
            apply_to_existing=False,
        )
        result = imported(server_of(organization))
        # Craig Beane has no person number; the two students do.
        assert result.failures == [
            {
                "record": "person",
                "id": "14001",
                "code": "MANAGED_ID_GENERATION_FAILED",
                "field": "person_number",
            }
        ]
        assert result.people_created == 2 and not Person.objects.filter(person_id="14001").exists()
        assert Person.objects.get(person_id="13001").managed_apple_id == "oklein13001@appleid.contoso.edu"
        # The class is made without the instructor Apple could not create.
        assert result.members_not_found == 1
        assert RosterClass.objects.get().instructors.count() == 0
        assert result.as_json()["people"]["failed"] == 1

    def test_a_person_who_left_turns_inactive_and_keeps_the_account(self, organization) -> None:
        server = server_of(organization)
        imported(server)
        gone = student("13002", "Beulah", "McMillan", active=False)
        result = imported(server, people=[gone], classes=[])
        assert result.people_deactivated == 1
        beulah = Person.objects.get(person_id="13002")
        assert not beulah.is_active and beulah.managed_apple_id == "beulah.mcmillan@appleid.contoso.edu"
        # Someone Apple never had is not made only to be inactive.
        imported(server, people=[student("99", "Never", "Here", active=False)], classes=[])
        assert not Person.objects.filter(person_id="99").exists()
        # Back in the roster: active again, same account.
        imported(server, people=[student("13002", "Beulah", "McMillan")], classes=[])
        assert Person.objects.get(person_id="13002").is_active

    def test_a_class_that_left_turns_manual_and_loses_its_students(self, organization) -> None:
        server = server_of(organization)
        imported(server)
        result = imported(server, people=[], classes=[algebra(active=False)])
        assert result.classes_switched_to_manual == 1
        school_class = RosterClass.objects.get()
        assert school_class.source == "manual"
        assert school_class.students.count() == 0 and school_class.instructors.count() == 1
        assert imported(server, people=[], classes=[algebra(active=False)]).classes_switched_to_manual == 0

    def test_records_pointing_at_unknown_locations_are_refused(self, organization) -> None:
        people = [
            student("1", "Ann", "Lee", location_ids=("99999",)),
            student("2", "Bob", "Ray", location_ids=()),
        ]
        classes = [algebra(location_id="99999")]
        result = imported(server_of(organization), people=people, classes=classes)
        assert result.failures == [
            {"record": "person", "id": "1", "code": "LOCATION_NOT_FOUND", "field": "location_id"},
            {"record": "person", "id": "2", "code": "LOCATION_REQUIRED", "field": "location_id"},
            {"record": "class", "id": "11001", "code": "LOCATION_NOT_FOUND", "field": "location_id"},
        ]
        assert not Person.objects.exists() and not RosterClass.objects.exists()

    def test_every_new_account_gets_its_own_temporary_password(self, organization) -> None:
        imported(server_of(organization))
        passwords = [p.temporary_password for p in Person.objects.all()]
        assert len(set(passwords)) == 3
        assert all(len(p) == 11 and p[5] == "-" and any(c.isdigit() for c in p) for p in passwords)
        assert not any(p.temporary_password_shown for p in Person.objects.all())
