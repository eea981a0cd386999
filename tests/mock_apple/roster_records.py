"""Roster records for the mock Apple roster tests, as an MDM server sends them."""

from __future__ import annotations

from typing import Any

from mock_apple.models import MdmServer, Organization
from mock_apple.roster import imports
from mock_apple.roster.imports import ClassRecord, LocationRecord, PersonRecord

LOCATIONS = (LocationRecord("10001", "Contoso High School"), LocationRecord("10002", "Fabrikam High School"))


def student(person_id: str, first: str, last: str, **fields: Any) -> PersonRecord:
    return PersonRecord(
        person_id=person_id,
        role=fields.pop("role", "student"),
        first_name=first,
        last_name=last,
        location_ids=fields.pop("location_ids", ("10001",)),
        **fields,
    )


def algebra(**fields: Any) -> ClassRecord:
    values: dict[str, Any] = {
        "class_id": "11001",
        "display_name": "Math - Algebra 1",
        "location_id": "10001",
        "course_name": "Math 101",
        "instructor_ids": ("14001",),
        "student_ids": ("13001", "13002"),
    }
    values.update(fields)
    return ClassRecord(**values)


def sample_people() -> list[PersonRecord]:
    return [
        student("13001", "Ora", "Klein", person_number="13001", middle_name="Christopher"),
        student("13002", "Beulah", "McMillan", person_number="13002"),
        student("14001", "Craig", "Beane", role="instructor"),
    ]


def imported(server: MdmServer, **records: Any) -> imports.ImportResult:
    """One request's worth: the two locations, three people and a class unless told otherwise."""
    return imports.roster_import(
        server=server,
        source_name=records.pop("source_name", "Contoso classic"),
        locations=records.pop("locations", LOCATIONS),
        people=records.pop("people", sample_people()),
        classes=records.pop("classes", [algebra()]),
    )


def server_of(organization: Organization) -> MdmServer:
    """The organisation's MDM server "Intune", made on first use."""
    from mock_apple.services import mdm_servers

    existing = MdmServer.objects.filter(organization=organization, name="Intune").first()
    return existing or mdm_servers.mdm_server_create(actor=None, organization=organization, name="Intune")
