"""The Managed Apple Account format (Preferences): its check, the account it gives a person,
unique accounts (a number appended when one is taken), and a change of format applied to
the people who exist."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mock_apple import auth, clock
from mock_apple.db import CHUNK, DB, chunks, organization_lock
from mock_apple.models import (
    AppleAccount,
    Organization,
    Person,
    RosterSettings,
)

MANAGED_ID_MAX_LENGTH = 128  # Apple's stated limit (one page says 256; the stricter one holds)
LOCAL_PART_MAX_LENGTH = 64


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
    for chunk in chunks(unique):
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
        organization_lock(organization)
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
