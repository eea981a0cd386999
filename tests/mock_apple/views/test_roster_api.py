"""POST /roster/import over real HTTP: the DEP session, the JSON, Apple's error codes."""

from __future__ import annotations

from typing import Any

from mock_apple.models import Organization, Person, RosterClass
from tests.mock_apple.conftest import DepClient, control, live, server_with_token

ROSTER: dict[str, Any] = {
    "source_name": "Contoso classic",
    "locations": [{"location_id": "10001", "location_name": "Contoso High School"}],
    "people": [
        {
            "person_id": "13001",
            "role": "student",
            "first_name": "Ora",
            "middle_name": "Christopher",
            "last_name": "Klein",
            "person_number": "13001",
            "email_address": "",
            "sis_username": "OKlein@contoso.edu",
            "grade_level": "9",
            "location_ids": ["10001"],
            "status": "active",
        },
        {
            "person_id": "14001",
            "role": "instructor",
            "first_name": "Craig",
            "last_name": "Beane",
            "location_ids": ["10001"],
        },
    ],
    "classes": [
        {
            "class_id": "11001",
            "class_display_name": "Math - Algebra 1",
            "location_id": "10001",
            "course_name": "Math 101",
            "instructor_ids": ["14001"],
            "student_ids": ["13001"],
        }
    ],
}


@live
class RosterApiTests:
    def client(self, dep_server, organization) -> DepClient:
        _, token = server_with_token(organization, devices=0)
        client = DepClient(dep_server, token)
        client.authenticate()
        return client

    def test_it_imports_and_answers_what_it_did(self, dep_server, organization) -> None:
        response = self.client(dep_server, organization).call("POST", "/roster/import", ROSTER)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == "application/json;charset=UTF8"
        assert response.json() == {
            "locations": {"created": 1, "updated": 0},
            "people": {"created": 2, "updated": 0, "deactivated": 0, "failed": 0},
            "classes": {
                "created": 1,
                "updated": 0,
                "switched_to_manual": 0,
                "failed": 0,
                "members_not_found": 0,
            },
            "failures": [],
        }
        ora = Person.objects.get(person_id="13001")
        assert (ora.managed_apple_id, ora.grade_level, ora.synced_by) == (
            "ora.klein@appleid.contoso.edu",
            "9",
            "Intune",
        )
        assert RosterClass.objects.get().students.get() == ora

    def test_a_refused_person_is_reported(self, dep_server, organization) -> None:
        body = {**ROSTER, "people": [{**ROSTER["people"][0], "location_ids": ["nowhere"]}], "classes": []}
        answer = self.client(dep_server, organization).call("POST", "/roster/import", body).json()
        assert answer["people"]["failed"] == 1
        assert answer["failures"] == [
            {"record": "person", "id": "13001", "code": "LOCATION_NOT_FOUND", "field": "location_id"}
        ]

    def test_it_needs_a_session(self, dep_server, organization) -> None:
        server_with_token(organization, devices=0)
        client = DepClient(dep_server, {})
        response = client.call("POST", "/roster/import", ROSTER)
        assert (response.status_code, response.text) == (401, "UNAUTHORIZED")
        assert not Person.objects.exists()

    def test_malformed_bodies_change_nothing(self, dep_server, organization) -> None:
        client = self.client(dep_server, organization)
        person: dict[str, Any] = ROSTER["people"][0]
        for body in (
            ["not", "an", "object"],
            {"people": "13001"},
            {"people": [{**person, "role": "teacher"}]},
            {"people": [{**person, "person_id": ""}]},
            {"people": [{**person, "status": "gone"}]},
            {"people": [person, person]},
            {"people": [{**person, "location_ids": "10001"}]},
            {"locations": [{"location_id": str(i), "location_name": "x"} for i in range(1001)]},
            {"classes": [{**ROSTER["classes"][0], "student_ids": [str(i) for i in range(50_001)]}]},
        ):
            response = client.call("POST", "/roster/import", body)
            assert (response.status_code, response.text) == (400, "MALFORMED_REQUEST_BODY"), body
        assert not Person.objects.exists()

    def test_a_business_organisation_has_no_roster(self, dep_server, organization) -> None:
        Organization.objects.filter(pk=organization.pk).update(org_type=Organization.OrgType.ORG)
        response = self.client(dep_server, organization).call("POST", "/roster/import", ROSTER)
        assert (response.status_code, response.text) == (400, "ORG_NOT_SUPPORTED")

    def test_faults_can_be_injected(self, dep_server, organization) -> None:
        client = self.client(dep_server, organization)
        fault = {
            "endpoint": "roster",
            "status": 503,
            "code": "SERVICE_UNAVAILABLE",
            "retry_after": 30,
            "count": 1,
        }
        assert control(dep_server, "POST", "faults", fault).status_code == 201
        response = client.call("POST", "/roster/import", ROSTER)
        assert (response.status_code, response.headers["Retry-After"]) == (503, "30")
        assert client.call("POST", "/roster/import", ROSTER).status_code == 200

    def test_other_methods_are_refused(self, dep_server, organization) -> None:
        response = self.client(dep_server, organization).call("GET", "/roster/import")
        assert (response.status_code, response.headers["Allow"]) == (405, "POST")
