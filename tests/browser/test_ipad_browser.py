"""The virtual iPad in Chromium, over htmx: an unmanaged iPad runs every pane, then is erased."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from mock_apple.ipad.links import device_link_key
from mock_apple.ipad.setup_assistant import device_capabilities
from mock_apple.models import Device
from mock_apple.setup_panes import panes_after_activation
from tests.browser.conftest import csp_violations, screenshot
from tests.browser.steps import ipad_continue_through_panes, ipad_pane, ipad_setup_to_activation
from tests.mock_apple.conftest import (
    dep_server,  # noqa: F401  (the mock Apple process)
    live,
    organization_create,
)


@pytest.mark.browser
@live
class VirtualIpadBrowserTests:
    def test_an_unmanaged_ipad_shows_every_pane_then_erases_back_to_hello(self, dep_server, page) -> None:  # noqa: F811
        organization_create(devices=4)
        violations = csp_violations(page)  # the mock's pages live under a policy too
        page.on("dialog", lambda dialog: dialog.accept())
        # The device's own link (the portal's Distribute button): no Apple sign-in needed.
        page.goto(f"{dep_server}/ipad/DMPQ000001/?key={device_link_key('DMPQ000001')}")
        page.click("button.power-on")
        screen = page.locator("#screen")
        # htmx swaps the screen after the click returns: wait for it.
        page.locator("#screen[data-pane=hello]").wait_for()
        ipad_setup_to_activation(page, network="eduroam")
        assert ipad_pane(page) == "not_managed"
        assert "No organisation manages this iPad" in screen.inner_text()
        page.click("button:has-text('Continue')")
        expect(page.locator("#screen")).not_to_have_attribute("data-pane", "not_managed")
        seen = ipad_continue_through_panes(page)
        assert seen == panes_after_activation(
            None,
            language="en",
            capabilities=device_capabilities(Device.objects.get(serial_number="DMPQ000001")),
        )
        assert "SIMSetup" not in seen  # a Wi-Fi iPad
        assert ipad_pane(page) == "home"
        screenshot(page, "ipad-home-unmanaged")

        page.click("button[value=settings]")
        page.click("button[value=general]")
        page.click("button[value=device_management]")
        page.wait_for_selector("#screen >> text=This iPad is not managed.")
        page.click("button[value=general]")
        page.click("button[value=reset]")
        page.click("button:has-text('Erase All Content and Settings')")
        expect(page.locator("#screen")).to_have_attribute("data-pane", "hello")
        assert not violations, violations


@pytest.mark.browser
@live
class VirtualIpadFrameLanguageTests:
    def test_a_french_browser_sees_a_french_frame_from_the_first_screen(self, dep_server, browser) -> None:  # noqa: F811
        """The frame follows the browser's language at once (no Language pane, no reload); the
        screen stays in the device's language until Setup Assistant sets one."""
        organization_create(devices=2)
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="fr-FR")
        try:
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{dep_server}/ipad/DMPQ000001/?key={device_link_key('DMPQ000001')}")
            expect(page.locator("html")).to_have_attribute("lang", "fr")
            expect(page.locator(".desk-bar")).to_contain_text("Appareils virtuels")
            expect(page.locator("button.power-on")).to_contain_text("Allumer")
            expect(page.locator(".desk-restore button")).to_have_text("Restaurer avec Apple Configurator")
            page.click("button.power-on")
            page.locator("#screen[data-pane=hello]").wait_for()
            expect(page.locator(".desk-restore button")).to_have_text("Restaurer avec Apple Configurator")
            screenshot(page, "ipad-frame-fr")
        finally:
            context.close()
