"""App registrations in a browser: register, consent, add a secret (its value shown once), and
the secret works at the token endpoint."""

from __future__ import annotations

import jwt
import pytest
import requests

from graph.models import AppRegistration
from tests.browser.conftest import portal_signin, screenshot


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_administrator_registers_an_app_whose_secret_gets_a_token(live_server, admin_user, page) -> None:
    from playwright.sync_api import expect

    portal = str(live_server.url)
    portal_signin(page, portal, admin_user.username)
    page.goto(f"{portal}/tenant-admin/")
    page.get_by_role("link", name="App registrations").click()
    page.get_by_role("link", name="New registration").click()
    page.get_by_label("Name").fill("Enrollment scripts")
    page.get_by_label("DeviceManagementServiceConfig.ReadWrite.All", exact=False).check()
    page.get_by_label("DeviceManagementManagedDevices.PrivilegedOperations.All", exact=False).check()
    page.get_by_role("button", name="Register").click()
    expect(page.locator("#client-id")).to_be_visible()
    expect(page.locator("#journey .grid").first).to_contain_text(
        "DeviceManagementManagedDevices.PrivilegedOperations.All"
    )
    page.get_by_role("button", name="Grant admin consent for Contoso").click()
    expect(page.locator("body")).to_contain_text("Granted for Contoso")
    page.get_by_label("Description").fill("CI")
    page.get_by_role("button", name="Add", exact=True).click()
    value = page.locator("#secret-value")
    expect(value).to_be_visible()
    screenshot(page, "graph-app-registration")
    secret = value.inner_text().strip()
    client_id = page.locator("#client-id").inner_text().strip()
    app = AppRegistration.objects.get()
    assert str(app.client_id) == client_id
    tenant = app.tenant.tenant_id
    answer = requests.post(
        f"{portal}/{tenant}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "https://graph.microsoft.com/.default",
        },
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    claims = jwt.decode(answer.json()["access_token"], options={"verify_signature": False})
    assert claims["roles"] == [
        "DeviceManagementServiceConfig.ReadWrite.All",
        "DeviceManagementManagedDevices.PrivilegedOperations.All",
    ]
    # Shown once: a reload shows the hint only.
    page.reload()
    expect(page.locator("body")).to_contain_text(f"{secret[:3]}***")
    expect(page.locator("#secret-value")).to_have_count(0)
