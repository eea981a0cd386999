"""Done when: an API account created in the mock Apple School Manager, in Chromium, drives pyaxm."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_apple.models import ApiAccount
from tests.browser.conftest import browser, page, screenshot  # noqa: F401  (the Playwright fixtures)
from tests.mock_apple.conftest import (
    PASSWORD,
    dep_server,  # noqa: F401  (the mock Apple process)
    live,
    organization_create,
    server_with_token,
)
from tests.mock_apple.views.test_axm_pyaxm import business, pyaxm_walkthrough


@pytest.mark.browser
@live
def test_an_api_account_made_in_the_portal_drives_pyaxm(
    dep_server,  # noqa: F811
    page,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    organization = business(organization_create(devices=12))
    server_with_token(organization, devices=2)

    page.goto(f"{dep_server}/asm/")
    page.fill("#id_apple_id", "admin@appleid.contoso.edu")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{dep_server}/asm/devices/")
    page.click(".asm-nav >> text=Preferences")
    page.click("nav.segmented >> text=API")
    assert page.locator("h1").inner_text() == "API"
    page.fill("#id_name", "pyaxm in CI")
    with page.expect_download() as download:
        page.click("text=Create and Download Private Key")
    key_path = tmp_path / "key.pem"
    download.value.save_as(key_path)
    assert "PRIVATE KEY" in key_path.read_text()

    page.goto(f"{dep_server}/asm/preferences/api/")
    row = page.locator("[data-api-accounts] tbody tr").first
    client_id = row.get_attribute("data-client-id") or ""
    key_id = row.get_attribute("data-key-id") or ""
    assert client_id.startswith("BUSINESSAPI.") and "PRIVATE KEY" not in page.content()
    assert ApiAccount.objects.get().client_id == client_id
    screenshot(page, "asm-preferences-api")

    pyaxm_walkthrough(
        dep_server,
        organization,
        client_id=client_id,
        key_id=key_id,
        key_path=key_path,
        monkeypatch=monkeypatch,
    )
    page.goto(f"{dep_server}/asm/assignments/")
    assert "ASSIGN_DEVICES" in page.locator("[data-api-activities]").inner_text()
    screenshot(page, "asm-api-activity")
