"""The virtual iPad's engine against the real portal over HTTP: ADE enrollment into the portal
(the portal checks the MachineInfo against the mock's device CA, signs the profile, issues the
identity by SCEP), the commands the portal queues at TokenUpdate, then a rename and a lock the
portal sends, answered as an iPad answers them. APNs is left out: the test checks in itself."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from mdm import commands as portal_commands
from mdm import identity as portal_identity
from mdm import selectors
from mdm.models import DeviceCommand, ManagedDevice
from mock_apple.ipad import device, session, shared_ipad, user_channel
from mock_apple.models import CertificateAuthority, Device, InstalledProfile, Organization, Person
from mock_apple.roster import passwords
from mock_apple.services.push import certificate_authority
from tests.devices.conftest import enrollment_setup_create
from tests.mock_apple.conftest import organization_create
from tests.mock_apple.engine.conftest import ipad_assigned
from tests.mock_apple.roster_records import imported, server_of
from tests.tokens.conftest import push_certificate, push_portal  # noqa: F401


@pytest.fixture
def portal(live_server: Any, settings: Any, push_certificate: Any, monkeypatch: pytest.MonkeyPatch) -> str:  # noqa: F811
    settings.PORTAL_BASE_URL = live_server.url
    from mdm import tasks

    # The portal trusts the mock's Apple iPhone Device CA (as it fetches it from the served mock).
    pem = certificate_authority(CertificateAuthority.Purpose.DEVICE).certificate_pem.encode()
    monkeypatch.setattr(portal_identity, "ca_pem_fetch", lambda: pem)
    monkeypatch.setattr(tasks, "devices_push_enqueue", lambda *, device_ids: None)
    cache.clear()
    return str(live_server.url)


@pytest.mark.django_db(transaction=True, databases=["default", "apple"])
def test_enrolls_into_the_portal_and_answers_its_commands(portal: str) -> None:
    organization: Organization = organization_create(devices=6)
    setup = enrollment_setup_create()
    virtual = ipad_assigned(organization, f"{portal}/enroll/{setup.token.pk}/", await_device_configured=True)
    Device.objects.filter(pk=virtual.device_id).update(serial_number=setup.device.serial_number)
    virtual.refresh_from_db()

    outcome = device.setup_unattended(virtual, language="fr", region="FR")

    virtual.refresh_from_db()
    assert outcome.ok, (outcome, list(virtual.exchanges.values_list("request_type", "http_status")))
    assert virtual.enrolled and virtual.pane == "home" and not virtual.awaiting_configuration
    managed = ManagedDevice.objects.get(udid=virtual.udid)
    assert managed.serial_number == setup.device.serial_number
    assert InstalledProfile.objects.get(virtual_device=virtual, is_enrollment=True).signer_certificates
    answered = DeviceCommand.objects.filter(device=managed, status="acknowledged")
    assert answered.exists()

    portal_commands.command_enqueue(
        device=managed,
        request_type="Settings",
        payload={"Settings": [{"Item": "DeviceName", "DeviceName": "iPad du CDI"}]},
    )
    portal_commands.command_enqueue(
        device=managed,
        request_type="DeviceLock",
        payload={"Message": "Rendez-le au CDI", "PhoneNumber": "0102"},
    )
    result = session.check_in_now(virtual)
    virtual.refresh_from_db()
    managed.refresh_from_db()
    assert result.commands >= 2 and result.http_status == 200
    assert virtual.device_name == "iPad du CDI" and managed.device_name == "iPad du CDI"
    assert virtual.locked and virtual.lock_message == "Rendez-le au CDI"


@pytest.mark.django_db(transaction=True, databases=["default", "apple"])
def test_a_shared_ipad_user_channel_reaches_the_portal(portal: str) -> None:
    """A Shared iPad enrolled into the portal: a student's sign-in sends the user channel's
    TokenUpdate, which the portal keeps by the student's Managed Apple Account and lists on the
    device's Users page; the device channel is untouched."""
    organization: Organization = organization_create(devices=6)
    setup = enrollment_setup_create(shared_ipad=True)
    virtual = ipad_assigned(organization, f"{portal}/enroll/{setup.token.pk}/", is_multi_user=True)
    Device.objects.filter(pk=virtual.device_id).update(serial_number=setup.device.serial_number)
    virtual.refresh_from_db()
    assert device.setup_unattended(virtual, language="fr", region="FR").ok
    virtual.refresh_from_db()
    managed = ManagedDevice.objects.get(udid=virtual.udid)
    device_channel = (managed.push_token, managed.push_magic)

    imported(server_of(organization))
    student = Person.objects.filter(organization=organization).order_by("last_name").first()
    assert student is not None
    passwords.person_password_change(person=student, password="Blue-Sky-77")
    shared_ipad.pick_person(virtual, student.pk)
    assert shared_ipad.sign_in(virtual, "Blue-Sky-77", address="192.0.2.10").ok

    managed.refresh_from_db()
    assert list(managed.user_channels) == [student.managed_apple_id]
    channel = managed.user_channels[student.managed_apple_id]
    assert channel["UserID"] == "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"
    assert channel["token"] == user_channel.user_token(virtual, student.managed_apple_id).hex()
    assert channel["push_magic"] == user_channel.user_push_magic(virtual, student.managed_apple_id)
    assert (managed.push_token, managed.push_magic) == device_channel
    assert [user["name"] for user in selectors.shared_ipad_users(managed)] == [student.managed_apple_id]
