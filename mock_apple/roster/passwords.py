"""Passwords of Managed Apple Accounts: temporary passwords, the sign-in check, a change by
the person, a reset by an administrator, and sign-in sheets."""

from __future__ import annotations

import secrets

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from mock_apple import auth, clock
from mock_apple.db import DB
from mock_apple.models import (
    AppleAccount,
    Organization,
    Person,
)

SIGN_IN_SHEET_SIZE = 1000


def temporary_password() -> str:
    """A temporary password as Apple's standard policy wants it: 8+ letters and digits, mixed."""
    letters, digits = "abcdefghjkmnpqrstuvwxyz", "23456789"  # no look-alikes (l/1, o/0)
    while True:
        value = "".join(secrets.choice(letters + digits) for _ in range(10))
        if any(ch in digits for ch in value) and any(ch in letters for ch in value):
            return f"{value[:5]}-{value[5:]}"


def person_password_check(*, person: Person, password: str) -> bool:
    """What a sign-in (a Shared iPad, iCloud) checks: the chosen password, else the temporary one."""
    if not person.is_active:
        return False
    if person.password:
        return check_password(password, person.password)
    if person.temporary_password:
        return constant_time_compare(person.temporary_password, password)
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
    person.temporary_password = password
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
    return [(person, person.temporary_password) for person in people]
