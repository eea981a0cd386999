"""Imports of the Apple School Manager roster: locations, people with their Managed Apple
Accounts and classes, created or updated from an MDM server's records.

Rosters arrive from an MDM server through this emulator's own endpoint, POST /roster/import
(mock_apple.roster_api): Apple has no API that takes rosters from an MDM. What happens to them
follows Apple School Manager's documented behaviour for SIS imports:

- SIS identifiers are the keys: a record sent again updates the one that exists (Apple: the
  existing user is overwritten), never a second one;
- a new person gets a Managed Apple Account from the organisation's format (Preferences), with
  a number appended when it is taken (`scottmiller1`); when a field of the format is empty
  the person is not created and the answer says MANAGED_ID_GENERATION_FAILED, the others are;
- an existing person keeps their Managed Apple Account when their name changes;
- a person the source no longer carries turns inactive; a class it no longer carries turns
  Manual and loses its students (Apple: "removing a class … removes its students and switches
  its source to Manual"). Nothing is deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from mock_apple import clock
from mock_apple.db import CHUNK, DB, chunks, organization_lock
from mock_apple.models import (
    Location,
    MdmServer,
    Organization,
    Person,
    RosterClass,
    RosterSource,
)
from mock_apple.roster.managed_apple_ids import (
    ManagedIdError,
    managed_apple_id_candidate,
    managed_apple_ids_assign,
    roster_settings,
)
from mock_apple.roster.passwords import temporary_password

# Apple's code when a field of the Managed Apple Account format is empty for a person.
MANAGED_ID_GENERATION_FAILED = "MANAGED_ID_GENERATION_FAILED"
# This emulator's codes for records that refer to what the organisation does not have.
LOCATION_NOT_FOUND = "LOCATION_NOT_FOUND"
LOCATION_REQUIRED = "LOCATION_REQUIRED"


@dataclass(frozen=True)
class LocationRecord:
    location_id: str
    name: str


@dataclass(frozen=True)
class PersonRecord:
    person_id: str
    role: str
    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    person_number: str = ""
    email: str = ""
    sis_username: str = ""
    grade_level: str = ""
    location_ids: tuple[str, ...] = ()
    active: bool = True


@dataclass(frozen=True)
class ClassRecord:
    class_id: str
    display_name: str
    location_id: str
    class_number: str = ""
    course_name: str = ""
    instructor_ids: tuple[str, ...] = ()
    student_ids: tuple[str, ...] = ()
    active: bool = True


@dataclass
class ImportResult:
    locations_created: int = 0
    locations_updated: int = 0
    people_created: int = 0
    people_updated: int = 0
    people_deactivated: int = 0
    classes_created: int = 0
    classes_updated: int = 0
    classes_switched_to_manual: int = 0
    members_not_found: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)

    def fail(self, record: str, record_id: str, code: str, field_name: str) -> None:
        self.failures.append({"record": record, "id": record_id, "code": code, "field": field_name})

    def as_json(self) -> dict[str, Any]:
        def failed(record: str) -> int:
            return sum(1 for failure in self.failures if failure["record"] == record)

        return {
            "locations": {"created": self.locations_created, "updated": self.locations_updated},
            "people": {
                "created": self.people_created,
                "updated": self.people_updated,
                "deactivated": self.people_deactivated,
                "failed": failed("person"),
            },
            "classes": {
                "created": self.classes_created,
                "updated": self.classes_updated,
                "switched_to_manual": self.classes_switched_to_manual,
                "failed": failed("class"),
                "members_not_found": self.members_not_found,
            },
            "failures": self.failures,
        }


def _by_key(queryset: Any, key: str, values: Iterable[str]) -> dict[str, Any]:
    """Rows of `queryset` whose `key` is one of `values`, by that key (IN lists in chunks)."""
    unique = sorted(set(values))
    found: dict[str, Any] = {}
    for chunk in chunks(unique):
        for row in queryset.filter(**{f"{key}__in": chunk}):
            found[getattr(row, key)] = row
    return found


def _pks(queryset: Any, key: str, values: Iterable[str]) -> dict[str, int]:
    unique = sorted(set(values))
    found: dict[str, int] = {}
    for chunk in chunks(unique):
        found.update(queryset.filter(**{f"{key}__in": chunk}).values_list(key, "pk"))
    return found


def roster_import(
    *,
    server: MdmServer,
    source_name: str,
    locations: Sequence[LocationRecord] = (),
    people: Sequence[PersonRecord] = (),
    classes: Sequence[ClassRecord] = (),
) -> ImportResult:
    """Create or update the records, locations first, in one transaction under the organisation's lock."""
    organization = server.organization
    result = ImportResult()
    with transaction.atomic(using=DB):
        organization_lock(organization)
        origin = {
            "source": RosterSource.SDS,
            "source_name": source_name[:255],
            "now": clock.now(),
            "synced_by": server.name,
        }
        _locations_upsert(organization, locations, result, origin)
        _people_upsert(organization, people, result, origin)
        _classes_upsert(organization, classes, result, origin)
    return result


