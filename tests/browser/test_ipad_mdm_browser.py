"""Issue 23's test, in French: a virtual iPad enrolls into the portal by Automated Device
Enrollment through Apple's MDM protocol (Setup Assistant with modern authentication: the web
view signs in at the portal; the profile, the SCEP identity, Authenticate, TokenUpdate;
« En attente de la configuration finale » until DeviceConfigured; then the Company Portal and the
home screen). The administrator renames it, locks it, puts it in Lost Mode with a message, then
wipes it from the portal's device blade: the iPad shows each, erases, returns to Setup Assistant
and enrolls again; the portal shows each action done. Screenshots in test-artifacts/."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from playwright.sync_api import Page, expect

from asm_portal import clock
from devices.models import Device as PortalDevice
from mdm.models import DeviceAction, DeviceActionState, DirectoryUser, ManagedDevice
from mock_apple.ipad.links import device_link_key
from tests.browser.conftest import portal_signin, screenshot
from tests.browser.steps import ipad_pane, ipad_wait_pane_change
from tests.mock_apple.conftest import dep_server, organization_create  # noqa: F401
from tests.trainer.conftest import served_apple, trainer_user  # noqa: F401
from trainer.scenario_reset import scenario_reset

PASSWORD = "Eleve-Pass-2026!"
UPN = "OKlein@contoso.onmicrosoft.com"


@pytest.fixture
def world(settings, served_apple, live_server, monkeypatch, request, trainer_user) -> dict[str, Any]:  # noqa: F811
    """The portal and the served mock Apple service know each other (pushes go to the mock's
    APNs); « iPad des élèves 1:1 » (modern authentication, supervised, locked) assigned to a few
    iPads; a worker sends the pushes."""
    settings.APPLE_PUBLIC_URL = served_apple
    settings.PORTAL_BASE_URL = live_server.url
    settings.APNS_BASE_URL = served_apple
    for name, value in (("PORTAL_BASE_URL", live_server.url), ("APNS_BASE_URL", served_apple)):
        monkeypatch.setenv(name, value)
    organization_create(devices=0)
    request.getfixturevalue("celery_worker")
    scenario_reset(actor=trainer_user, preset_key="student-ipads", scale=0.1)
    DirectoryUser.objects.update_or_create(
        upn=UPN,
        defaults={
            "display_name": "Ora Klein",
            "password": make_password(PASSWORD),
            "created_at": clock.now(),
        },
    )
    device = PortalDevice.objects.filter(assigned_profile__isnull=False).order_by("serial_number").first()
    assert device is not None
    return {"portal": live_server.url, "apple": served_apple, "serial": device.serial_number}


def _check_in(ipad: Page, done: Any, seconds: float = 10) -> None:
    """Wait for the push to wake the iPad; the desk's « Contacter le MDM maintenant » if the
    push has not come in time (the worker may still be starting)."""
    try:
        done(timeout=seconds * 1000)
    except AssertionError:
        ipad.click(".desk-checkin button")
        done(timeout=30_000)


def _enroll(ipad: Page, *, again: bool = False) -> None:
    """Setup Assistant in French up to the home screen, signing in in the web view."""
    ipad.locator("#screen[data-pane=hello]").wait_for(timeout=60_000)
    ipad.click(".hello-continue")
    ipad.click("button[value=fr]")
    ipad.click("button[value=FR]")
    ipad.click("#screen button[name=network]")
    ipad_wait_pane_change(ipad, "wifi", timeout=30_000)
    assert ipad_pane(ipad) == "remote_management"
    expect(ipad.locator("#screen")).to_contain_text("Gestion à distance")
    if not again:
        screenshot(ipad, "ipad-mdm-fr-remote-management")
    ipad.click("#screen .setup-actions .ios-button")
    expect(ipad.locator("#screen")).to_have_attribute("data-pane", "web_view")
    web = ipad.frame_locator("iframe.web-view")
    web.locator("input[name=upn]").fill(UPN)
    web.locator("input[name=password]").fill(PASSWORD)
    expect(web.locator("h1")).to_have_text("Se connecter")
    if not again:
        screenshot(ipad, "ipad-mdm-fr-web-view-sign-in")
    web.locator("button[type=submit]").click()
    # The profile, SCEP, Authenticate, TokenUpdate: then awaiting DeviceConfigured (or past it).
    ipad_wait_pane_change(ipad, "web_view", timeout=60_000)
    if ipad_pane(ipad) == "configuring":
        expect(ipad.locator("#screen")).to_contain_text("En attente de la configuration finale")
        if not again:
            screenshot(ipad, "ipad-mdm-fr-awaiting-configuration")
        ipad_wait_pane_change(ipad, "configuring", timeout=60_000)
    while ipad_pane(ipad).startswith("pane:"):
        current = ipad_pane(ipad)
        ipad.click("#screen .setup-actions .ios-button")
        ipad_wait_pane_change(ipad, current)
    assert ipad_pane(ipad) == "home"
    # The Company Portal, installed after DeviceConfigured (InstallApplication).
    _check_in(
        ipad, lambda timeout: expect(ipad.locator("[data-app=company-portal]")).to_be_visible(timeout=timeout)
    )


def _act(page: Page, kind: str) -> None:
    page.click(f"#journey .commandbar [data-open-dialog=action-{kind}]")
    expect(page.locator(f"dialog#action-{kind}")).to_be_visible()


def _done(page: Page, kind: str) -> None:
    """The device blade, loaded again (a whole page: no swap still under way afterwards), shows
    the action done."""
    row = page.locator(f'#device-status tr[data-action="{kind}"]')
    for _ in range(30):
        page.reload()
        if row.get_attribute("data-state") == "done":
            break
        page.wait_for_timeout(1000)
    expect(row).to_have_attribute("data-state", "done")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, databases=["default", "apple"])
def test_a_virtual_ipad_enrolls_by_ade_then_is_renamed_locked_and_wiped_in_french(
    world: dict[str, Any],
    browser: Any,
    trainer_user: Any,  # noqa: F811
) -> None:
    serial = world["serial"]
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="fr-FR")
    context.set_default_timeout(20_000)
    # The administrator in a window of their own: a second tab of the iPad's window would put
    # the iPad's page in the background, where Chromium stops rendering it (a tap in its web
    # view then never submits the form).
    admin_context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="fr-FR")
    admin_context.set_default_timeout(20_000)
    try:
        ipad = context.new_page()
        ipad.goto(f"{world['apple']}/ipad/{serial}/?key={device_link_key(serial)}")
        expect(ipad.locator(".desk-checkin button")).to_have_text("Contacter le MDM maintenant")
        ipad.click("button.power-on")
        _enroll(ipad)
        screenshot(ipad, "ipad-mdm-fr-home")
        managed = ManagedDevice.objects.get(serial_number=serial)
        assert managed.user_principal_name == UPN and managed.identity_sha256
        assert not managed.awaiting_configuration

        admin = admin_context.new_page()
        portal_signin(admin, world["portal"], trainer_user.username)
        admin.select_option("#topbar-language", "fr")
        expect(admin.locator("html")).to_have_attribute("lang", "fr")
        admin.goto(f"{world['portal']}/devices/{managed.pk}/")

        # Renommer l'appareil: the iPad shows the new name.
        _act(admin, "rename")
        admin.fill("dialog#action-rename input[name=device_name]", "CDI-IPAD-07")
        admin.click("dialog#action-rename button[type=submit]")
        _check_in(
            ipad,
            lambda timeout: expect(ipad.locator("#screen")).to_have_attribute(
                "data-device-name", "CDI-IPAD-07", timeout=timeout
            ),
        )
        expect(ipad.locator(".home-name")).to_have_text("CDI-IPAD-07")
        _done(admin, "rename")
        screenshot(admin, "ipad-mdm-fr-portal-renamed")

        # Verrouillage à distance: the lock screen.
        _act(admin, "remote_lock")
        admin.click("dialog#action-remote_lock button[type=submit]")
        _check_in(
            ipad,
            lambda timeout: expect(ipad.locator("#screen")).to_have_attribute(
                "data-screen", "lock", timeout=timeout
            ),
        )
        screenshot(ipad, "ipad-mdm-fr-locked")
        _done(admin, "remote_lock")

        # Mode Perdu: the lock screen with the organisation's message and number.
        _act(admin, "lost_mode_enable")
        admin.fill("dialog#action-lost_mode_enable textarea[name=message]", "Cet iPad appartient au CDI.")
        admin.fill("dialog#action-lost_mode_enable input[name=phone_number]", "+33 1 23 45 67 89")
        admin.click("dialog#action-lost_mode_enable button[type=submit]")
        _check_in(
            ipad,
            lambda timeout: expect(ipad.locator("#screen")).to_have_attribute(
                "data-screen", "lost-mode", timeout=timeout
            ),
        )
        expect(ipad.locator(".lock-message")).to_have_text("Cet iPad appartient au CDI.")
        expect(ipad.locator(".lock-phone")).to_contain_text("+33 1 23 45 67 89")
        screenshot(ipad, "ipad-mdm-fr-lost-mode")
        _done(admin, "lost_mode_enable")

        # Réinitialiser: the iPad erases, returns to Setup Assistant and enrolls again.
        _act(admin, "wipe")
        admin.locator("dialog#action-wipe button[type=submit]").click()
        _check_in(
            ipad,
            lambda timeout: expect(ipad.locator("#screen")).to_have_attribute(
                "data-screen", "erasing", timeout=timeout
            ),
        )
        screenshot(ipad, "ipad-mdm-fr-erasing")
        _done(admin, "wipe")
        screenshot(admin, "ipad-mdm-fr-portal-actions-done")
        _enroll(ipad, again=True)
        screenshot(ipad, "ipad-mdm-fr-enrolled-again")
        again = ManagedDevice.objects.get(serial_number=serial)
        assert again.management_state == "managed" and again.identity_sha256 != managed.identity_sha256
        kinds = dict(DeviceAction.objects.filter(device=again).values_list("kind", "state"))
        assert {kinds.get(k) for k in ("rename", "remote_lock", "lost_mode_enable", "wipe")} == {
            DeviceActionState.DONE
        }
    finally:
        context.close()
        admin_context.close()
