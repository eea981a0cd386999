"""Apple School Manager › People: search, filters, pages, and the sign-in sheet notice."""

from __future__ import annotations

import pytest

from mock_apple.models import Person
from tests.mock_apple.conftest import APPLE_DB
from tests.mock_apple.roster_records import imported, server_of, student


@pytest.mark.django_db(databases=APPLE_DB)
class AsmPeopleTests:
    def test_it_lists_people_with_their_accounts(self, asm_admin, organization) -> None:
        imported(server_of(organization))
        response = asm_admin.get("/asm/people/")
        assert response.status_code == 200
        body = response.content.decode()
        assert "3 people" in body and "ora.klein@appleid.contoso.edu" in body
        assert "Instructor" in body and "Contoso High School" in body and ">SDS</span>" in body
        assert "3 new accounts have a temporary password" in body and "Create Sign-In Sheets" in body

    def test_search_and_filters(self, asm_admin, organization) -> None:
        imported(server_of(organization))
        Person.objects.filter(person_id="13002").update(is_active=False)

        def ids(query: str) -> list[str]:
            return [p.person_id for p in asm_admin.get(f"/asm/people/?{query}").context["page"]]

        assert ids("q=klein") == ["13001"]
        assert ids("q=beane%40appleid") == ["14001"]
        assert ids("q=13002") == ["13002"]
        assert ids("role=instructor") == ["14001"]
        assert ids("status=inactive") == ["13002"]
        assert sorted(ids("role=bogus&status=bogus")) == ["13001", "13002", "14001"]

    def test_pages_of_fifty(self, asm_admin, organization) -> None:
        people = [student(str(i), f"First{i:02d}", f"Last{i:02d}") for i in range(60)]
        imported(server_of(organization), people=people, classes=[])
        first = asm_admin.get("/asm/people/")
        assert len(first.context["page"].object_list) == 50 and b"Page 1 of 2" in first.content
        assert len(asm_admin.get("/asm/people/?page=2").context["page"].object_list) == 10

    def test_htmx_gets_the_grid_only(self, asm_admin, organization) -> None:
        imported(server_of(organization))
        response = asm_admin.get("/asm/people/?fragment=grid&q=ora", HTTP_HX_REQUEST="true")
        assert b"<html" not in response.content and b"ora.klein@appleid.contoso.edu" in response.content

    def test_an_empty_roster_says_where_people_come_from(self, asm_admin) -> None:
        assert b"No people yet." in asm_admin.get("/asm/people/").content

    def test_staff_see_people_but_no_passwords_to_give_out(self, asm_staff, organization) -> None:
        imported(server_of(organization))
        body = asm_staff.get("/asm/people/").content.decode()
        assert "ora.klein@appleid.contoso.edu" in body and "Create Sign-In Sheets" not in body

    def test_signed_out_visitors_sign_in_first(self, client, apple_settings) -> None:
        response = client.get("/asm/people/")
        assert response.status_code == 302 and response["Location"].startswith("/asm/signin/")

    def test_it_refuses_other_methods(self, asm_admin) -> None:
        assert asm_admin.post("/asm/people/").status_code == 405
