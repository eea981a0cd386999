"""The Company Portal app (contract §6): sign-in, binding the user, apps, refusal without affinity."""

from __future__ import annotations

import pytest
from django.test import Client

from asm_portal.models import AuditEvent
from devices.models import Device, EnrollmentState
from mdm.company_portal import company_apps
from mdm.models import DeviceAppInstall
from profiles.choices import Affinity, AuthMethod
from tests.devices.conftest import DIRECTORY_PASSWORD, enrollment_setup_create

HOME = "/company-portal/?serial=DMPQ000001"


def _enrolled(**values):
    setup = enrollment_setup_create(**values)
    Device.objects.filter(pk=setup.device.pk).update(
        enrollment_state=EnrollmentState.ENROLLED,
        enrolled_profile=setup.profile,
        device_name="iPad-DMPQ000001",
    )
    return setup


@pytest.fixture
def company_portal_device(db, settings):
    """Enrolled userless with Company Portal authentication: the app binds the user."""
    settings.APPLE_PUBLIC_URL = "http://apple.test"
    return _enrolled(authentication_method=AuthMethod.COMPANY_PORTAL, install_company_portal=True)


def _sign_in(client: Client, upn: str = "OKlein@contoso.onmicrosoft.com", password: str = DIRECTORY_PASSWORD):
    return client.post("/company-portal/signin/", {"serial": "DMPQ000001", "upn": upn, "password": password})


def test_the_sign_in_page_is_framable_by_apple_only(company_portal_device) -> None:
    response = Client().get(HOME)
    assert response.status_code == 200
    assert b'data-state="signin"' in response.content
    assert "frame-ancestors 'self' http://apple.test;" in response["Content-Security-Policy"] + ";"
    assert "X-Frame-Options" not in response


def test_signing_in_binds_the_user_to_the_device(company_portal_device) -> None:
    client = Client()
    response = _sign_in(client)
    assert response.status_code == 302
    assert (
        Device.objects.get(pk=company_portal_device.device.pk).enrolled_user_name
        == "OKlein@contoso.onmicrosoft.com"
    )
    assert (
        AuditEvent.objects.get(action="Company Portal: register device user").actor_name
        == "OKlein@contoso.onmicrosoft.com"
    )
    page = client.get(HOME)
    assert b"Ora Klein" in page.content and b"iPad-DMPQ000001" in page.content
    # Not a portal sign-in: the admin center still wants its own.
    assert client.get("/enrollment/").status_code == 302


def test_another_user_cannot_take_the_device(company_portal_device) -> None:
    _sign_in(Client())
    from mdm.directory import directory_users_seed

    directory_users_seed(password=DIRECTORY_PASSWORD)
    response = _sign_in(Client(), upn="DTodd@contoso.onmicrosoft.com")
    assert response.status_code == 200
    assert b"enrolled to another user" in response.content
    assert (
        Device.objects.get(pk=company_portal_device.device.pk).enrolled_user_name
        == "OKlein@contoso.onmicrosoft.com"
    )


def test_a_wrong_password_is_refused(company_portal_device) -> None:
    response = _sign_in(Client(), password="nope")
    assert b"incorrect" in response.content
    assert Device.objects.get(pk=company_portal_device.device.pk).enrolled_user_name == ""


def test_install_an_app_records_it_on_the_device(company_portal_device) -> None:
    client = Client()
    _sign_in(client)
    apps = client.get(HOME + "&tab=apps")
    assert all(app.name.encode() in apps.content for app in company_apps())
    response = client.post(
        "/company-portal/install/", {"serial": "DMPQ000001", "bundle_id": "com.microsoft.skype.teams"}
    )
    assert response.status_code == 302
    client.post(
        "/company-portal/install/", {"serial": "DMPQ000001", "bundle_id": "com.microsoft.skype.teams"}
    )
    install = DeviceAppInstall.objects.get()
    assert install.installed_by is not None
    assert (install.device_id, install.name, install.installed_by.upn) == (
        company_portal_device.device.pk,
        "Microsoft Teams",
        "OKlein@contoso.onmicrosoft.com",
    )
    page = client.get(response["Location"])
    assert b"is being installed" in page.content


def test_install_needs_a_signed_in_user_and_a_catalogue_app(company_portal_device) -> None:
    Client().post(
        "/company-portal/install/", {"serial": "DMPQ000001", "bundle_id": "com.microsoft.skype.teams"}
    )
    assert not DeviceAppInstall.objects.exists()
    client = Client()
    _sign_in(client)
    response = client.post("/company-portal/install/", {"serial": "DMPQ000001", "bundle_id": "com.evil.app"})
    assert not DeviceAppInstall.objects.exists()
    assert b"catalogue" in client.get(response["Location"]).content


def test_the_session_is_for_one_device(company_portal_device) -> None:
    client = Client()
    _sign_in(client)
    assert b'data-state="signin"' not in client.get(HOME).content
    other = client.get("/company-portal/?serial=DMPQ000002")
    assert b'data-state="refused"' in other.content  # not an enrolled device


@pytest.mark.parametrize(
    "values",
    [{"user_affinity": Affinity.WITHOUT, "authentication_method": ""}, {"shared_ipad": True}],
)
def test_refused_without_user_affinity_with_the_articles_reason(db, values) -> None:
    _enrolled(**values)
    response = Client().get(HOME)
    assert b'data-state="refused"' in response.content
    assert b"without user affinity" in response.content
    assert b"Company Portal app used to install line-of-business apps" in response.content
    assert _sign_in(Client()).status_code == 200
    assert not AuditEvent.objects.exists()


def test_refused_in_french(db) -> None:
    _enrolled(user_affinity=Affinity.WITHOUT, authentication_method="")
    response = Client().get(HOME, headers={"Accept-Language": "fr"})
    assert (
        "l’application Portail d’entreprise utilisée pour l’installation des applications métier"
        in response.content.decode()
    )


def test_app_icons(db) -> None:
    response = Client().get("/company-portal/apps/com.microsoft.Office.Word.svg")
    assert response["Content-Type"] == "image/svg+xml" and b"<svg" in response.content
    assert Client().get("/company-portal/apps/nope.svg").status_code == 404


def test_sign_out(company_portal_device) -> None:
    client = Client()
    _sign_in(client)
    client.post("/company-portal/signout/", {"serial": "DMPQ000001"})
    assert b'data-state="signin"' in client.get(HOME).content
