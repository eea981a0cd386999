"""Enrollment (contract §3): the article's rules, in order, over the signed HTTP endpoint."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from asm_portal.models import AuditEvent
from devices.models import Device, EnrollmentState
from mdm.enrollment import enrollment_ticket_issue
from mdm.models import DeviceAppInstall
from profiles.choices import Affinity, AuthMethod
from tests.devices.conftest import devices_create, enrollment_setup_create, profile_create
from tests.mdm.virtual_device import device_issue


@pytest.fixture
def client() -> Client:
    return Client(enforce_csrf_checks=True)  # devices have no CSRF token: the endpoint is exempt


def _ticket(setup) -> dict[str, str]:
    ticket = enrollment_ticket_issue(serial="DMPQ000001", upn=setup.user.upn, token_id=setup.token.pk)
    return {"kind": "directory", "upn": setup.user.upn, "ticket": ticket}


def _enroll(client, setup, device, *, profile_uuid="same", user=None):
    uuid = setup.profile.apple_profile_uuid if profile_uuid == "same" else profile_uuid
    return device.post(client, setup.url(), device.enroll_body(profile_uuid=uuid, user=user))


def test_a_device_enrolls_with_its_user(client, setup, virtual_device) -> None:
    device = virtual_device("DMPQ000001")
    response = _enroll(client, setup, device, user=_ticket(setup))
    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "enrolled",
        "device_name": "",
        "managed_by": "Contoso School District",
        "supervised": True,
        "removable": True,
        "await_configuration": True,
        "checkin_url": f"http://portal.test/enroll/{setup.token.pk}/checkin/",
        "user": {"upn": "OKlein@contoso.onmicrosoft.com", "display_name": "Ora Klein"},
        "company_portal": True,
    }
    row = Device.objects.get(pk=setup.device.pk)
    assert row.enrollment_state == EnrollmentState.ENROLLED
    assert row.enrolled_user_name == "OKlein@contoso.onmicrosoft.com"
    assert row.enrolled_profile_id == setup.profile.pk
    assert row.udid == device.udid and row.product == "iPad13,18" and row.os_version == "18.1"
    assert row.last_contacted_at and row.enrolled_at
    assert row.device_name == "iPad"  # no template: the device keeps its own name
    event = AuditEvent.objects.get(action="Enroll device")
    assert event.actor_name == "DMPQ000001 (device)" and event.result == "success"


def test_the_final_configuration_is_installed_by_the_task(
    client, setup, virtual_device, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _enroll(client, setup, virtual_device("DMPQ000001"), user=_ticket(setup))
    assert Device.objects.get(pk=setup.device.pk).configured_at is None  # still awaiting
    for callback in callbacks:
        callback()  # the task runs (eagerly here)
    row = Device.objects.get(pk=setup.device.pk)
    assert row.configured_at is not None
    assert "restrictions" in (row.configuration or [])


def test_the_name_template_names_the_device(client, db, settings, virtual_device) -> None:
    setup = enrollment_setup_create(
        apply_device_name_template=True,
        device_name_template="{{DEVICETYPE}}-{{SERIAL}}",
        locked_enrollment=True,
    )
    response = _enroll(client, setup, virtual_device("DMPQ000001"), user=_ticket(setup))
    assert response.json()["device_name"] == "iPad-DMPQ000001"
    assert response.json()["removable"] is False
    assert Device.objects.get(pk=setup.device.pk).device_name == "iPad-DMPQ000001"


def test_an_unknown_or_expired_token(client, setup, virtual_device) -> None:
    device = virtual_device("DMPQ000001")
    response = device.post(client, "/enroll/999999/", device.enroll_body(profile_uuid="X"))
    assert (response.status_code, response.json()["code"]) == (404, "TOKEN_NOT_FOUND")
    setup.token.expires_at = setup.token.created_at
    setup.token.save()
    response = _enroll(client, setup, device)
    assert (response.status_code, response.json()["code"]) == (403, "TOKEN_INACTIVE")


def test_a_serial_that_is_not_the_tokens(client, setup, virtual_device) -> None:
    response = _enroll(client, setup, virtual_device("DMPQ000777"))
    assert (response.status_code, response.json()["code"]) == (403, "DEVICE_NOT_FOUND")
    Device.objects.filter(pk=setup.device.pk).update(removed_by_apple=True)
    response = _enroll(client, setup, virtual_device("DMPQ000001"))
    assert response.json()["code"] == "DEVICE_NOT_FOUND"


def test_a_device_without_a_profile_fails_and_the_portal_records_it(client, setup, virtual_device) -> None:
    [bare] = devices_create(setup.token, 1, start=2)
    response = _enroll(client, setup, virtual_device("DMPQ000002"), profile_uuid=None)
    assert (response.status_code, response.json()["code"]) == (403, "NO_PROFILE")
    assert "no enrollment profile" in response.json()["message"]
    row = Device.objects.get(pk=bare.pk)
    assert (row.enrollment_state, row.enrollment_error) == (EnrollmentState.FAILED, "NO_PROFILE")
    assert row.last_contacted_at is not None
    assert AuditEvent.objects.get(action="Enroll device").result == "failure"


def test_the_default_profile_only_if_apple_gave_it(client, setup, virtual_device) -> None:
    default = profile_create(setup.token, name="Default")
    default.apple_profile_uuid = "DEFAULT-UUID"
    default.is_default = True
    default.save()
    devices_create(setup.token, 2, start=2)
    refused = _enroll(client, setup, virtual_device("DMPQ000002"), profile_uuid=None)
    assert refused.json()["code"] == "NO_PROFILE"
    default.user_affinity = Affinity.WITHOUT
    default.save()
    enrolled = _enroll(client, setup, virtual_device("DMPQ000003"), profile_uuid="DEFAULT-UUID")
    assert enrolled.status_code == 200, enrolled.content
    row = Device.objects.get(token=setup.token, serial_number="DMPQ000003")
    assert row.enrolled_profile_id == row.assigned_profile_id == default.pk


def test_a_device_running_another_profile_must_be_reset(client, setup, virtual_device) -> None:
    response = _enroll(client, setup, virtual_device("DMPQ000001"), profile_uuid="OLD-PROFILE")
    assert (response.status_code, response.json()["code"]) == (409, "PROFILE_CHANGED")
    row = Device.objects.get(pk=setup.device.pk)
    assert row.enrollment_state == EnrollmentState.PENDING_RESET


def test_user_affinity_needs_a_valid_ticket(client, setup, virtual_device, settings) -> None:
    device = virtual_device("DMPQ000001")
    for user in (
        None,
        {"kind": "directory", "upn": setup.user.upn, "ticket": "forged"},
        # A ticket for another device, or another user than the one claimed.
        {
            **_ticket(setup),
            "ticket": enrollment_ticket_issue(
                serial="DMPQ000002", upn=setup.user.upn, token_id=setup.token.pk
            ),
        },
        {**_ticket(setup), "upn": "DTodd@contoso.onmicrosoft.com"},
    ):
        response = _enroll(client, setup, device, user=user)
        assert (response.status_code, response.json()["code"]) == (403, "AUTHENTICATION_REQUIRED"), user
        assert (
            response.json()["authenticate_url"] == f"http://portal.test/enroll/{setup.token.pk}/authenticate/"
        )
    assert Device.objects.get(pk=setup.device.pk).enrollment_state == EnrollmentState.NOT_CONTACTED
    settings.ENROLLMENT_TICKET_MAX_AGE_SECONDS = -1  # expired
    assert _enroll(client, setup, device, user=_ticket(setup)).status_code == 403


@pytest.mark.parametrize(
    ("values", "company_portal"),
    [
        ({"authentication_method": AuthMethod.COMPANY_PORTAL}, True),
        ({"user_affinity": Affinity.WITHOUT, "authentication_method": ""}, False),
        ({"shared_ipad": True}, False),
    ],
)
def test_userless_enrollments(client, db, settings, virtual_device, values, company_portal) -> None:
    setup = enrollment_setup_create(**values)
    response = _enroll(client, setup, virtual_device("DMPQ000001"))
    assert response.status_code == 200, response.content
    assert response.json()["user"] is None
    assert response.json()["company_portal"] is company_portal


def test_an_unsigned_or_foreign_request_changes_nothing(client, setup, virtual_device) -> None:
    device = virtual_device("DMPQ000001")
    body = json.dumps(device.enroll_body(profile_uuid=None)).encode()
    response = client.post(setup.url(), body, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (401, "DEVICE_IDENTITY_INVALID")
    # Another device's certificate claiming this serial number.
    impostor = device_issue(__import__("tests.mdm.virtual_device", fromlist=["x"]).ca_create(), "DMPQ000001")
    assert _enroll(client, setup, impostor, profile_uuid=None).status_code == 401
    assert Device.objects.get(pk=setup.device.pk).enrollment_state == EnrollmentState.NOT_CONTACTED
    assert not AuditEvent.objects.exists()


def test_bad_bodies(client, setup, virtual_device, settings) -> None:
    device = virtual_device("DMPQ000001")
    response = client.post(
        setup.url(), b"nope", content_type="application/json", headers=device.headers(b"nope")
    )
    assert (response.status_code, response.json()["code"]) == (400, "BAD_REQUEST")
    settings.DEVICE_REQUEST_MAX_BYTES = 10
    assert _enroll(client, setup, device).status_code == 413
    assert client.get(setup.url()).status_code == 405


def test_messages_speak_the_devices_language(client, setup, virtual_device) -> None:
    device = virtual_device("DMPQ000001")
    body = {**device.enroll_body(profile_uuid="OLD"), "language": "fr"}
    response = device.post(client, setup.url(), body)
    assert "Effacez l’appareil" in response.json()["message"]


def test_re_enrolling_after_an_erase_overwrites_the_enrollment(client, setup, virtual_device) -> None:
    device = virtual_device("DMPQ000001")
    _enroll(client, setup, device, user=_ticket(setup))
    DeviceAppInstall.objects.create(
        device=setup.device, bundle_id="a", name="A", installed_at=setup.device.created_at
    )
    assert device.post(client, setup.url("checkin/erased/")).json() == {"state": "notContacted"}
    row = Device.objects.get(pk=setup.device.pk)
    assert (row.enrollment_state, row.enrolled_user_name, row.enrolled_profile_id) == (
        "notContacted",
        "",
        None,
    )
    assert row.assigned_profile_id == setup.profile.pk  # kept
    assert not DeviceAppInstall.objects.exists()
    # Powered on again, with a new profile Apple now has.
    new = profile_create(
        setup.token, name="Teachers", user_affinity=Affinity.WITHOUT, authentication_method=""
    )
    new.apple_profile_uuid = "NEW-UUID"
    new.save()
    Device.objects.filter(pk=row.pk).update(assigned_profile=new, apple_profile_uuid="NEW-UUID")
    response = _enroll(client, setup, device, profile_uuid="NEW-UUID")
    assert response.status_code == 200, response.content
    row.refresh_from_db()
    assert (row.enrollment_state, row.enrolled_profile_id, row.enrolled_user_name) == ("enrolled", new.pk, "")


def test_reset_required_after_a_new_profile_until_erased_and_enrolled_again(
    client, setup, virtual_device
) -> None:
    """The article's rule end to end at the portal: enrolled → another profile assigned (Apple
    said SUCCESS) → « Reset required » at check-in and in the grid → erased → enrolls with it."""
    from devices.assignment_rounds import _record_answers
    from devices.models import AssignmentDevice, ProfileAssignment

    device = virtual_device("DMPQ000001")
    assert _enroll(client, setup, device, user=_ticket(setup)).status_code == 200
    teachers = profile_create(
        setup.token, name="Teachers", user_affinity=Affinity.WITHOUT, authentication_method=""
    )
    teachers.apple_profile_uuid = "TEACHERS-UUID"
    teachers.save()
    assignment = ProfileAssignment.objects.create(
        profile=teachers,
        source=ProfileAssignment.Source.DEVICES,
        requested_at=setup.device.created_at,
        device_count=1,
    )
    AssignmentDevice.objects.create(assignment=assignment, device=setup.device, serial_number="DMPQ000001")
    _record_answers(assignment, {"DMPQ000001": "SUCCESS"}, "TEACHERS-UUID")
    assert Device.objects.get(pk=setup.device.pk).enrollment_state == EnrollmentState.PENDING_RESET
    assert device.post(client, setup.url("checkin/")).json()["state"] == "pendingReset"
    # Until it is erased, the device keeps its old configuration: enrolling again is refused.
    assert _enroll(client, setup, device, user=_ticket(setup)).json()["code"] == "PROFILE_CHANGED"
    device.post(client, setup.url("checkin/erased/"))
    response = _enroll(client, setup, device, profile_uuid="TEACHERS-UUID")
    assert response.status_code == 200, response.content
    row = Device.objects.get(pk=setup.device.pk)
    assert (row.enrollment_state, row.enrolled_profile_id) == (EnrollmentState.ENROLLED, teachers.pk)
