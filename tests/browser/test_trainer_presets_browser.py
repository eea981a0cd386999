"""A trainer resets the tenant to "Token ready" from the presets table and sees the token."""

from __future__ import annotations

import pytest

from tests.browser.conftest import portal_signin, screenshot
from tests.browser.steps import preset_reset
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

    portal_signin(page, portal, trainer_user.username)
    page.goto(f"{portal}/trainer/presets/")

    def confirm() -> None:
        page.wait_for_selector("#pane >> text=This action will permanently delete")
        screenshot(page, "trainer-preset-confirm")

    toast, elapsed = preset_reset(page, "token-ready", on_confirm=confirm)
    assert "Tenant reset to “Token ready”" in toast
    assert "40 devices" in toast
    assert elapsed < 10
    screenshot(page, "trainer-preset-done")

    page.goto(f"{portal}/enrollment/apple/tokens/")
    page.wait_for_selector("text=Contoso Intune")
    assert EnrollmentProgramToken.objects.get().token_name == "Contoso Intune"
    screenshot(page, "trainer-preset-token")
