"""POST /roster/import: this emulator's own endpoint for rosters sent by an MDM server.

Apple has no API that accepts rosters from an MDM (rosters reach Apple School Manager from a
SIS, SFTP or a federated directory). The emulator needs one so that the portal's School Data
Sync can fill the mock organisation, so it is shaped like Apple's Device Assignment API: the
same session (`X-ADM-Auth-Session` from GET /session with the server token), headers, bare
error codes and fault injection (endpoint name `roster`), and the field names of Apple's SFTP
templates (location_id, person_id, first_name…, class_id, instructor_ids, student_ids).

Request (every list optional, at most MAX_RECORDS records each, ids unique in the request):

    {"source_name": "Contoso classic",
     "locations": [{"location_id", "location_name"}],
     "people": [{"person_id", "role": "student|instructor|staff", "first_name", "middle_name",
                 "last_name", "person_number", "email_address", "sis_username", "grade_level",
                 "location_ids": [...], "status": "active|inactive"}],
     "classes": [{"class_id", "class_display_name", "location_id", "class_number",
                  "course_name", "instructor_ids": [...], "student_ids": [...],
                  "status": "active|inactive"}]}

Answer: counts per kind and the records that failed, each with a code
(MANAGED_ID_GENERATION_FAILED, LOCATION_NOT_FOUND, LOCATION_REQUIRED) and the field at fault.
Errors: 400 MALFORMED_REQUEST_BODY (shape, sizes, repeated ids), 400 ORG_NOT_SUPPORTED (an
Apple Business Manager organisation has no roster), and every error of the DEP API's session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse

from mock_apple.dep import DepCall, DepError, dep_endpoint, json_body, json_response
from mock_apple.models import Organization, Person
from mock_apple.roster import imports

MAX_RECORDS = 1000
MAX_MEMBERS = 50_000
MAX_TEXT = 255
STATUSES = ("active", "inactive")

T = TypeVar("T")


def _malformed() -> DepError:
    return DepError(400, "MALFORMED_REQUEST_BODY")


def _text(item: dict[str, Any], key: str, *, required: bool = False, longest: int = MAX_TEXT) -> str:
    value = item.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value) > longest:
        raise _malformed()
    value = value.strip()
    if required and not value:
        raise _malformed()
    return value


def _ids(item: dict[str, Any], key: str) -> tuple[str, ...]:
    values = item.get(key) or []
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        raise _malformed()
    return tuple(value.strip() for value in values)


def _active(item: dict[str, Any]) -> bool:
    status = item.get("status", "active")
    if status not in STATUSES:
        raise _malformed()
    return bool(status == "active")


def _records(
    body: dict[str, Any], key: str, parse: Callable[[dict[str, Any]], T], id_of: Callable[[T], str]
) -> list[T]:
    items = body.get(key) or []
    if not isinstance(items, list) or len(items) > MAX_RECORDS:
        raise _malformed()
    records = []
    for item in items:
        if not isinstance(item, dict):
            raise _malformed()
        records.append(parse(item))
    if len({id_of(record) for record in records}) != len(records):
        raise _malformed()  # an id twice in one request: which one is meant is unknowable
    return records


def _location(item: dict[str, Any]) -> imports.LocationRecord:
    return imports.LocationRecord(
        location_id=_text(item, "location_id", required=True),
        name=_text(item, "location_name", required=True),
    )


def _person(item: dict[str, Any]) -> imports.PersonRecord:
    role = item.get("role")
    if role not in Person.Role.values:
        raise _malformed()
    return imports.PersonRecord(
        person_id=_text(item, "person_id", required=True),
        role=str(role),
        first_name=_text(item, "first_name"),
        middle_name=_text(item, "middle_name"),
        last_name=_text(item, "last_name"),
        person_number=_text(item, "person_number"),
        email=_text(item, "email_address", longest=320),
        sis_username=_text(item, "sis_username", longest=320),
        grade_level=_text(item, "grade_level", longest=32),
        location_ids=_ids(item, "location_ids"),
        active=_active(item),
    )


def _class(item: dict[str, Any]) -> imports.ClassRecord:
    return imports.ClassRecord(
        class_id=_text(item, "class_id", required=True),
        display_name=_text(item, "class_display_name", required=True),
        location_id=_text(item, "location_id", required=True),
        class_number=_text(item, "class_number"),
        course_name=_text(item, "course_name"),
        instructor_ids=_ids(item, "instructor_ids"),
        student_ids=_ids(item, "student_ids"),
        active=_active(item),
    )


@dep_endpoint({"POST": "roster"})
def roster_import(request: HttpRequest, *, call: DepCall) -> HttpResponse:
    body = json_body(request, required=True)
    if call.server.organization.org_type != Organization.OrgType.EDU:
        raise DepError(400, "ORG_NOT_SUPPORTED")
    locations = _records(body, "locations", _location, lambda r: r.location_id)
    people = _records(body, "people", _person, lambda r: r.person_id)
    classes = _records(body, "classes", _class, lambda r: r.class_id)
    if sum(len(c.instructor_ids) + len(c.student_ids) for c in classes) > MAX_MEMBERS:
        raise _malformed()
    source_name = body.get("source_name") or ""
    if not isinstance(source_name, str):
        raise _malformed()
    result = imports.roster_import(
        server=call.server, source_name=source_name, locations=locations, people=people, classes=classes
    )
    return json_response(result.as_json())
