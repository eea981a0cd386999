"""Apple School Manager › Preferences: the Managed Apple Account format."""

from __future__ import annotations

import pytest

from mock_apple.models import Person, RosterSettings
from tests.mock_apple.conftest import APPLE_DB
from tests.mock_apple.roster_records import imported, server_of

URL = "/asm/preferences/"


@pytest.mark.django_db(databases=APPLE_DB)
class AsmPreferencesTests:
    def test_it_shows_the_format_and_an_example(self, asm_admin) -> None:
        body = asm_admin.get(URL).content.decode()
        assert 'value="{first}.{last}@appleid.{domain}"' in body
        assert "scott.miller@appleid.contoso.edu" in body

    def test_saving_a_format_for_new_users(self, asm_admin, organization) -> None:
        imported(server_of(organization))
        response = asm_admin.post(
            URL,
            {"managed_apple_id_format": "{first_initial}{last}@appleid.{domain}", "apply_to": "new"},
            follow=True,
        )
        assert b"The Managed Apple Account format was saved." in response.content
        assert (
            RosterSettings.objects.get().managed_apple_id_format == "{first_initial}{last}@appleid.{domain}"
        )
        assert RosterSettings.objects.get().modified_by == "admin@appleid.contoso.edu"
        assert Person.objects.get(person_id="13001").managed_apple_id == "ora.klein@appleid.contoso.edu"

    def test_saving_it_for_existing_users_too(self, asm_admin, organization) -> None:
        imported(server_of(organization))
        response = asm_admin.post(
            URL,
            {
                "managed_apple_id_format": "{first_initial}{last}{person_number}@appleid.{domain}",
                "apply_to": "all",
            },
            follow=True,
        )
        assert b"2 existing accounts were changed." in response.content
        assert b"1 account kept its name: a field of the format is empty for it." in response.content
        assert Person.objects.get(person_id="13001").managed_apple_id == "oklein13001@appleid.contoso.edu"

    def test_a_bad_format_is_explained_and_nothing_changes(self, asm_admin) -> None:
        response = asm_admin.post(
            URL, {"managed_apple_id_format": "{first}.{surname}@appleid.{domain}", "apply_to": "new"}
        )
        assert response.status_code == 200
        assert "Unknown fields: {surname}." in response.content.decode()
        assert RosterSettings.objects.get().managed_apple_id_format == RosterSettings.DEFAULT_FORMAT

    def test_staff_see_the_format_but_cannot_change_it(self, asm_staff) -> None:
        body = asm_staff.get(URL).content.decode()
        assert "{first}.{last}@appleid.{domain}" in body and '<form method="post" novalidate>' not in body
        response = asm_staff.post(
            URL, {"managed_apple_id_format": "{first}@appleid.{domain}", "apply_to": "new"}
        )
        assert response.status_code == 403
        assert RosterSettings.objects.get().managed_apple_id_format == RosterSettings.DEFAULT_FORMAT

    def test_it_refuses_other_methods(self, asm_admin) -> None:
        assert asm_admin.put(URL).status_code == 405
