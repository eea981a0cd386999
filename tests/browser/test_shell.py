from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import csp_violations, screenshot
from tests.conftest import ARTIFACTS, PASSWORD


@pytest.mark.browser
class ShellBrowserTests:
    def test_sign_in_switch_to_french_and_open_apple_enrollment(self, live_server, admin_user, page) -> None:
        refused = csp_violations(page)
        page.goto(f"{live_server.url}/")
        assert "/signin/" in page.url
        page.fill("input[name=username]", admin_user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        assert page.locator(".topbar-product").inner_text() == "Microsoft Intune admin center"

        page.select_option("#topbar-language", "fr")
        # The select submits a form: wait for the French page rather than for a load event
        # that may already have fired.
        expect(page.locator("html")).to_have_attribute("lang", "fr")

        # htmx navigation: the shell stays, the journey changes and the URL follows.
        page.click(".leftnav >> text=Inscription de l’appareil")
        page.wait_for_url(f"{live_server.url}/enrollment/")
        page.click("#journey >> text=Inscription Apple")
        page.wait_for_url(f"{live_server.url}/enrollment/apple/")
        assert page.locator(".blade-title").inner_text() == "Inscription Apple | Vue d’ensemble"
        menu = page.locator(".blade-menu").inner_text()
        for label in (
            "Certificat Push MDM Apple",
            "Jetons du programme d’inscription",
            "Profils de programme d’inscription",
            "Appareils du programme d’inscription",
        ):
            assert label in menu
        page.click(".blade-menu >> text=Jetons du programme d’inscription")
        page.wait_for_url(f"{live_server.url}/enrollment/apple/tokens/")
        assert "Aucun jeton du programme d’inscription" in page.locator("#journey").inner_text()
        assert page.title().startswith("Jetons du programme d’inscription")

        screenshot(page, "shell-apple-enrollment-fr")
        assert (ARTIFACTS / "shell-apple-enrollment-fr.png").stat().st_size > 10_000
        assert not refused, refused
