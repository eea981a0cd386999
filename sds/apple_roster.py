"""A sync profile's roster as Apple School Manager takes it, in the requests of the mock
Apple service's POST /roster/import (the emulator's own endpoint, see mock_apple.roster_api).

Field names are those of Apple's SFTP templates. Schools become locations; students,
instructors and staff become people (guardians have no place in Apple School Manager); classes
carry their instructors and students. Records the roster no longer has go as `inactive`, so
that Apple School Manager can say what it did with them instead of losing them silently.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sds.models import Enrollment, Membership, Person, School, SchoolClass, SyncProfile

PATH = "/roster/import"
# What the endpoint accepts in one request (MAX_RECORDS, MAX_MEMBERS there).
BATCH_RECORDS = 1000
BATCH_MEMBERS = 50_000

# SDS roles that teach classes: Apple School Manager's Instructor role. Other staff roles are
# Staff; students are Students; a user without a role (a guardian) is not sent.
TEACHING_ROLES = frozenset(
    {
        "teacher",
        "professor",
        "lecturer",
        "instructor",
        "adjunct",
        "substitute",
        "teacherAssistant",
        "faculty",
        "chair",
    }
)
NOT_SENT_ROLES = frozenset({"", "alumni"})


def apple_role(sds_role: str) -> str | None:
    """Apple School Manager's role for an SDS role (None: the person is not sent)."""
    if sds_role in NOT_SENT_ROLES:
        return None
    if sds_role == "student":
        return "student"
    return "instructor" if sds_role in TEACHING_ROLES else "staff"


def _status(active: bool) -> str:
    return "active" if active else "inactive"


@dataclass
class RosterBatches:
    """The requests of one sync, in the order Apple School Manager needs them (locations before
    the people who belong to them, people before the classes they are in)."""

    total: int
    requests: Iterator[dict[str, Any]]


def _people_batches(profile: SyncProfile) -> tuple[int, Iterator[dict[str, Any]]]:
    people = Person.objects.filter(profile=profile).exclude(role__in=NOT_SENT_ROLES)
    count = people.count()

    def requests() -> Iterator[dict[str, Any]]:
        locations: dict[int, list[str]] = defaultdict(list)
        for person_id, school_sis_id in Membership.objects.filter(
            profile=profile, is_active=True
        ).values_list("person_id", "school__sis_id"):
            locations[person_id].append(school_sis_id)
        last_id = 0
        while True:
            batch = list(people.filter(id__gt=last_id).order_by("id")[:BATCH_RECORDS])
            if not batch:
                return
            last_id = batch[-1].pk
            yield {
                "source_name": profile.name,
                "people": [
                    {
                        "person_id": person.sis_id,
                        "role": apple_role(person.role),
                        "first_name": person.given_name,
                        "middle_name": person.middle_name,
                        "last_name": person.family_name,
                        "person_number": person.number,
                        "email_address": person.email,
                        "sis_username": person.username,
                        "grade_level": person.grade if person.is_student else "",
                        "location_ids": sorted(set(locations.get(person.pk, []))),
                        "status": _status(person.is_active),
                    }
                    for person in batch
                ],
            }

    return (count + BATCH_RECORDS - 1) // BATCH_RECORDS, requests()


def _class_requests(profile: SyncProfile) -> list[dict[str, Any]]:
    members: dict[int, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for class_id, person_sis_id, role in Enrollment.objects.filter(
        profile=profile, is_active=True
    ).values_list("school_class_id", "person__sis_id", "role"):
        instructors, students = members[class_id]
        (students if role == "student" else instructors).append(person_sis_id)
    requests: list[dict[str, Any]] = []
    batch: list[dict[str, Any]] = []
    batch_members = 0
    for school_class in SchoolClass.objects.filter(profile=profile).select_related("school").order_by("id"):
        instructors, students = members.get(school_class.pk, ([], []))
        size = len(instructors) + len(students)
        if batch and (len(batch) >= BATCH_RECORDS or batch_members + size > BATCH_MEMBERS):
            requests.append({"source_name": profile.name, "classes": batch})
            batch, batch_members = [], 0
        batch.append(
            {
                "class_id": school_class.sis_id,
                "class_display_name": school_class.title,
                "class_number": school_class.code,
                "course_name": school_class.course,
                "location_id": school_class.school.sis_id,
                "instructor_ids": sorted(set(instructors)),
                # A class larger than one request can carry is cut there (no SIS class is).
                "student_ids": sorted(set(students))[:BATCH_MEMBERS],
                "status": _status(school_class.is_active),
            }
        )
        batch_members += size
    if batch:
        requests.append({"source_name": profile.name, "classes": batch})
    return requests


def roster_batches(profile: SyncProfile) -> RosterBatches:
    locations = [
        {"location_id": sis_id, "location_name": name}
        for sis_id, name in School.objects.filter(profile=profile, is_active=True)
        .order_by("id")
        .values_list("sis_id", "name")
    ]
    location_requests = [
        {"source_name": profile.name, "locations": locations[start : start + BATCH_RECORDS]}
        for start in range(0, len(locations), BATCH_RECORDS)
    ]
    people_total, people_requests = _people_batches(profile)
    class_requests = _class_requests(profile)

    def requests() -> Iterator[dict[str, Any]]:
        yield from location_requests
        yield from people_requests
        yield from class_requests

    return RosterBatches(
        total=len(location_requests) + people_total + len(class_requests), requests=requests()
    )
