"""Deleting a token in Chromium: the Azure-style danger dialog, then back to the list."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD
from tests.tokens.conftest import make_token
from tokens.models import EnrollmentProgramToken


@pytest.mark.browser
class TokenDeleteBrowserTests:
    def test_the_delete_command_opens_a_danger_dialog(self, live_server, admin_user, page) -> None:
        token = make_token(token_name="Collège Victor Hugo")
        page.goto(f"{live_server.url}/signin/?next=/enrollment/apple/tokens/{token.pk}/")
        page.fill("input[name=username]", admin_user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/enrollment/apple/tokens/{token.pk}/")

        page.click(".commandbar >> text=Delete")
        dialog = page.locator("dialog#delete-token")
        assert dialog.is_visible()
        assert "permanently delete the enrollment program token “Collège Victor Hugo”" in dialog.inner_text()
        screenshot(page, "token-delete-dialog-en")
        dialog.locator("text=Cancel").click()
        assert not dialog.is_visible()

        page.click(".commandbar >> text=Delete")
        dialog.locator(".button-danger").click()
        page.wait_for_url(f"{live_server.url}/enrollment/apple/tokens/")
        page.wait_for_selector("text=No enrollment program tokens")
        assert "Token deleted" in page.locator("#toasts").inner_text()
        assert not EnrollmentProgramToken.objects.exists()
