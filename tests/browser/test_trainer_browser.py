"""Trainer mode in Chromium: the guided tour panel survives navigation and reloads and follows
the real state; the demo clock moves 8 days and the banner says so; a fault drill starts and
clears. The mock Apple service is served over HTTP in its own process."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from asm_portal import clock
from tests.browser.conftest import portal_signin, screenshot
from tests.mock_apple.conftest import dep_server  # noqa: F401
from tests.trainer.conftest import (  # noqa: F401
    apple_token_create,
    control,
    live,
    profile_create,
    served_apple,
    trainer_user,
)


@pytest.mark.browser
@pytest.mark.integration
@live
@pytest.mark.usefixtures("served_apple")
class TrainerBrowserTests:
    def test_tour_clock_and_drill(self, live_server, trainer_user, page, dep_server) -> None:  # noqa: F811
        apple = apple_token_create(dep_server, inventory=20, assigned=5)
        portal = live_server.url
        portal_signin(page, portal, trainer_user.username)

        # The tour: the top-bar button opens the docked panel; step 1 is done (a token exists).
        panel = page.locator("[data-testid=tour-panel]")
        assert panel.is_hidden()
        page.click("[data-testid=tour-toggle]")
        panel.locator("[data-testid=tour-step-token]").wait_for()
        assert panel.locator("[data-testid=tour-check-token]").get_attribute("data-done") == "true"
        assert panel.locator("[data-testid=tour-check-profile]").get_attribute("data-done") == "false"

        # A step's link opens its blade; the panel stays, and marks the step current.
        panel.locator("[data-testid=tour-step-profile] a.tour-step-title").click()
        page.wait_for_url(f"**/tokens/{apple.token.pk}/profiles/")
        page.locator("[data-testid=tour-step-profile].is-current").wait_for()
        assert panel.is_visible()
        page.reload()
        assert page.locator("[data-testid=tour-step-profile].is-current").is_visible()

        # The check turns on from the real state, without a reload (the panel polls).
        profile_create(apple.token, name="iPad 1:1 - CM2")
        page.locator("[data-testid=tour-check-profile][data-done=true]").wait_for(timeout=10_000)
        page.wait_for_timeout(300)
        screenshot(page, "trainer-tour-panel-en")

        # The Trainer blade from the left nav; move the clock 8 days: the banner says so.
        page.click(".leftnav >> text=Trainer mode")
        page.wait_for_url(f"{portal}/trainer/")
        assert page.locator("[data-testid=tour-panel]").is_visible()
        banner = page.locator("#clock-banner")
        assert banner.is_hidden()
        page.click("[data-testid=clock-move-8d]")
        banner.locator("text=Demo clock: the time is moved forward by 8 days.").wait_for()
        assert page.locator("[data-testid=clock-offset]").inner_text() == "Moved forward by 8 days"
        assert int(control(dep_server, "GET", "clock").json()["offset_seconds"]) == 8 * 86_400
        assert clock.offset().days == 8

        # A drill: start « Apple down », see it active, clear it.
        page.click("[data-testid=drill-start-apple_down]")
        page.locator("[data-testid=drill-apple_down][data-active=true]").wait_for()
        assert len(control(dep_server, "GET", "faults").json()["faults"]) == 1
        page.wait_for_timeout(500)  # the toast's fade-in
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, "trainer-blade-en")

        # A sync while Apple is down fails at once (retrying a drill is pointless), and the Sync
        # blade counts down the 15 minutes before the next request (the article's rule).
        page.goto(f"{portal}/enrollment/apple/tokens/{apple.token.pk}/devices/sync/")
        page.click("form.sync-request button[type=submit]")
        page.locator("#sync-panel >> text=The last sync failed").wait_for(timeout=10_000)
        countdown = page.locator("#sync-panel [data-countdown-seconds]")
        started = countdown.inner_text()
        assert started.startswith(("15:", "14:")), started
        expect(countdown).not_to_have_text(started, timeout=3_000)  # it ticks
        assert page.locator("form.sync-request button[type=submit]").is_disabled()
        screenshot(page, "sync-countdown-en")

        # Clearing the drill says how to go on; +15 minutes on the demo clock opens Sync again.
        page.goto(f"{portal}/trainer/")
        page.click("[data-testid=drill-clear-apple_down]")
        page.locator("[data-testid=drill-apple_down][data-active=false]").wait_for()
        assert control(dep_server, "GET", "faults").json()["faults"] == []
        page.locator(".toast >> text=move the demo clock forward by 15 minutes").wait_for()
        with page.expect_response(lambda response: "/clock/move/" in response.url):
            page.click("[data-testid=clock-move-15m]")
        page.goto(f"{portal}/enrollment/apple/tokens/{apple.token.pk}/devices/sync/")
        assert page.locator("form.sync-request button[type=submit]").is_enabled()

        # The banner follows every page; its reset puts both clocks back.
        page.click(".leftnav >> text=Device enrollment")
        page.wait_for_url(f"{portal}/enrollment/")
        assert banner.is_visible()
        page.click("[data-testid=clock-banner-reset]")
        page.wait_for_url(f"{portal}/trainer/")
        banner.wait_for(state="hidden")
        assert int(control(dep_server, "GET", "clock").json()["offset_seconds"]) == 0

        # In French, the panel speaks the article's words.
        page.select_option("#topbar-language", "fr")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        panel.locator("text=Étape 2. Créer un profil d’inscription Apple").wait_for()
        assert "Visite guidée" in panel.inner_text()
        page.goto(f"{portal}/enrollment/apple/tokens/{apple.token.pk}/devices/sync/")
        page.wait_for_timeout(300)
        screenshot(page, "trainer-tour-panel-fr")
