"""Temporary passwords: sign-in sheets shown once, a reset, and what a sign-in checks."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mock_apple.models import AppleAccount, Person
from mock_apple.roster import passwords
from tests.mock_apple.conftest import APPLE_DB, account_create, admin_of
from tests.mock_apple.roster_records import imported, server_of


@pytest.mark.django_db(databases=APPLE_DB)
class RosterPasswordTests:
    def test_a_sign_in_sheet_shows_each_password_once(self, organization) -> None:
        imported(server_of(organization))
        assert passwords.sign_in_sheet_pending(organization) == 3
        sheet = passwords.sign_in_sheet_take(actor=admin_of(organization), organization=organization)
        assert [person.person_id for person, _password in sheet] == [
            "14001",
            "13001",
            "13002",
        ]  # by last name
        assert passwords.sign_in_sheet_pending(organization) == 0
        assert passwords.sign_in_sheet_take(actor=admin_of(organization), organization=organization) == []
        person, password = sheet[0]
        assert passwords.person_password_check(person=Person.objects.get(pk=person.pk), password=password)

    def test_the_first_sign_in_changes_the_temporary_password(self, organization) -> None:
        imported(server_of(organization))
        (person, password), *_ = passwords.sign_in_sheet_take(actor=None, organization=organization)
        assert passwords.person_must_change_password(person)
        assert not passwords.person_password_check(person=person, password="wrong-one1")
        with pytest.raises(ValidationError):
            passwords.person_password_change(person=person, password="12345678")
        passwords.person_password_change(person=person, password="my-own-pass1")
        person.refresh_from_db()
        assert not passwords.person_must_change_password(person) and person.temporary_password == ""
        assert passwords.person_password_check(person=person, password="my-own-pass1")
        assert not passwords.person_password_check(person=person, password=password)

    def test_a_reset_gives_a_new_temporary_password(self, organization) -> None:
        imported(server_of(organization))
        person = Person.objects.get(person_id="13001")
        passwords.person_password_change(person=person, password="my-own-pass1")
        password = passwords.person_password_reset(actor=admin_of(organization), person=person)
        person.refresh_from_db()
        assert passwords.person_must_change_password(person)
        assert passwords.person_password_check(person=person, password=password)
        assert not passwords.person_password_check(person=person, password="my-own-pass1")
        # Shown to the administrator already: no sign-in sheet for it.
        assert passwords.sign_in_sheet_pending(organization) == 2

    def test_inactive_people_cannot_sign_in(self, organization) -> None:
        imported(server_of(organization))
        (person, password), *_ = passwords.sign_in_sheet_take(actor=None, organization=organization)
        Person.objects.filter(pk=person.pk).update(is_active=False)
        assert not passwords.person_password_check(person=Person.objects.get(pk=person.pk), password=password)

    def test_only_people_managers_see_passwords(self, organization) -> None:
        imported(server_of(organization))
        manager = account_create(
            organization, "dem@appleid.contoso.edu", AppleAccount.Role.DEVICE_ENROLLMENT_MANAGER
        )
        with pytest.raises(PermissionDenied):
            passwords.sign_in_sheet_take(actor=manager, organization=organization)
        with pytest.raises(PermissionDenied):
            passwords.person_password_reset(actor=manager, person=Person.objects.get(person_id="13001"))
        assert passwords.sign_in_sheet_pending(organization) == 3
