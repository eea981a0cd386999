"""Issue 9's "done when": a trainer's whole demo in Chromium, driven only through the UI.

Reset to « Empty tenant » from the Trainer blade, then follow the guided tour through the article's
six steps, each from the blade its link opens, to an enrolled virtual iPad, every check turning on
after its step; move the demo clock 8 days and see a full sync allowed again; reset to « Token
ready » in under 10 seconds. The portal is Django's live server, the mock Apple service runs in its
own process over HTTP, and a real Celery worker assigns profiles and configures the device.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from devices.models import Device, EnrollmentState
from mock_apple.ipad.links import device_link_key
from tests.browser.conftest import portal_signin, screenshot
from tests.browser.steps import (
    apple_signin,
    asm_server_token,
    ipad_continue_through_panes,
    ipad_pane,
    ipad_setup_to_activation,
    ipad_wait_pane_change,
    portal_token_upload,
    preset_reset,
    profile_wizard_create,
)
from tests.browser.test_sds import settled
from tests.mock_apple.conftest import dep_server, live, organization_create  # noqa: F401
from tests.trainer.conftest import served_apple, trainer_user  # noqa: F401
from tokens.models import EnrollmentProgramToken

SERVER = "Lycée Jean Moulin - Intune"
PROFILE = "iPad 1:1 - CM2"
CHECKS = ("public_key", "token", "profile", "sds", "sync", "assigned", "enrolled")


@pytest.fixture
def demo(settings, served_apple, live_server, monkeypatch, request) -> str:  # noqa: F811
    """Apple's organisation (the preset rebuilds its inventory), the portal where devices enroll,
    and a worker started once both are known: it defines profiles on Apple with PORTAL_BASE_URL."""
    settings.APPLE_PUBLIC_URL = served_apple
    settings.PORTAL_BASE_URL = live_server.url
    monkeypatch.setenv("PORTAL_BASE_URL", live_server.url)
    organization_create(devices=0)
    request.getfixturevalue("celery_worker")
    return str(live_server.url)


def checks_done(panel) -> dict[str, bool]:
    return {
        key: panel.locator(f"[data-testid=tour-check-{key}]").get_attribute("data-done") == "true"
        for key in CHECKS
    }


def wait_checks(panel, *done: str) -> None:
    """The panel polls its steps every 3 s: checks turn on without a reload. Exactly `done` are on."""
    for key in done:
        panel.locator(f"[data-testid=tour-check-{key}][data-done=true]").wait_for(timeout=15_000)
    assert checks_done(panel) == {check: check in done for check in CHECKS}


def open_step(page, panel, key: str) -> None:
    panel.locator(f"[data-testid=tour-step-{key}] a.tour-step-title").click()
    page.locator(f"[data-testid=tour-step-{key}].is-current").wait_for()


@pytest.mark.browser
@pytest.mark.integration
@live
class TrainerDemoBrowserTests:
    def test_the_whole_demo_from_an_empty_tenant_to_an_enrolled_ipad(
        self,
        demo,
        dep_server,  # noqa: F811
        trainer_user,  # noqa: F811
        page,
    ) -> None:
        portal = demo
        portal_signin(page, portal, trainer_user.username)

        # 1. « Empty tenant » from the presets section of the Trainer blade.
        page.click(".leftnav >> text=Trainer mode")
        page.wait_for_url(f"{portal}/trainer/")
        toast, _elapsed = preset_reset(page, "empty-tenant")
        assert "Empty tenant" in toast
        assert not EnrollmentProgramToken.objects.exists()

        # 2. The tour: nothing is done yet.
        page.click("[data-testid=tour-toggle]")
        panel = page.locator("[data-testid=tour-panel]")
        panel.locator("[data-testid=tour-step-token]").wait_for()
        assert checks_done(panel) == dict.fromkeys(CHECKS, False)

        # Step 1: the public key, the MDM server and its token in Apple School Manager, devices
        # assigned to it, then the .p7m and the Apple ID back in the portal.
        open_step(page, panel, "token")
        page.wait_for_url(f"{portal}/enrollment/apple/tokens/add/")
        page.check("input[data-consent]")
        with page.expect_download() as public_key:
            page.click("button[data-needs-consent]")
        assert public_key.value.suggested_filename.endswith(".pem")
        wait_checks(panel, "public_key")
        with page.context.expect_page() as opened:
            page.click(f"a[href='{dep_server}/asm/']")
        asm = opened.value
        asm.wait_for_load_state()
        apple_signin(asm)
        asm.wait_for_url(f"{dep_server}/asm/**")
        asm.click(".asm-nav a[href$='/asm/devices/']")
        serials = asm.locator("table td.mono a").all_inner_texts()[:3]
        assert len(serials) == 3, serials
        server_token = asm_server_token(
            asm, server=SERVER, public_key=public_key.value.path(), serials=serials
        )
        portal_token_upload(page, server_token=server_token)
        page.wait_for_selector(f".blade-title:has-text('{SERVER} | Overview')")
        token = EnrollmentProgramToken.objects.get()
        # Intune syncs a newly uploaded token by itself: step 4's check is on already.
        wait_checks(panel, "public_key", "token", "sync")
        screenshot(page, "trainer-demo-step1")

        # Step 2: an enrollment profile on the token (1:1, no user affinity: nobody signs in).
        open_step(page, panel, "profile")
        page.wait_for_url(f"**/tokens/{token.pk}/profiles/")
        profile_wizard_create(page, name=PROFILE)
        wait_checks(panel, "public_key", "token", "sync", "profile")

        # Step 3: allow School Data Sync on the token.
        open_step(page, panel, "sds")
        page.wait_for_url(f"**/tokens/{token.pk}/school-data-sync/")
        page.click(".segmented label:has(input[name=sharing][value=allow])")
        page.click("#journey form button[type=submit].button-primary")
        page.wait_for_url(f"{portal}/enrollment/apple/tokens/{token.pk}/")
        wait_checks(panel, "public_key", "token", "sync", "profile", "sds")

        # Step 4: sync the token's devices (the worker asks Apple).
        open_step(page, panel, "sync")
        page.wait_for_url(f"**/tokens/{token.pk}/devices/sync/")
        runs = page.locator("#sync-panel table.grid tbody tr")
        assert runs.count() == 1  # the upload's own sync
        page.click("#sync-panel .sync-request button[type=submit]")
        runs.nth(1).wait_for()
        runs.first.locator(".status-success").wait_for(timeout=30_000)
        page.locator("#sync-panel >> text=The last sync succeeded").wait_for()
        assert "New serial numbers only" in page.locator("#sync-panel .essentials").inner_text()

        # Step 5: assign the profile to one device, from the token's devices grid.
        open_step(page, panel, "assign")
        page.wait_for_url(f"**/tokens/{token.pk}/devices/")
        row = page.locator("#grid tbody tr").first
        serial = row.locator("td.mono-serial a").first.inner_text().strip()
        row.locator("input[type=checkbox]").check()
        page.click("button[data-requires-selection]")
        page.locator("#pane input[name=profile]:checked").wait_for()
        page.click("#pane .pane-footer button[type=submit]")
        page.wait_for_url("**/enrollment/apple/assignments/*/")
        page.locator("text=The profile was assigned to 1 device.").wait_for(timeout=30_000)
        wait_checks(panel, *CHECKS[:-1])

        # Step 6: distribute: the device's blade, Distribute opens the virtual iPad in a new tab.
        open_step(page, panel, "distribute")
        page.wait_for_url(f"**/tokens/{token.pk}/devices/")
        page.click(f"#grid >> text={serial}")
        device_pk = Device.objects.get(serial_number=serial).pk
        page.wait_for_url(f"**/devices/{device_pk}/")
        with page.context.expect_page() as opened:
            page.click(".commandbar a[target=_blank]")
        ipad = opened.value
        ipad.wait_for_url(f"{dep_server}/ipad/{serial}/?key={device_link_key(serial)}")
        ipad.click("button.power-on")
        ipad_setup_to_activation(ipad)
        assert ipad_pane(ipad) == "remote_management"
        assert "will automatically configure your iPad" in ipad.locator("#screen").inner_text()
        screenshot(ipad, "trainer-demo-remote-management")
        ipad.click("#screen .setup-actions .ios-button")
        ipad_wait_pane_change(ipad, "remote_management", timeout=30_000)
        # « Awaiting final configuration » at Remote Management, as iOS does, until DeviceConfigured.
        if ipad_pane(ipad) == "configuring":
            ipad_wait_pane_change(ipad, "configuring", timeout=60_000)
        assert ipad_continue_through_panes(ipad)
        assert ipad_pane(ipad) == "home"
        screenshot(ipad, "trainer-demo-ipad-home")
        assert Device.objects.get(serial_number=serial).enrollment_state == EnrollmentState.ENROLLED

        # Back on the device's blade, Refresh: Enrolled, with the profile it enrolled with.
        page.bring_to_front()
        page.click(".commandbar a:not([target])")
        page.locator(".essentials >> text=Enrolled with profile").wait_for()
        # A locator assertion, not wait_for_function: the portal's CSP forbids evaluating strings.
        expect(page.locator(".essentials")).not_to_contain_text("Not contacted")
        essentials = page.locator(".essentials").inner_text()
        assert re.search(r"State\s+Enrolled", essentials) and PROFILE in essentials, essentials
        wait_checks(panel, *CHECKS)
        assert all(step.get_attribute("data-done") == "true" for step in panel.locator(".tour-step").all())
        page.set_viewport_size({"width": 1400, "height": 1300})  # the whole panel, step 6 too
        page.evaluate("document.getElementById('toasts').replaceChildren()")  # the panel, uncovered
        page.wait_for_timeout(300)
        screenshot(page, "trainer-demo-tour-done-en")
        page.select_option("#topbar-language", "fr")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        panel.locator("text=Étape 6").wait_for()
        assert f"/devices/{device_pk}/" in page.url  # the blade the trainer was on, in French
        assert checks_done(panel) == dict.fromkeys(CHECKS, True)
        page.wait_for_timeout(300)
        screenshot(page, "trainer-demo-tour-done-fr")
        page.select_option("#topbar-language", "en")
        expect(page.locator("html")).to_have_attribute("lang", "en")

        # 3. The demo clock: 8 days later, the next requested sync is a full one again.
        page.click(".leftnav >> text=Trainer mode")
        page.wait_for_url(f"{portal}/trainer/")
        page.locator("[data-testid=trainer-blade]").wait_for()
        settled(page)
        page.click("[data-testid=clock-move-8d]")
        page.locator("#clock-banner >> text=moved forward by 8 days").wait_for()
        effects = page.locator("[data-testid=clock-effects] tbody tr").inner_text()
        assert SERVER in effects and "Full sync" in effects and "Now" in effects, effects
        page.goto(f"{portal}/enrollment/apple/tokens/{token.pk}/devices/sync/")
        essentials = page.locator("#sync-panel .essentials").inner_text()
        assert re.search(r"Next request\s+Full sync", essentials), essentials
        assert page.locator("#sync-panel .sync-request button[type=submit]").is_enabled()
        screenshot(page, "trainer-demo-full-sync-again")

        # 4. « Token ready » in under 10 seconds, measured from the click to the toast.
        page.click(".leftnav >> text=Trainer mode")
        page.wait_for_url(f"{portal}/trainer/")
        page.locator("[data-testid=trainer-blade]").wait_for()
        settled(page)
        toast, elapsed = preset_reset(page, "token-ready")
        assert "Token ready" in toast
        assert elapsed < 10, f"the reset took {elapsed:.1f} s"
        assert EnrollmentProgramToken.objects.get().token_name == "Contoso Intune"
        page.goto(f"{portal}/enrollment/apple/tokens/")
        page.wait_for_selector("#grid >> text=Contoso Intune")
