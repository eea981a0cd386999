"""Issue 22's blades in Chromium: an administrator renames, locks and wipes an enrolled iPad from
its device blade and sees each action go pending → done, in English and in French.

The device's side is the protocol tests' device client (tests/mdm/mdm_client.py, written from
Apple's documentation) over real HTTP: it enrolls (profile, SCEP, Authenticate, TokenUpdate),
then, woken, checks in to the ServerURL endpoint and answers each command. APNs is left out
(tests/mdm/test_apns.py has it): the test wakes the device itself."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from playwright.sync_api import expect

from mdm.device_actions import device_action_request
from mdm.models import DeviceAction, DeviceActionState, ManagedDevice, ManagementState
from tests.browser.conftest import csp_violations, portal_signin, screenshot
from tests.devices.conftest import enrollment_setup_create
from tests.mdm.conftest import _device_keys, _session_device_ca, device_ca, virtual_device  # noqa: F401
from tests.mdm.managed import device_answers, managed_device_create, managed_devices_create
from tests.mdm.mdm_client import MdmDevice
from tests.mdm.test_mdm_protocol import enroll, inventory_answer, run_commands
from tests.tokens.conftest import push_certificate, push_portal  # noqa: F401


@pytest.fixture
def portal(live_server, settings, device_ca, push_certificate, monkeypatch):  # noqa: F811
    settings.PORTAL_BASE_URL = live_server.url
    from mdm import tasks

    monkeypatch.setattr(tasks, "devices_push_enqueue", lambda *, device_ids: None)
    return live_server.url


def _answers(device: MdmDevice) -> list[str]:
    """The woken device checks in and acknowledges every command; their request types."""

    def acknowledge(command: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return "Acknowledged", {}

    return [c["Command"]["RequestType"] for c in run_commands(device, acknowledge)]


def _act(page, button: str, dialog: str) -> None:
    page.click(f"#journey .commandbar >> text={button}")
    expect(page.locator(f"dialog#{dialog}")).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
class ManagedDeviceBrowserTests:
    def test_rename_lock_and_wipe_go_pending_then_done(
        self,
        portal,
        admin_user,
        page,
        virtual_device,  # noqa: F811
    ) -> None:
        managed_devices_create(30)
        setup = enrollment_setup_create()
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        client, _payload = enroll(portal, setup, virtual_device(setup.device.serial_number), key)
        assert client.authenticate().status_code == 200
        assert client.token_update().status_code == 200
        run_commands(client, inventory_answer)  # the inventory after enrollment
        device = ManagedDevice.objects.get(udid=client.udid)
        assert device.device_name == "iPad de Ora"
        portal_signin(page, portal, admin_user.username)

        page.goto(f"{portal}/devices/")
        expect(page.locator("#journey .grid-count")).to_contain_text("of 31 records")
        page.fill("#managed-filters input[type=search]", "ipad de")
        expect(page.locator("#grid tbody tr")).to_have_count(1)
        screenshot(page, "managed-devices-list")
        page.click("#grid >> text=iPad de Ora")
        page.wait_for_url(f"**/devices/{device.pk}/")
        expect(page.locator("#journey .blade-title")).to_have_text("iPad de Ora")

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
        assert _answers(client) == ["Settings"]
        expect(row).to_have_attribute("data-state", "done", timeout=10000)
        expect(row).to_contain_text("Complete")
        expect(page.locator('#device-status [data-field="device-name"]')).to_have_text("LAB-07")

        # Remote lock: Yes / No.
        _act(page, "Remote lock", "action-remote_lock")
        screenshot(page, "managed-device-lock-dialog")
        page.click("dialog#action-remote_lock button[type=submit]")
        lock = page.locator('#device-status tr[data-action="remote_lock"]')
        expect(lock).to_have_attribute("data-state", "pending")
        assert _answers(client) == ["DeviceLock"]
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
        assert _answers(client) == ["EraseDevice"]
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
        """The action bar of a Shared iPad and the Wipe dialog, in French (a device as enrollment
        leaves it, made in the database)."""
        device = managed_device_create(name="CHARIOT-01", is_shared_ipad=True, lost_mode_enabled=True)
        device_action_request(device=device, kind="locate", user=admin_user)
        device_answers(device, Latitude=48.8566, Longitude=2.3522, HorizontalAccuracy=35)
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
            "Émettre le son du mode Perdu",
            "Désactiver le verrou d’activation",
        ):
            expect(bar).to_contain_text(label)
        expect(page.locator("#journey .location-map > svg")).to_be_visible()
        expect(page.locator("#journey .location-map")).to_contain_text("Précision")
        screenshot(page, "managed-device-fr-location")
        _act(page, "Réinitialiser", "action-wipe")
        expect(page.locator("dialog#action-wipe")).to_contain_text(
            "Supprimer également le forfait de données"
        )
        screenshot(page, "managed-device-fr-wipe")
        page.click("dialog#action-wipe >> text=Annuler")
        page.click("#journey .blade-menu >> text=Matériel")
        expect(page.locator("#journey")).to_contain_text("Adresse MAC Wi-Fi")
        screenshot(page, "managed-device-fr-hardware")

    def test_bulk_device_actions_wizard_in_french(self, live_server, admin_user, page) -> None:
        """Devices › Bulk device actions as Intune's wizard, in French: Basics (OS, action, its
        setting) → Devices (search, choose) → Review + create, with Previous kept answers."""
        devices = managed_devices_create(4)
        lab = managed_device_create("ZZPQ000001", name="LABO-1", lost_mode_enabled=True)
        portal = live_server.url
        portal_signin(page, portal, admin_user.username)
        page.select_option("#topbar-language", "fr")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        page.goto(f"{portal}/devices/")
        page.click("#journey .commandbar >> text=Actions en bloc sur les appareils")
        wizard = page.locator("#journey form.bulk-wizard")
        expect(wizard).to_have_attribute("data-step", "basics")
        expect(page.locator("#journey .wizard-nav")).to_contain_text("Vérifier + créer")
        page.select_option("#bulk-kind", "wipe")
        page.check("input[name=remove_data_plan]")
        screenshot(page, "managed-bulk-fr-basics")
        page.click("#journey .wizard-footer >> text=Suivant")
        expect(wizard).to_have_attribute("data-step", "devices")
        page.fill("#journey input[type=search]", "labo")
        page.press("#journey input[type=search]", "Enter")
        expect(page.locator("#journey .bulk-devices tbody tr")).to_have_count(1)
        page.check(f"#journey input[name=device][value='{lab.pk}']")
        page.fill("#journey input[type=search]", "")
        page.press("#journey input[type=search]", "Enter")
        expect(page.locator("#journey .grid-count")).to_contain_text("1 appareil sélectionné")
        page.check(f"#journey input[name=device][value='{devices[0].pk}']")
        screenshot(page, "managed-bulk-fr-devices")
        page.click("#journey .wizard-footer >> text=Suivant")
        expect(wizard).to_have_attribute("data-step", "review")
        expect(wizard).to_contain_text("Supprimer également le forfait de données de l’appareil")
        expect(page.locator("#journey .grid tbody tr")).to_have_count(2)
        page.click("#journey .wizard-footer >> text=Précédent")
        expect(wizard).to_have_attribute("data-step", "devices")
        expect(page.locator("#journey input[name=device]:checked")).to_have_count(2)
        page.click("#journey .wizard-footer >> text=Suivant")
        expect(wizard).to_have_attribute("data-step", "review")
        screenshot(page, "managed-bulk-fr-review")
        page.click("#journey .wizard-footer >> text=Créer")
        page.wait_for_url("**/devices/monitor/device-actions/")
        assert set(DeviceAction.objects.filter(kind="wipe").values_list("device_id", flat=True)) == {
            lab.pk,
            devices[0].pk,
        }
        assert not csp_violations(page)