def _locations_upsert(
    organization: Organization,
    records: Sequence[LocationRecord],
    result: ImportResult,
    origin: dict[str, Any],
) -> None:
    existing = _by_key(
        Location.objects.filter(organization=organization), "location_id", (r.location_id for r in records)
    )
    created: list[Location] = []
    updated: list[Location] = []
    for record in records:
        location = existing.get(record.location_id)
        if location is None:
            created.append(
                Location(
                    organization=organization,
                    location_id=record.location_id,
                    name=record.name,
                    source=origin["source"],
                    source_name=origin["source_name"],
                    created_at=origin["now"],
                    modified_at=origin["now"],
                )
            )
        else:
            location.name = record.name
            location.source = origin["source"]
            location.source_name = origin["source_name"]
            location.modified_at = origin["now"]
            updated.append(location)
    Location.objects.bulk_create(created)
    Location.objects.bulk_update(updated, ["name", "source", "source_name", "modified_at"])
    result.locations_created += len(created)
    result.locations_updated += len(updated)


PERSON_FIELDS = (
    "first_name",
    "middle_name",
    "last_name",
    "person_number",
    "email",
    "sis_username",
    "grade_level",
    "role",
)


def _people_upsert(
    organization: Organization, records: Sequence[PersonRecord], result: ImportResult, origin: dict[str, Any]
) -> None:
    if not records:
        return
    existing = _by_key(
        Person.objects.filter(organization=organization), "person_id", (r.person_id for r in records)
    )
    location_pks = _pks(
        Location.objects.filter(organization=organization),
        "location_id",
        (location_id for record in records for location_id in record.location_ids),
    )
    format_value = roster_settings(organization).managed_apple_id_format
    created: list[Person] = []
    candidates: list[str] = []
    updated: list[Person] = []
    links: list[tuple[Person, list[int]]] = []
    for record in records:
        person = existing.get(record.person_id)
        if not record.active:
            # Not in the source any more: the account stays, inactive (nothing is deleted).
            if person is not None and person.is_active:
                person.is_active = False
                person.modified_at = origin["now"]
                updated.append(person)
                result.people_deactivated += 1
            continue
        if not record.location_ids:
            result.fail("person", record.person_id, LOCATION_REQUIRED, "location_id")
            continue
        unknown = [location_id for location_id in record.location_ids if location_id not in location_pks]
        if unknown:
            result.fail("person", record.person_id, LOCATION_NOT_FOUND, "location_id")
            continue
        values = {name: getattr(record, name) for name in PERSON_FIELDS}
        if person is None:
            try:
                candidate = managed_apple_id_candidate(
                    format_value, {**values, "person_id": record.person_id}, organization.domain
                )
            except ManagedIdError as error:
                result.fail("person", record.person_id, MANAGED_ID_GENERATION_FAILED, error.column)
                continue
            person = Person(
                organization=organization,
                person_id=record.person_id,
                created_at=origin["now"],
                modified_at=origin["now"],
                temporary_password=temporary_password(),
                **values,
                **_origin_fields(origin),
            )
            created.append(person)
            candidates.append(candidate)
            result.people_created += 1
        else:
            result.people_updated += 1
            if _changed(person, {**values, "is_active": True, **_origin_fields(origin)}):
                person.modified_at = origin["now"]
                updated.append(person)
        links.append((person, [location_pks[location_id] for location_id in record.location_ids]))
    for person, address in zip(created, managed_apple_ids_assign(candidates), strict=True):
        person.managed_apple_id = address
    Person.objects.bulk_create(created, batch_size=CHUNK)
    Person.objects.bulk_update(
        updated,
        [*PERSON_FIELDS, "is_active", "source", "source_name", "synced_by", "modified_at"],
        batch_size=CHUNK,
    )
    through = Person.locations.through
    _links_replace(
        through,
        "person_id",
        "location_id",
        {person.pk: location_ids for person, location_ids in links},
    )


def _origin_fields(origin: dict[str, Any]) -> dict[str, Any]:
    return {
        "source": origin["source"],
        "source_name": origin["source_name"],
        "synced_by": origin["synced_by"],
    }


