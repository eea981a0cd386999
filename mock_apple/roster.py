"""Services of the Apple School Manager roster: locations, people with their Managed Apple
Accounts, classes; the Managed Apple Account format; temporary passwords and sign-in sheets.

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

import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from mock_apple import auth, clock, crypto
from mock_apple.models import (
    AppleAccount,
    Location,
    MdmServer,
    Organization,
    Person,
    RosterClass,
    RosterSettings,
    RosterSource,
)

DB = "apple"
CHUNK = 900  # values per IN (…), under SQLite's bound-parameter limit
MANAGED_ID_MAX_LENGTH = 128  # Apple's stated limit (one page says 256; the stricter one holds)
LOCAL_PART_MAX_LENGTH = 64
SIGN_IN_SHEET_SIZE = 1000

# Apple's code when a field of the Managed Apple Account format is empty for a person.
MANAGED_ID_GENERATION_FAILED = "MANAGED_ID_GENERATION_FAILED"
# This emulator's codes for records that refer to what the organisation does not have.
LOCATION_NOT_FOUND = "LOCATION_NOT_FOUND"
LOCATION_REQUIRED = "LOCATION_REQUIRED"


# --- The Managed Apple Account format -------------------------------------------------------


def _before_at(value: str) -> str:
    return value.split("@", 1)[0]


# Placeholder -> (the template column it reads, how the value is taken from a person's fields).
FORMAT_FIELDS: dict[str, tuple[str, Callable[[Mapping[str, str]], str]]] = {
    "first": ("first_name", lambda p: p["first_name"]),
    "middle": ("middle_name", lambda p: p["middle_name"]),
    "last": ("last_name", lambda p: p["last_name"]),
    "first_initial": ("first_name", lambda p: _normalise(p["first_name"])[:1]),
    "middle_initial": ("middle_name", lambda p: _normalise(p["middle_name"])[:1]),
    "last_initial": ("last_name", lambda p: _normalise(p["last_name"])[:1]),
    "person_id": ("person_id", lambda p: p["person_id"]),
    "person_number": ("person_number", lambda p: p["person_number"]),
    "sis_username": ("sis_username", lambda p: _before_at(p["sis_username"])),
    "email": ("email_address", lambda p: _before_at(p["email"])),
}
DOMAIN_PLACEHOLDER = "domain"
PLACEHOLDER = re.compile(r"\{([A-Za-z_]*)\}")
LITERAL_LOCAL = re.compile(r"[A-Za-z0-9._-]*")
DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


def _normalise(value: str) -> str:
    """A name as it can appear in an account: no accents, lower case, letters, digits . _ -."""
    decomposed = unicodedata.normalize("NFKD", value)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9._-]", "", ascii_only.lower())


def managed_apple_id_format_check(value: str) -> str:
    """The format, checked; a ValidationError says what is wrong (several problems at once)."""
    value = value.strip()
    problems: list[str] = []
    if not value:
        raise ValidationError(_("Enter a format."))
    if len(value) > 200:
        problems.append(_("The format can have at most 200 characters."))
    if PLACEHOLDER.sub("", value).count("{") or PLACEHOLDER.sub("", value).count("}"):
        problems.append(_("Every field must be written between braces, for example {first}."))
    unknown = sorted(
        {
            name
            for name in PLACEHOLDER.findall(value)
            if name not in FORMAT_FIELDS and name != DOMAIN_PLACEHOLDER
        }
    )
    if unknown:
        problems.append(
            _("Unknown fields: %(fields)s. Use %(known)s.")
            % {
                "fields": ", ".join(f"{{{name}}}" for name in unknown),
                "known": ", ".join(f"{{{name}}}" for name in (*FORMAT_FIELDS, DOMAIN_PLACEHOLDER)),
            }
        )
    if value.count("@") != 1:
        problems.append(_("The format needs exactly one @, between the user name and the domain."))
        raise ValidationError(problems)
    local, domain = value.split("@")
    local_fields = PLACEHOLDER.findall(local)
    if not any(name in FORMAT_FIELDS for name in local_fields):
        problems.append(_("The user name needs at least one field of the person, for example {first}."))
    if DOMAIN_PLACEHOLDER in local_fields:
        problems.append(_("{domain} belongs after the @."))
    if not LITERAL_LOCAL.fullmatch(PLACEHOLDER.sub("", local)):
        problems.append(_("The user name can only hold letters, digits, periods, hyphens and underscores."))
    if any(name != DOMAIN_PLACEHOLDER for name in PLACEHOLDER.findall(domain)):
        problems.append(_("After the @ only {domain} may stand for a value."))
    elif not DOMAIN.fullmatch(domain.replace("{domain}", "example.edu").lower()):
        problems.append(_("After the @ comes a domain, for example appleid.{domain}."))
    if problems:
        raise ValidationError(problems)
    return value


class ManagedIdError(Exception):
    """A field of the format is empty for this person: `column` is its template column."""

    def __init__(self, column: str) -> None:
        super().__init__(column)
        self.column = column


def managed_apple_id_candidate(format_value: str, person: Mapping[str, str], domain: str) -> str:
    """The Managed Apple Account the format gives this person, before any collision suffix.

    `person` holds the template's fields: first_name, middle_name, last_name, person_id,
    person_number, sis_username, email.
    """
    local_format, domain_format = format_value.split("@")

    def value_of(match: re.Match[str]) -> str:
        column, read = FORMAT_FIELDS[match.group(1)]
        text = _normalise(read(person))
        if not text:
            raise ManagedIdError(column)
        return text

    local = PLACEHOLDER.sub(value_of, local_format).lower()
    local = re.sub(r"\.{2,}", ".", local).strip(".")[:LOCAL_PART_MAX_LENGTH].rstrip(".")
    if not local:
        raise ManagedIdError(FORMAT_FIELDS[PLACEHOLDER.findall(local_format)[0]][0])
    address = f"{local}@{domain_format.replace('{domain}', domain).lower()}"
    if len(address) > MANAGED_ID_MAX_LENGTH:
        raise ManagedIdError("length")
    return address


def _taken_numbers(local: str, domain: str) -> set[int]:
    """The numbers accounts already append to `local` at `domain` (`local3@domain` -> 3)."""
    pattern = re.compile(rf"{re.escape(local)}(\d+)@{re.escape(domain)}")
    numbers: set[int] = set()
    for taken in (
        *Person.objects.filter(managed_apple_id__startswith=local, managed_apple_id__endswith=f"@{domain}")
        .values_list("managed_apple_id", flat=True)
        .iterator(),
        *AppleAccount.objects.filter(apple_id__istartswith=local, apple_id__iendswith=f"@{domain}")
        .values_list("apple_id", flat=True)
        .iterator(),
    ):
        match = pattern.fullmatch(taken.lower())
        if match:
            numbers.add(int(match.group(1)))
    return numbers


def _taken(candidates: Iterable[str]) -> set[str]:
    unique = sorted(set(candidates))
    taken: set[str] = set()
    for start in range(0, len(unique), CHUNK):
        chunk = unique[start : start + CHUNK]
        taken.update(
            Person.objects.filter(managed_apple_id__in=chunk).values_list("managed_apple_id", flat=True)
        )
        taken.update(
            apple_id.lower()
            for apple_id in AppleAccount.objects.filter(apple_id__in=chunk).values_list("apple_id", flat=True)
        )
    return taken


def managed_apple_ids_assign(candidates: Sequence[str]) -> list[str]:
    """Unique accounts for these candidates, in order: a taken one gets the smallest free number.

    The caller holds the organisation's lock, so that two imports cannot pick the same one.
    """
    taken = _taken(candidates)
    numbers: dict[str, set[int]] = {}
    assigned: list[str] = []
    for candidate in candidates:
        if candidate not in taken:
            taken.add(candidate)
            assigned.append(candidate)
            continue
        local, domain = candidate.split("@")
        if candidate not in numbers:
            numbers[candidate] = _taken_numbers(local, domain)
        used = numbers[candidate]
        number = 1
        while number in used or f"{local}{number}@{domain}" in taken:
            number += 1
        used.add(number)
        address = f"{local}{number}@{domain}"
        taken.add(address)
        assigned.append(address)
    return assigned


def roster_settings(organization: Organization) -> RosterSettings:
    settings_row, _ = RosterSettings.objects.get_or_create(organization=organization)
    return settings_row


def _person_fields(person: Person) -> dict[str, str]:
    return {
        "first_name": person.first_name,
        "middle_name": person.middle_name,
        "last_name": person.last_name,
        "person_id": person.person_id,
        "person_number": person.person_number,
        "sis_username": person.sis_username,
        "email": person.email,
    }


@dataclass
class FormatChange:
    changed: int = 0
    unchanged: int = 0
    # People whose new account could not be made (a field of the format is empty): they keep theirs.
    kept: int = 0


def managed_apple_id_format_set(
    *, actor: AppleAccount | None, organization: Organization, value: str, apply_to_existing: bool
) -> FormatChange:
    """Set the organisation's format. It applies to new people; with `apply_to_existing`, to
    existing ones too (Apple's "for users" choice), who are not told of the change."""
    auth.require_people_manager(actor)
    value = managed_apple_id_format_check(value)
    change = FormatChange()
    with transaction.atomic(using=DB):
        _lock_organization(organization)
        settings_row = roster_settings(organization)
        settings_row.managed_apple_id_format = value
        settings_row.modified_at = clock.now()
        settings_row.modified_by = actor.apple_id if actor else ""
        settings_row.save()
        if apply_to_existing:
            _format_apply(organization, value, change)
    return change


def _format_apply(organization: Organization, format_value: str, change: FormatChange) -> None:
    now = clock.now()
    people = Person.objects.filter(organization=organization).order_by("id")
    last_id = 0
    while True:
        batch = list(people.filter(id__gt=last_id)[:CHUNK])
        if not batch:
            return
        last_id = batch[-1].pk
        moving: list[tuple[Person, str]] = []
        for person in batch:
            try:
                candidate = managed_apple_id_candidate(
                    format_value, _person_fields(person), organization.domain
                )
            except ManagedIdError:
                change.kept += 1  # Apple: a missing element leaves that user's account unchanged
                continue
            if candidate == person.managed_apple_id:
                change.unchanged += 1
            else:
                moving.append((person, candidate))
        for (person, _candidate), address in zip(
            moving, managed_apple_ids_assign([candidate for _person, candidate in moving]), strict=True
        ):
            person.managed_apple_id = address
            person.modified_at = now
        Person.objects.bulk_update([person for person, _ in moving], ["managed_apple_id", "modified_at"])
        change.changed += len(moving)


# --- Imports from an MDM server ---------------------------------------------------------------


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


def _lock_organization(organization: Organization) -> None:
    Organization.objects.select_for_update().filter(pk=organization.pk).values_list("pk").first()


def _by_key(queryset: Any, key: str, values: Iterable[str]) -> dict[str, Any]:
    """Rows of `queryset` whose `key` is one of `values`, by that key (IN lists in chunks)."""
    unique = sorted(set(values))
    found: dict[str, Any] = {}
    for start in range(0, len(unique), CHUNK):
        for row in queryset.filter(**{f"{key}__in": unique[start : start + CHUNK]}):
            found[getattr(row, key)] = row
    return found


def _pks(queryset: Any, key: str, values: Iterable[str]) -> dict[str, int]:
    unique = sorted(set(values))
    found: dict[str, int] = {}
    for start in range(0, len(unique), CHUNK):
        found.update(queryset.filter(**{f"{key}__in": unique[start : start + CHUNK]}).values_list(key, "pk"))
    return found


def temporary_password() -> str:
    """A temporary password as Apple's standard policy wants it: 8+ letters and digits, mixed."""
    letters, digits = "abcdefghjkmnpqrstuvwxyz", "23456789"  # no look-alikes (l/1, o/0)
    while True:
        value = "".join(secrets.choice(letters + digits) for _ in range(10))
        if any(ch in digits for ch in value) and any(ch in letters for ch in value):
            return f"{value[:5]}-{value[5:]}"


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
        _lock_organization(organization)
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
                temporary_password=crypto.encrypt(temporary_password()),
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
    for start in range(0, len(owners), CHUNK):
        for owner_pk, other_pk in through.objects.filter(
            **{f"{owner}__in": owners[start : start + CHUNK]}
        ).values_list(owner, other):
            current[owner_pk].add(other_pk)
    changed = [pk for pk in owners if current[pk] != wanted[pk]]
    for start in range(0, len(changed), CHUNK):
        through.objects.filter(**{f"{owner}__in": changed[start : start + CHUNK]}).delete()
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


# --- Passwords and sign-in sheets ---------------------------------------------------------------


def person_password_check(*, person: Person, password: str) -> bool:
    """What a sign-in (a Shared iPad, iCloud) checks: the chosen password, else the temporary one."""
    if not person.is_active:
        return False
    if person.password:
        return check_password(password, person.password)
    if person.temporary_password:
        return constant_time_compare(crypto.decrypt(person.temporary_password), password)
    return False


def person_must_change_password(person: Person) -> bool:
    """Apple asks for a new password at the first sign-in with a temporary one."""
    return not person.password and bool(person.temporary_password)


def person_password_change(*, person: Person, password: str) -> Person:
    """The person chooses their own password (first sign-in): the temporary one stops working."""
    if len(password) < 8 or password.isdigit() or password.isalpha():
        raise ValidationError(_("Use at least 8 characters, with letters and digits."))
    person.password = make_password(password)
    person.temporary_password = ""
    person.temporary_password_shown = True
    person.modified_at = clock.now()
    person.save(update_fields=["password", "temporary_password", "temporary_password_shown", "modified_at"])
    return person


def person_password_reset(*, actor: AppleAccount | None, person: Person) -> str:
    """A new temporary password, returned once to show it; the person changes it at sign-in."""
    auth.require_people_manager(actor)
    password = temporary_password()
    person.temporary_password = crypto.encrypt(password)
    person.temporary_password_shown = True
    person.password = ""
    person.modified_at = clock.now()
    person.save(update_fields=["temporary_password", "temporary_password_shown", "password", "modified_at"])
    return password


def sign_in_sheet_pending(organization: Organization) -> int:
    """New accounts whose temporary password has not been on a sign-in sheet yet."""
    return (
        Person.objects.filter(organization=organization, is_active=True, temporary_password_shown=False)
        .exclude(temporary_password="")
        .count()
    )


def sign_in_sheet_take(*, actor: AppleAccount | None, organization: Organization) -> list[tuple[Person, str]]:
    """The next accounts (up to SIGN_IN_SHEET_SIZE) with their temporary passwords, shown this
    once: taking them marks them shown, as Apple shows a password only on the sheet it prints."""
    auth.require_people_manager(actor)
    with transaction.atomic(using=DB):
        people = list(
            Person.objects.select_for_update()
            .filter(organization=organization, is_active=True, temporary_password_shown=False)
            .exclude(temporary_password="")
            .order_by("last_name", "first_name", "id")[:SIGN_IN_SHEET_SIZE]
        )
        Person.objects.filter(pk__in=[person.pk for person in people]).update(temporary_password_shown=True)
    return [(person, crypto.decrypt(person.temporary_password)) for person in people]
