"""Apple School Manager › Locations: the primary one and those mirrored from the schools."""

from __future__ import annotations

import pytest

from tests.mock_apple.conftest import APPLE_DB
from tests.mock_apple.roster_records import imported, server_of


@pytest.mark.django_db(databases=APPLE_DB)
class AsmLocationsTests:
    def test_the_primary_location_comes_first_then_the_schools(self, asm_admin, organization) -> None:
        imported(server_of(organization))
        response = asm_admin.get("/asm/locations/")
        rows = [
            (loc.name, loc.location_id, loc.people_count, loc.class_count, loc.source)
            for loc in response.context["locations"]
        ]
        assert rows == [
            ("Contoso School District", "", 0, 0, "manual"),
            ("Contoso High School", "10001", 3, 1, "sds"),
            ("Fabrikam High School", "10002", 0, 0, "sds"),
        ]
        assert b"Primary" in response.content
        # Looking again makes no second primary location.
        assert len(asm_admin.get("/asm/locations/").context["locations"]) == 3

    def test_it_refuses_other_methods(self, asm_admin) -> None:
        assert asm_admin.post("/asm/locations/").status_code == 405
