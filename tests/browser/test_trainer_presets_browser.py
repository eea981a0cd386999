"""A trainer resets the tenant to "Token ready" from the presets table and sees the token."""

from __future__ import annotations

import time

import pytest

from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD
from tests.mock_apple.conftest import dep_server, live, organization_create  # noqa: F401
from tests.trainer.conftest import trainer_user  # noqa: F401
from tokens.models import EnrollmentProgramToken


@pytest.mark.browser
@pytest.mark.integration
@live
def test_a_trainer_resets_to_token_ready(live_server, dep_server, trainer_user, page, settings) -> None:  # noqa: F811
    settings.APPLE_BASE_URL = settings.APPLE_PUBLIC_URL = dep_server
    organization_create(devices=0)
    portal = live_server.url

    page.goto(f"{portal}/signin/")
    page.fill("input[name=username]", trainer_user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{portal}/")

    page.goto(f"{portal}/trainer/presets/")
    row = page.locator("tr[data-preset=token-ready]")
    row.locator("text=Reset to this preset").click()
    page.wait_for_selector("#pane >> text=This action will permanently delete")
    screenshot(page, "trainer-preset-confirm")
    started = time.monotonic()
    page.click("#pane button:has-text('Reset')")
    toast = page.wait_for_selector(".toast >> text=Tenant reset to “Token ready”", timeout=20_000)
    elapsed = time.monotonic() - started
    assert "40 devices" in toast.inner_text()
    assert elapsed < 10
    screenshot(page, "trainer-preset-done")

    page.goto(f"{portal}/enrollment/apple/tokens/")
    page.wait_for_selector("text=Contoso Intune")
    assert EnrollmentProgramToken.objects.get().token_name == "Contoso Intune"
    screenshot(page, "trainer-preset-token")
