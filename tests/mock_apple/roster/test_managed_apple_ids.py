"""The Managed Apple Account format: checks, the account it gives, and changing it."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mock_apple.models import AppleAccount, Person, RosterSettings
from mock_apple.roster import managed_apple_ids
from tests.mock_apple.conftest import APPLE_DB, account_create
from tests.mock_apple.roster_records import imported, server_of, student

ORA = {
    "first_name": "Ora",
    "middle_name": "Christopher",
    "last_name": "Klein",
    "person_id": "13001",
    "person_number": "",
    "sis_username": "OKlein@contoso.edu",
    "email": "ora.klein@contoso.edu",
}


def problems(value: str) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        managed_apple_ids.managed_apple_id_format_check(value)
    return caught.value.messages


class ManagedAppleIdFormatTests:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("{first}.{last}@appleid.{domain}", "ora.klein@appleid.contoso.edu"),
            ("{first_initial}{last}@appleid.{domain}", "oklein@appleid.contoso.edu"),
            ("{first}{middle_initial}{last}@appleid.{domain}", "oracklein@appleid.contoso.edu"),
            ("{sis_username}@appleid.{domain}", "oklein@appleid.contoso.edu"),
            ("{email}@appleid.{domain}", "ora.klein@appleid.contoso.edu"),
            ("s{person_id}@students.contoso.edu", "s13001@students.contoso.edu"),
        ],
    )
    def test_it_makes_the_account(self, value: str, expected: str) -> None:
        assert (
            managed_apple_ids.managed_apple_id_candidate(
                managed_apple_ids.managed_apple_id_format_check(value), ORA, "contoso.edu"
            )
            == expected
        )

    def test_accents_spaces_and_apostrophes_go(self) -> None:
        person = {**ORA, "first_name": "Zoë Anne", "last_name": "O’Brien-Lefèvre"}
        address = managed_apple_ids.managed_apple_id_candidate(
            "{first}.{last}@appleid.{domain}", person, "contoso.edu"
        )
        assert address == "zoeanne.obrien-lefevre@appleid.contoso.edu"

    @pytest.mark.parametrize(
        ("value", "column"),
        [
            ("{first}{person_number}@appleid.{domain}", "person_number"),
            ("{last}.{first}@appleid.{domain}", "first_name"),
        ],
    )
    def test_an_empty_field_of_the_format_fails(self, value: str, column: str) -> None:
        person = {**ORA, "first_name": "李"} if column == "first_name" else ORA
        with pytest.raises(managed_apple_ids.ManagedIdError) as caught:
            managed_apple_ids.managed_apple_id_candidate(value, person, "contoso.edu")
        assert caught.value.column == column

    def test_it_explains_what_is_wrong(self) -> None:
        assert problems("") == ["Enter a format."]
        assert problems("{first}.{last}") == [
            "The format needs exactly one @, between the user name and the domain."
        ]
        assert problems("{first}.{surname}@appleid.{domain}") == [
            "Unknown fields: {surname}. Use {first}, {middle}, {last}, {first_initial}, {middle_initial}, "
            "{last_initial}, {person_id}, {person_number}, {sis_username}, {email}, {domain}."
        ]
        assert problems("student@appleid.{domain}") == [
            "The user name needs at least one field of the person, for example {first}."
        ]
        assert "After the @ only {domain} may stand for a value." in problems("{first}@{last}.edu")
        assert "After the @ comes a domain, for example appleid.{domain}." in problems("{first}@appleid")
        assert "The user name can only hold letters, digits, periods, hyphens and underscores." in problems(
            "{first} {last}@appleid.{domain}"
        )
        assert "Every field must be written between braces, for example {first}." in problems(
            "{first.{last}@appleid.{domain}"
        )


@pytest.mark.django_db(databases=APPLE_DB)
class ManagedAppleIdFormatSetTests:
    def test_new_people_get_the_new_format_and_existing_ones_keep_theirs(self, organization) -> None:
        imported(server_of(organization), people=[student("1", "Ora", "Klein")], classes=[])
        change = managed_apple_ids.managed_apple_id_format_set(
            actor=None,
            organization=organization,
            value="{first_initial}{last}@appleid.{domain}",
            apply_to_existing=False,
        )
        assert change.changed == 0
        imported(server_of(organization), people=[student("2", "Beulah", "McMillan")], classes=[])
        assert dict(Person.objects.values_list("person_id", "managed_apple_id")) == {
            "1": "ora.klein@appleid.contoso.edu",
            "2": "bmcmillan@appleid.contoso.edu",
        }
        assert (
            RosterSettings.objects.get().managed_apple_id_format == "{first_initial}{last}@appleid.{domain}"
        )

    def test_applied_to_existing_users_with_collisions_and_missing_fields(self, organization) -> None:
        people = [
            student("1", "Ora", "Klein", person_number="7"),
            student("2", "Otto", "Klein", person_number="8"),
            student("3", "Beulah", "McMillan"),
        ]
        imported(server_of(organization), people=people, classes=[])
        change = managed_apple_ids.managed_apple_id_format_set(
            actor=account_create(organization, "sm@appleid.contoso.edu", AppleAccount.Role.SITE_MANAGER),
            organization=organization,
            value="{first_initial}{last}{person_number}@appleid.{domain}",
            apply_to_existing=True,
        )
        assert (change.changed, change.kept, change.unchanged) == (2, 1, 0)
        assert dict(Person.objects.values_list("person_id", "managed_apple_id")) == {
            "1": "oklein7@appleid.contoso.edu",
            "2": "oklein8@appleid.contoso.edu",
            # No person number: Apple leaves the account as it was.
            "3": "beulah.mcmillan@appleid.contoso.edu",
        }
        again = managed_apple_ids.managed_apple_id_format_set(
            actor=None,
            organization=organization,
            value="{first_initial}{last}@appleid.{domain}",
            apply_to_existing=True,
        )
        assert again.changed == 3
        assert sorted(Person.objects.values_list("managed_apple_id", flat=True)) == [
            "bmcmillan@appleid.contoso.edu",
            "oklein1@appleid.contoso.edu",
            "oklein@appleid.contoso.edu",
        ]
        assert RosterSettings.objects.get().modified_by == ""

    def test_only_people_managers_change_it(self, organization) -> None:
        staff = account_create(organization, "staff@appleid.contoso.edu", AppleAccount.Role.STAFF)
        with pytest.raises(PermissionDenied):
            managed_apple_ids.managed_apple_id_format_set(
                actor=staff,
                organization=organization,
                value="{first}@appleid.{domain}",
                apply_to_existing=False,
            )
        assert not RosterSettings.objects.exists()

    def test_a_bad_format_changes_nothing(self, organization) -> None:
        with pytest.raises(ValidationError):
            managed_apple_ids.managed_apple_id_format_set(
                actor=None, organization=organization, value="nobody@appleid.{domain}", apply_to_existing=True
            )
        assert not RosterSettings.objects.exists()
