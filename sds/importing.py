"""Turn validated tables into roster rows, and write them in bulk.

Both formats map to the same rows (schools, people, memberships, classes, enrollments), so
the roster pages and the push to Apple School Manager need not know which format came in.
The Password columns are never read: Apple School Manager makes its own passwords.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models

from sds import formats
from sds.models import Enrollment, Membership, Person, RosterUpload, School, SchoolClass, SyncProfile
from sds.validation import Table, ValidationResult, full_username

# Large enough to keep round trips few, small enough for any database's statement limits.
BATCH_SIZE = 2000


@dataclass
class SchoolRow:
    sis_id: str
    name: str
    org_type: str = "school"
    parent_sis_id: str = ""
    number: str = ""


@dataclass
class PersonRow:
    sis_id: str
    username: str
    role: str
    email: str = ""
    given_name: str = ""
    middle_name: str = ""
    family_name: str = ""
    grade: str = ""
    number: str = ""
    is_active: bool = True


@dataclass
class ClassRow:
    sis_id: str
    school_sis_id: str
    title: str
    code: str = ""
    course: str = ""
    term: str = ""
    is_active: bool = True


@dataclass
class Roster:
    schools: list[SchoolRow] = field(default_factory=list)
    people: list[PersonRow] = field(default_factory=list)
    # (person SIS ID, school SIS ID, role, is primary, is active)
    memberships: list[tuple[str, str, str, bool, bool]] = field(default_factory=list)
    classes: list[ClassRow] = field(default_factory=list)
    # (class SIS ID, person SIS ID, role)
    enrollments: list[tuple[str, str, str]] = field(default_factory=list)


def _records(result: ValidationResult, name: str) -> Iterable[dict[str, str]]:
    table: Table | None = result.tables.get(name)
    return table.records() if table is not None else ()


def roster_from_v1(result: ValidationResult, *, domain_suffix: str) -> Roster:
    roster = Roster()
    for row in _records(result, "School.csv"):
        roster.schools.append(SchoolRow(row["SIS ID"], row["Name"], number=row.get("School Number", "")))
    for name, role, number_column in (
        ("Student.csv", "student", "Student Number"),
        ("Teacher.csv", "teacher", "Teacher Number"),
    ):
        for row in _records(result, name):
            person_active = row.get("Status", "Active") != "Inactive"
            roster.people.append(
                PersonRow(
                    sis_id=row["SIS ID"],
                    username=full_username(row["Username"], domain_suffix),
                    role=role,
                    email=row.get("Secondary Email", "").lower(),
                    given_name=row.get("First Name", ""),
                    middle_name=row.get("Middle Name", ""),
                    family_name=row.get("Last Name", ""),
                    grade=row.get("Grade", ""),
                    number=row.get(number_column, ""),
                    is_active=person_active,
                )
            )
            roster.memberships.append((row["SIS ID"], row["School SIS ID"], role, True, person_active))
    for row in _records(result, "Section.csv"):
        roster.classes.append(
            ClassRow(
                sis_id=row["SIS ID"],
                school_sis_id=row["School SIS ID"],
                title=row["Section Name"],
                code=row.get("Section Number", ""),
                course=row.get("Course Name", ""),
                term=row.get("Term Name", ""),
                is_active=row.get("Status", "Active") != "Inactive",
            )
        )
    for name, role in (("StudentEnrollment.csv", "student"), ("TeacherRoster.csv", "teacher")):
        roster.enrollments.extend(
            (row["Section SIS ID"], row["SIS ID"], role) for row in _records(result, name)
        )
    return roster


def roster_from_v2_1(result: ValidationResult) -> Roster:
    roster = Roster()
    for row in _records(result, "orgs.csv"):
        roster.schools.append(
            SchoolRow(
                row["sourcedId"],
                row["name"],
                org_type=row["type"],
                parent_sis_id=row.get("parentSourcedId", ""),
            )
        )
    primary_roles: dict[str, dict[str, str]] = {}
    for row in _records(result, "roles.csv"):
        is_primary = row.get("isPrimary", "") != "false"
        roster.memberships.append((row["userSourcedId"], row["orgSourcedId"], row["role"], is_primary, True))
        current = primary_roles.get(row["userSourcedId"])
        # The person's role is their primary one; without isPrimary, the first.
        if current is None or (is_primary and current.get("isPrimary", "") == "false"):
            primary_roles[row["userSourcedId"]] = row
    for row in _records(result, "users.csv"):
        role = primary_roles.get(row["sourcedId"], {})
        roster.people.append(
            PersonRow(
                sis_id=row["sourcedId"],
                username=row["username"],
                role=role.get("role", ""),
                email=row.get("email", "").lower(),
                given_name=row.get("givenName", ""),
                family_name=row.get("familyName", ""),
                grade=role.get("grade", ""),
            )
        )
    courses = {row["sourcedId"]: row["title"] for row in _records(result, "courses.csv")}
    sessions = {row["sourcedId"]: row["title"] for row in _records(result, "academicSessions.csv")}
    for row in _records(result, "classes.csv"):
        session_ids = [part.strip() for part in row.get("sessionSourcedIds", "").split(",") if part.strip()]
        roster.classes.append(
            ClassRow(
                sis_id=row["sourcedId"],
                school_sis_id=row["orgSourcedId"],
                title=row["title"],
                code=row.get("code", ""),
                course=courses.get(row.get("courseSourcedId", ""), ""),
                term=", ".join(sessions.get(session_id, session_id) for session_id in session_ids),
            )
        )
    roster.enrollments.extend(
        (row["classSourcedId"], row["userSourcedId"], row["role"])
        for row in _records(result, "enrollments.csv")
    )
    return roster


def roster_from_result(result: ValidationResult, *, domain_suffix: str) -> Roster:
    if result.roster_format is formats.V1:
        return roster_from_v1(result, domain_suffix=domain_suffix)
    return roster_from_v2_1(result)


M = TypeVar("M", bound=models.Model)


def _upsert(model: type[M], objects: list[M], *, unique_fields: list[str], update_fields: list[str]) -> None:
    model.objects.bulk_create(  # type: ignore[attr-defined]
        objects,
        batch_size=BATCH_SIZE,
        update_conflicts=True,
        unique_fields=unique_fields,
        update_fields=update_fields,
    )


def _ids(model: type[Any], profile: SyncProfile) -> dict[str, int]:
    return dict(model.objects.filter(profile=profile).values_list("sis_id", "id"))


@dataclass
class WriteCounts:
    schools: int = 0
    people: int = 0
    classes: int = 0
    enrollments: int = 0
    deactivated: int = 0


def roster_write(*, profile: SyncProfile, upload: RosterUpload, roster: Roster) -> WriteCounts:
    """Insert or update every row of `roster`; rows of the profile it no longer has turn inactive.

    Runs inside the caller's transaction. Rows are matched on their SIS IDs (memberships and
    enrollments on their pair and role), so a re-upload updates rather than duplicates.
    """
    common = {"profile": profile, "last_upload": upload}
    record_fields = ["is_active", "last_upload"]
    _upsert(
        School,
        [
            School(
                sis_id=row.sis_id,
                name=row.name,
                org_type=row.org_type,
                parent_sis_id=row.parent_sis_id,
                number=row.number,
                is_active=True,
                **common,
            )
            for row in roster.schools
        ],
        unique_fields=["profile", "sis_id"],
        update_fields=["name", "org_type", "parent_sis_id", "number", *record_fields],
    )
    _upsert(
        Person,
        [
            Person(
                sis_id=row.sis_id,
                username=row.username,
                role=row.role,
                email=row.email,
                given_name=row.given_name,
                middle_name=row.middle_name,
                family_name=row.family_name,
                grade=row.grade,
                number=row.number,
                is_active=row.is_active,
                **common,
            )
            for row in roster.people
        ],
        unique_fields=["profile", "sis_id"],
        update_fields=[
            "username",
            "role",
            "email",
            "given_name",
            "middle_name",
            "family_name",
            "grade",
            "number",
            *record_fields,
        ],
    )
    school_ids = _ids(School, profile)
    person_ids = _ids(Person, profile)
    _upsert(
        Membership,
        [
            Membership(
                person_id=person_ids[person],
                school_id=school_ids[school],
                role=role,
                is_primary=is_primary,
                is_active=is_active,
                **common,
            )
            # A repeated roles.csv row is imported once (one statement may not upsert a row twice).
            for (person, school, role), (is_primary, is_active) in {
                (person, school, role): (is_primary, is_active)
                for person, school, role, is_primary, is_active in roster.memberships
            }.items()
        ],
        unique_fields=["person", "school", "role"],
        update_fields=["is_primary", *record_fields],
    )
    _upsert(
        SchoolClass,
        [
            SchoolClass(
                sis_id=row.sis_id,
                school_id=school_ids[row.school_sis_id],
                title=row.title,
                code=row.code,
                course=row.course,
                term=row.term,
                is_active=row.is_active,
                **common,
            )
            for row in roster.classes
        ],
        unique_fields=["profile", "sis_id"],
        update_fields=["school", "title", "code", "course", "term", *record_fields],
    )
    class_ids = _ids(SchoolClass, profile)
    _upsert(
        Enrollment,
        [
            Enrollment(
                school_class_id=class_ids[school_class],
                person_id=person_ids[person],
                role=role,
                is_active=True,
                **common,
            )
            for school_class, person, role in dict.fromkeys(roster.enrollments)
        ],
        unique_fields=["school_class", "person", "role"],
        update_fields=record_fields,
    )
    counts = WriteCounts()
    for model in (School, Person, Membership, SchoolClass, Enrollment):
        # One statement a table: whatever this upload did not carry is no longer active.
        counts.deactivated += (
            model.objects.filter(profile=profile, is_active=True)
            .exclude(last_upload=upload)
            .update(is_active=False)
        )
    active = {"profile": profile, "is_active": True}
    counts.schools = School.objects.filter(**active).count()
    counts.people = Person.objects.filter(**active).count()
    counts.classes = SchoolClass.objects.filter(**active).count()
    counts.enrollments = Enrollment.objects.filter(**active).count()
    return counts
