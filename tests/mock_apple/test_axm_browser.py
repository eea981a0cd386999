"""Done when: an API account created in the mock Apple School Manager, in Chromium, drives pyaxm.

Chromium runs in a thread of its own (its own Playwright event loop), so that this test and the
session-wide browser of tests/browser/ never share a loop, in whatever order they run."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mock_apple.models import ApiAccount
from tests.browser.conftest import CHROMIUM, screenshot
from tests.mock_apple.conftest import (
    PASSWORD,
    dep_server,  # noqa: F401  (the mock Apple process)
    live,
    organization_create,
    server_with_token,
)
from tests.mock_apple.views.test_axm_pyaxm import business, pyaxm_walkthrough


def in_chromium(base_url: str, steps: Callable[[Any], Any]) -> Any:
    """Sign in to the mock ASM as its administrator, then run `steps(page)`; returns its result."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
                )
                try:
                    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
                    page = context.new_page()
                    page.set_default_timeout(15_000)
                    page.goto(f"{base_url}/asm/")
                    page.fill("#id_apple_id", "admin@appleid.contoso.edu")
                    page.fill("#id_password", PASSWORD)
                    page.click("button[type=submit]")
                    page.wait_for_url(f"{base_url}/asm/devices/")
                    outcome["result"] = steps(page)
                finally:
                    browser.close()
        except BaseException as error:  # noqa: BLE001  (re-raised in the test's thread)
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=120)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")


@pytest.mark.browser
@live
def test_an_api_account_made_in_the_portal_drives_pyaxm(
    dep_server,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    organization = business(organization_create(devices=12))
    server_with_token(organization, devices=2)
    key_path = tmp_path / "key.pem"

    def create_account(page: Any) -> tuple[str, str, str]:
        page.click(".asm-nav >> text=Preferences")
        page.click("nav.segmented >> text=API")
        assert page.locator("h1").inner_text() == "API"
        page.fill("#id_name", "pyaxm in CI")
        with page.expect_download() as download:
            page.click("text=Create and Download Private Key")
        download.value.save_as(key_path)
        page.goto(f"{dep_server}/asm/preferences/api/")
        row = page.locator("[data-api-accounts] tbody tr").first
        screenshot(page, "asm-preferences-api")
        return (
            row.get_attribute("data-client-id") or "",
            row.get_attribute("data-key-id") or "",
            page.content(),
        )

    client_id, key_id, html = in_chromium(dep_server, create_account)
    assert "PRIVATE KEY" in key_path.read_text() and "PRIVATE KEY" not in html
    assert client_id.startswith("BUSINESSAPI.") and ApiAccount.objects.get().client_id == client_id
    # The creation is in the organisation's activity log, on the same page.
    assert f'data-action="API_ACCOUNT_CREATED" data-client-id="{client_id}"' in html

    pyaxm_walkthrough(
        dep_server,
        organization,
        client_id=client_id,
        key_id=key_id,
        key_path=key_path,
        monkeypatch=monkeypatch,
    )

    def activity_list(page: Any) -> str:
        page.click(".asm-nav >> text=Device Assignments")
        screenshot(page, "asm-api-activity")
        return str(page.locator("[data-api-activities]").inner_text())

    assert "ASSIGN_DEVICES" in in_chromium(dep_server, activity_list)
