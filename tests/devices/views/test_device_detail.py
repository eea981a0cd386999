"""The grid's Distribute link and the device blade."""

from __future__ import annotations

from devices.models import Device, EnrollmentState
from mock_apple.ipad.links import device_link_key
from tests.devices.conftest import enrollment_setup_create


def apple_link(serial: str) -> str:
    """The device's own link as Apple's side checks it (its function, not the portal's twin)."""
    return f"http://apple.test/ipad/{serial}/?key={device_link_key(serial)}"


def test_the_grid_links_each_device_to_its_virtual_ipad(admin_client, db, settings) -> None:
    settings.APPLE_PUBLIC_URL = "http://apple.test"
    setup = enrollment_setup_create()
    Device.objects.filter(pk=setup.device.pk).update(
        enrollment_state=EnrollmentState.ENROLLED,
        device_name="iPad-DMPQ000001",
        enrolled_user_name="OKlein@contoso.onmicrosoft.com",
    )
    page = admin_client.get(f"/enrollment/apple/tokens/{setup.token.pk}/devices/").content.decode()
    assert f'href="{apple_link("DMPQ000001")}" target="_blank" rel="noopener"' in page
    assert "iPad-DMPQ000001" in page and "OKlein@contoso.onmicrosoft.com" in page
    assert f"/enrollment/apple/devices/{setup.device.pk}/" in page


def test_the_device_blade_says_why_enrollment_failed(operator_client, db, settings) -> None:
    settings.APPLE_PUBLIC_URL = "http://apple.test"
    setup = enrollment_setup_create()
    Device.objects.filter(pk=setup.device.pk).update(
        enrollment_state=EnrollmentState.FAILED, enrollment_error="NO_PROFILE"
    )
    page = operator_client.get(f"/enrollment/apple/devices/{setup.device.pk}/").content.decode()
    assert "Enrollment failed" in page and "no enrollment profile" in page
    assert apple_link("DMPQ000001") in page


def test_the_device_blade_shows_reset_required_and_the_user(admin_client, db) -> None:
    setup = enrollment_setup_create()
    Device.objects.filter(pk=setup.device.pk).update(
        enrollment_state=EnrollmentState.PENDING_RESET,
        enrolled_user_name=setup.user.upn,
        configuration=["restrictions"],
    )
    page = admin_client.get(f"/enrollment/apple/devices/{setup.device.pk}/").content.decode()
    assert "Reset required" in page and "Ora Klein" in page and "Device restrictions" in page


def test_the_device_blade_needs_a_portal_sign_in(client, db) -> None:
    setup = enrollment_setup_create()
    assert client.get(f"/enrollment/apple/devices/{setup.device.pk}/").status_code == 302
