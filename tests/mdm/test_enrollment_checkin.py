"""Check-in (contract §5), the final configuration task and the erase (contract §7)."""

from __future__ import annotations

import pytest
from django.test import Client

from asm_portal.models import AuditEvent
from devices.models import Device, EnrollmentState
from mdm.configuration import device_configuration_install
from mdm.models import DeviceAppInstall
from mdm.tasks import device_configure_task
from profiles.choices import Affinity
from tests.devices.conftest import enrollment_setup_create


@pytest.fixture
def enrolled(db, settings, virtual_device, django_capture_on_commit_callbacks):
    """A device of a profile without user affinity, enrolled; its configuration not yet installed."""
    settings.PORTAL_BASE_URL = "http://portal.test"
    setup = enrollment_setup_create(
        user_affinity=Affinity.WITHOUT,
        authentication_method="",
        apply_device_name_template=True,
        device_name_template="{{SERIAL}}",
    )
    device = virtual_device("DMPQ000001")
    with django_capture_on_commit_callbacks(execute=False):
        response = device.post(
            Client(), setup.url(), device.enroll_body(profile_uuid=setup.profile.apple_profile_uuid)
        )
    assert response.status_code == 200, response.content
    return setup, device


def test_the_device_awaits_its_configuration_then_goes_on(enrolled) -> None:
    setup, device = enrolled
    first = device.post(Client(), setup.url("checkin/"))
    assert first.json() == {
        "await_configuration": True,
        "device_name": "DMPQ000001",
        "apps": [],
        "state": "enrolled",
    }
    assert (
        device_configure_task.delay(setup.device.tenant_id, setup.device.pk).get() is True
    )  # the task, eagerly
    assert device_configuration_install(device_id=setup.device.pk) is False  # once
    second = device.post(Client(), setup.url("checkin/"))
    assert second.json()["await_configuration"] is False
    assert AuditEvent.objects.filter(action="Install device configuration").count() == 1


def test_without_await_the_device_does_not_wait(db, settings, virtual_device) -> None:
    setup = enrollment_setup_create(
        user_affinity=Affinity.WITHOUT, authentication_method="", await_final_configuration=False
    )
    device = virtual_device("DMPQ000001")
    response = device.post(
        Client(), setup.url(), device.enroll_body(profile_uuid=setup.profile.apple_profile_uuid)
    )
    assert response.json()["await_configuration"] is False
    assert device.post(Client(), setup.url("checkin/")).json()["await_configuration"] is False


def test_the_name_template_applies_again_at_each_checkin(enrolled) -> None:
    setup, device = enrolled
    setup.profile.device_name_template = "Contoso-{{DEVICETYPE}}-{{SERIAL}}"
    setup.profile.save()
    answer = device.post(Client(), setup.url("checkin/")).json()
    assert answer["device_name"] == "Contoso-iPad-DMPQ000001"
    assert Device.objects.get(pk=setup.device.pk).device_name == "Contoso-iPad-DMPQ000001"


def test_checkin_updates_last_contacted_and_lists_installed_apps(enrolled) -> None:
    setup, device = enrolled
    Device.objects.filter(pk=setup.device.pk).update(last_contacted_at=None)
    DeviceAppInstall.objects.create(
        device=setup.device,
        bundle_id="com.microsoft.onenote",
        name="Microsoft OneNote",
        installed_at=setup.device.created_at,
    )
    apps = device.post(Client(), setup.url("checkin/")).json()["apps"]
    assert apps == [
        {
            "bundle_id": "com.microsoft.onenote",
            "name": "Microsoft OneNote",
            "icon": "N",
            "color": "#7719aa",
            "icon_url": "http://portal.test/company-portal/apps/com.microsoft.onenote.svg",
        }
    ]
    assert Device.objects.get(pk=setup.device.pk).last_contacted_at is not None


def test_a_reset_required_device_hears_it_at_checkin(enrolled) -> None:
    setup, device = enrolled
    Device.objects.filter(pk=setup.device.pk).update(enrollment_state=EnrollmentState.PENDING_RESET)
    assert device.post(Client(), setup.url("checkin/")).json()["state"] == "pendingReset"


def test_a_device_that_is_not_enrolled_cannot_check_in(enrolled, virtual_device) -> None:
    setup, device = enrolled
    assert device.post(Client(), setup.url("checkin/erased/")).status_code == 200
    response = device.post(Client(), setup.url("checkin/"))
    assert (response.status_code, response.json()["code"]) == (403, "DEVICE_NOT_ENROLLED")
    # The configuration task of an erased device does nothing.
    assert device_configuration_install(device_id=setup.device.pk) is False


def test_the_erase_is_audited_as_the_device(enrolled) -> None:
    setup, device = enrolled
    device.post(Client(), setup.url("checkin/erased/"))
    event = AuditEvent.objects.get(action="Erase device")
    assert event.actor_name == "DMPQ000001 (device)"
    row = Device.objects.get(pk=setup.device.pk)
    assert row.enrollment_state == EnrollmentState.NOT_CONTACTED
    assert row.udid == device.udid  # the same hardware
