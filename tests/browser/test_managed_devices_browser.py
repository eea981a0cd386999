"""Issue 22's blades in Chromium: an administrator renames, locks and wipes an enrolled iPad from
its device blade and sees each action go pending → done, in English and in French.

The device's side: mdm22's ServerURL endpoint is not on this branch yet, so the test plays the
device by taking each queued command as the endpoint hands it out and recording its reply with
the command queue's own service (`command_reply_record`, tests/mdm/managed.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from mdm.models import DeviceAction, DeviceActionState, ManagementState
from tests.browser.conftest import csp_violations, portal_signin, screenshot
from tests.mdm.managed import device_answers, managed_device_create, managed_devices_create


def _act(page, button: str, dialog: str) -> None:
    page.click(f"#journey .commandbar >> text={button}")
    expect(page.locator(f"dialog#{dialog}")).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
class ManagedDeviceBrowserTests:
    def test_rename_lock_and_wipe_go_pending_then_done(self, live_server, admin_user, page) -> None:
        managed_devices_create(30)
        device = managed_device_create("DMPQ900001", name="CART-A-01")
        portal = live_server.url
        portal_signin(page, portal, admin_user.username)

        page.goto(f"{portal}/devices/")
        expect(page.locator("#journey .grid-count")).to_contain_text("of 31 records")
        page.fill("#managed-filters input[type=search]", "cart")
        expect(page.locator("#grid tbody tr")).to_have_count(1)
        screenshot(page, "managed-devices-list")
        page.click("#grid >> text=CART-A-01")
        page.wait_for_url(f"**/devices/{device.pk}/")
        expect(page.locator("#journey .blade-title")).to_have_text("CART-A-01")

        # Rename device: the pane-like dialog, Intune's name rule, then the new name.
        _act(page, "Rename device", "action-rename")
        page.fill("dialog#action-rename input[name=device_name]", "Lab 7")
        page.click("dialog#action-rename button[type=submit]")
        expect(page.locator("#journey .field-error")).to_contain_text("at least one letter or hyphen")
        page.fill("#journey input[name=device_name]", "LAB-07")
        page.click("#journey .action-form button[type=submit]")
        row = page.locator('#device-status tr[data-action="rename"]')
        expect(row).to_have_attribute("data-state", "pending")
        expect(row).to_contain_text("Pending")
        screenshot(page, "managed-device-rename-pending")
        assert device_answers(device) == ["Settings"]
        expect(row).to_have_attribute("data-state", "done", timeout=10000)
        expect(row).to_contain_text("Complete")
        expect(page.locator('#device-status [data-field="device-name"]')).to_have_text("LAB-07")

        # Remote lock: Yes / No.
        _act(page, "Remote lock", "action-remote_lock")
        screenshot(page, "managed-device-lock-dialog")
        page.click("dialog#action-remote_lock button[type=submit]")
        lock = page.locator('#device-status tr[data-action="remote_lock"]')
        expect(lock).to_have_attribute("data-state", "pending")
        assert device_answers(device) == ["DeviceLock"]
        expect(lock).to_have_attribute("data-state", "done", timeout=10000)

        # Wipe: Intune's one iOS option (the data plan), nothing about Return to Service.
        _act(page, "Wipe", "action-wipe")
        wipe_dialog = page.locator("dialog#action-wipe")
        expect(wipe_dialog).to_contain_text("Also remove the devices data plan")
        assert "return to service" not in wipe_dialog.inner_text().lower()
        screenshot(page, "managed-device-wipe-dialog")
        wipe_dialog.locator("button", has_text="Wipe").click()
        wipe = page.locator('#device-status tr[data-action="wipe"]')
        expect(wipe).to_have_attribute("data-state", "pending")
        expect(page.locator('#device-status [data-field="management-state"]')).to_have_text("Wipe pending")
        screenshot(page, "managed-device-wipe-pending")
        assert device_answers(device) == ["EraseDevice"]
        expect(wipe).to_have_attribute("data-state", "done", timeout=10000)
        expect(page.locator('#device-status [data-field="management-state"]')).to_have_text("Wiped")
        screenshot(page, "managed-device-wiped")

        device.refresh_from_db()
        assert device.management_state == ManagementState.WIPED and device.device_name == "LAB-07"
        assert sorted(DeviceAction.objects.filter(device=device).values_list("kind", "state")) == [
            ("remote_lock", DeviceActionState.DONE),
            ("rename", DeviceActionState.DONE),
            ("wipe", DeviceActionState.DONE),
        ]
        # Monitor › Device actions lists the three.
        page.click("#journey .breadcrumb >> text=Devices")
        page.click("#journey .blade-menu >> text=Device actions")
        expect(page.locator("#grid tbody tr")).to_have_count(3)
        screenshot(page, "managed-device-actions-monitor")
        assert not csp_violations(page)

    def test_the_blade_in_french(self, live_server, admin_user, page) -> None:
        device = managed_device_create(name="CHARIOT-01", is_shared_ipad=True)
        portal = live_server.url
        portal_signin(page, portal, admin_user.username)
        page.select_option("#topbar-language", "fr")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        page.goto(f"{portal}/devices/{device.pk}/")
        bar = page.locator("#journey .commandbar")
        for label in (
            "Mettre hors service",
            "Réinitialiser",
            "Supprimer",
            "Verrouillage à distance",
            "Déconnecter l’utilisateur actuel",
        ):
            expect(bar).to_contain_text(label)
        _act(page, "Réinitialiser", "action-wipe")
        expect(page.locator("dialog#action-wipe")).to_contain_text(
            "Supprimer également le forfait de données"
        )
        screenshot(page, "managed-device-fr-wipe")
