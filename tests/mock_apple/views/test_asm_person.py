"""A person's page in Apple School Manager, and Reset Password."""

from __future__ import annotations

import re

import pytest

from mock_apple.models import Person
from mock_apple.roster import passwords
from tests.mock_apple.conftest import APPLE_DB
from tests.mock_apple.roster_records import imported, server_of


@pytest.mark.django_db(databases=APPLE_DB)
class AsmPersonTests:
    def test_it_shows_the_account_the_details_and_the_classes(self, asm_admin, organization) -> None:
        imported(server_of(organization))
        ora = Person.objects.get(person_id="13001")
        body = asm_admin.get(f"/asm/people/{ora.pk}/").content.decode()
        assert "Ora Christopher Klein" in body and "ora.klein@appleid.contoso.edu" in body
        assert "Temporary: to be changed at the first sign-in" in body
        assert "SDS · Contoso classic" in body and "through Intune" in body
        assert "Math - Algebra 1" in body and "Reset Password" in body

    def test_reset_password_shows_the_new_one_once(self, asm_admin, organization) -> None:
        imported(server_of(organization))
        ora = Person.objects.get(person_id="13001")
        response = asm_admin.post(f"/asm/people/{ora.pk}/reset-password/")
        assert response.status_code == 200
        found = re.search(r"data-temporary-password>([^<]+)<", response.content.decode())
        assert found is not None
        password = found.group(1)
        ora.refresh_from_db()
        assert passwords.person_password_check(person=ora, password=password)
        assert password not in asm_admin.get(f"/asm/people/{ora.pk}/").content.decode()

    def test_staff_cannot_reset_passwords(self, asm_staff, organization) -> None:
        imported(server_of(organization))
        ora = Person.objects.get(person_id="13001")
        before = ora.temporary_password
        assert "Reset Password" not in asm_staff.get(f"/asm/people/{ora.pk}/").content.decode()
        assert asm_staff.post(f"/asm/people/{ora.pk}/reset-password/").status_code == 403
        assert Person.objects.get(pk=ora.pk).temporary_password == before

    def test_people_of_other_organisations_are_not_found(self, asm_admin) -> None:
        assert asm_admin.get("/asm/people/4040/").status_code == 404

    def test_it_refuses_other_methods(self, asm_admin, organization) -> None:
        imported(server_of(organization))
        ora = Person.objects.get(person_id="13001")
        assert asm_admin.post(f"/asm/people/{ora.pk}/").status_code == 405
        assert asm_admin.get(f"/asm/people/{ora.pk}/reset-password/").status_code == 405