def _changed(row: Any, values: Mapping[str, Any]) -> bool:
    """Set the values on the row; whether any differed. A sync that changes nothing writes nothing."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _links_replace(through: Any, owner: str, other: str, links: Mapping[int, Iterable[int]]) -> None:
    """Make the many-to-many rows of these owners exactly `links` (owner pk -> other pks),
    touching only the owners whose rows differ."""
    wanted = {pk: set(others) for pk, others in links.items()}
    current: dict[int, set[int]] = {pk: set() for pk in wanted}
    owners = list(wanted)
    for chunk in chunks(owners):
        for owner_pk, other_pk in through.objects.filter(**{f"{owner}__in": chunk}).values_list(owner, other):
            current[owner_pk].add(other_pk)
    changed = [pk for pk in owners if current[pk] != wanted[pk]]
    for chunk in chunks(changed):
        through.objects.filter(**{f"{owner}__in": chunk}).delete()
    through.objects.bulk_create(
        (through(**{owner: pk, other: other_pk}) for pk in changed for other_pk in sorted(wanted[pk])),
        batch_size=CHUNK,
    )


def _classes_upsert(
    organization: Organization, records: Sequence[ClassRecord], result: ImportResult, origin: dict[str, Any]
) -> None:
    if not records:
        return
    existing = _by_key(
        RosterClass.objects.filter(organization=organization), "class_id", (r.class_id for r in records)
    )
    location_pks = _pks(
        Location.objects.filter(organization=organization), "location_id", (r.location_id for r in records)
    )
    person_pks = _pks(
        Person.objects.filter(organization=organization),
        "person_id",
        (person_id for record in records for person_id in (*record.instructor_ids, *record.student_ids)),
    )
    created: list[RosterClass] = []
    updated: list[RosterClass] = []
    # (class, person pks): a class made here has no pk until it is saved, so no dict yet.
    instructors: list[tuple[RosterClass, list[int]]] = []
    students: list[tuple[RosterClass, list[int]]] = []
    for record in records:
        school_class = existing.get(record.class_id)
        if not record.active:
            # As Apple does when a class leaves the SIS data: Manual, and its students removed.
            if school_class is not None and school_class.source != RosterSource.MANUAL:
                school_class.source = RosterSource.MANUAL
                school_class.modified_at = origin["now"]
                updated.append(school_class)
                students.append((school_class, []))
                result.classes_switched_to_manual += 1
            continue
        if record.location_id not in location_pks:
            result.fail("class", record.class_id, LOCATION_NOT_FOUND, "location_id")
            continue
        values = {
            "display_name": record.display_name,
            "class_number": record.class_number,
            "course_name": record.course_name,
            "location_id": location_pks[record.location_id],
            **_origin_fields(origin),
        }
        if school_class is None:
            school_class = RosterClass(
                organization=organization,
                class_id=record.class_id,
                created_at=origin["now"],
                modified_at=origin["now"],
                **values,
            )
            created.append(school_class)
            result.classes_created += 1
        else:
            result.classes_updated += 1
            if _changed(school_class, values):
                school_class.modified_at = origin["now"]
                updated.append(school_class)
        members = (*record.instructor_ids, *record.student_ids)
        result.members_not_found += sum(1 for person_id in members if person_id not in person_pks)
        instructors.append((school_class, [person_pks[i] for i in record.instructor_ids if i in person_pks]))
        students.append((school_class, [person_pks[i] for i in record.student_ids if i in person_pks]))
    RosterClass.objects.bulk_create(created, batch_size=CHUNK)
    RosterClass.objects.bulk_update(
        updated,
        [
            "display_name",
            "class_number",
            "course_name",
            "location",
            "source",
            "source_name",
            "synced_by",
            "modified_at",
        ],
        batch_size=CHUNK,
    )
    _links_replace(
        RosterClass.instructors.through,
        "rosterclass_id",
        "person_id",
        {school_class.pk: pks for school_class, pks in instructors},
    )
    _links_replace(
        RosterClass.students.through,
        "rosterclass_id",
        "person_id",
        {school_class.pk: pks for school_class, pks in students},
    )


# --- Locations ----------------------------------------------------------------------------------


def location_primary(organization: Organization) -> Location:
    """The first location, made when the organisation enrolled and named after it."""
    now = clock.now()
    location, _ = Location.objects.get_or_create(
        organization=organization,
        is_primary=True,
        defaults={"name": organization.name, "created_at": now, "modified_at": now},
    )
    return location
