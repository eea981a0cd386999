"""Sign-in sheets: the temporary passwords of new accounts, printed or exported, once."""

from __future__ import annotations

import csv
import io

import pytest

from mock_apple.models import Person
from mock_apple.roster import passwords
from tests.mock_apple.conftest import APPLE_DB
from tests.mock_apple.roster_records import imported, server_of

URL = "/asm/people/sign-in-sheets/"


@pytest.mark.django_db(databases=APPLE_DB)
class AsmSignInSheetsTests:
    def test_the_printed_sheets_show_each_password_once(self, asm_admin, organization) -> None:
        imported(server_of(organization))
        response = asm_admin.post(URL, {"format": "print"})
        assert response.status_code == 200 and response["Cache-Control"] == "no-store"
        assert response.content.decode().count("data-sign-in-sheet") == 3
        for person, password in response.context["rows"]:
            assert passwords.person_password_check(person=Person.objects.get(pk=person.pk), password=password)
        again = asm_admin.post(URL, {"format": "print"}, follow=True)
        assert b"Every new account has been on a sign-in sheet already." in again.content

    def test_the_csv_export_has_apple_s_five_columns(self, asm_admin, organization) -> None:
        imported(server_of(organization))
        response = asm_admin.post(URL, {"format": "csv"})
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0] == [
            "Managed Apple Account",
            "First Name",
            "Middle Name",
            "Last Name",
            "Temporary Password",
        ]
        assert rows[2][:4] == ["ora.klein@appleid.contoso.edu", "Ora", "Christopher", "Klein"]
        assert passwords.sign_in_sheet_pending(organization) == 0

    def test_staff_get_no_passwords(self, asm_staff, organization) -> None:
        imported(server_of(organization))
        assert asm_staff.post(URL, {"format": "print"}).status_code == 403
        assert passwords.sign_in_sheet_pending(organization) == 3

    def test_it_refuses_other_methods(self, asm_admin) -> None:
        assert asm_admin.get(URL).status_code == 405


@pytest.mark.django_db(databases=APPLE_DB)
def test_the_csv_export_neutralises_formula_cells(asm_admin, organization) -> None:
    """Names come from the roster an MDM server sent: one that a spreadsheet would run as a
    formula gets a quote in front (OWASP CSV injection); the passwords are left as they are."""
    imported(server_of(organization))
    Person.objects.filter(first_name="Ora").update(
        first_name='=HYPERLINK("http://evil.example")', last_name="@x"
    )
    response = asm_admin.post(URL, {"format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    (ora,) = [row for row in rows if "evil" in row[1]]
    assert ora[1] == '\'=HYPERLINK("http://evil.example")' and ora[3] == "'@x"
    found = Person.objects.get(last_name="@x")
    assert passwords.person_password_check(person=found, password=ora[4])
