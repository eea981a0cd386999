"""Issue 6's "done when", in Chromium and in French: sync the ASM devices, assign them a profile
from the devices grid and from the profile, and Apple's refusal, against the mock Apple service
served over HTTP. Celery runs inline here (tests/devices/test_sync_worker.py uses real workers)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from devices.models import Device, ProfileAssignment, SyncRun
from mock_apple.models import Device as AppleDevice
from tests.browser.conftest import portal_signin, screenshot
from tests.devices.conftest import apple_token_create, control, dep_server, live, profile_create  # noqa: F401


@pytest.mark.browser
@pytest.mark.integration
@live
class DevicesBrowserTests:
    def test_sync_then_assign_in_french(self, live_server, admin_user, page, settings, dep_server) -> None:  # noqa: F811
        settings.APPLE_BASE_URL = dep_server
        apple = apple_token_create(dep_server, inventory=40, assigned=30)
        token = apple.token
        profile = profile_create(token, name="Chariot d’iPad - CM2")
        portal = live_server.url
        portal_signin(page, portal, admin_user.username)
        page.select_option("#topbar-language", "fr")
        expect(page.locator("html")).to_have_attribute("lang", "fr")

        # Inscription Apple › Appareils du programme d'inscription › Synchronisation.
        page.goto(f"{portal}/enrollment/apple/devices/")
        assert "Aucun appareil du programme d’inscription" in page.locator("#journey").inner_text()
        page.click(".commandbar >> text=Synchronisation")
        page.wait_for_url(f"**/tokens/{token.pk}/devices/sync/")
        assert "Non disponible. Synchronisez pour actualiser." in page.locator("#journey").inner_text()
        page.click("text=Demander la synchronisation")
        page.locator("text=La dernière synchronisation a réussi").wait_for()
        assert SyncRun.objects.get().state == SyncRun.State.SUCCEEDED
        page.locator(
            f".toast >> text=Synchronisation de «\u00a0{token.token_name}\u00a0» terminée"
        ).first.wait_for()
        journey = page.locator("#journey").inner_text()
        assert "Non disponible. Synchronisez pour actualiser." not in journey
        assert "30 ajoutés, 0 mis à jour, 0 supprimés" in journey
        page.wait_for_timeout(500)  # the toasts' fade-in
        screenshot(page, "devices-sync-fr")

        # The token's devices: search, select three, « Affecter un profil » in the context pane.
        page.goto(f"{portal}/enrollment/apple/tokens/{token.pk}/devices/")
        assert "Affichage de 1 à 30 sur 30 enregistrements" in page.locator("#grid").inner_text()
        assert page.locator("button:has-text('Affecter un profil')").is_disabled()
        page.fill("input[name=q]", "dmpq00001")
        page.locator("#grid >> text=Affichage de 1 à 10 sur 10 enregistrements").wait_for()
        for box in page.locator("#grid tbody input[type=checkbox]").all()[:3]:
            box.check()
        assert page.locator("button:has-text('Affecter un profil')").is_enabled()
        screenshot(page, "devices-grid-fr")
        page.click("button:has-text('Affecter un profil')")
        page.locator("#pane >> text=3 appareils sélectionnés").wait_for()
        page.wait_for_timeout(400)  # the pane's slide-in
        screenshot(page, "devices-assign-pane-fr")
        page.click("#pane button:has-text('Affecter')")
        page.wait_for_url("**/enrollment/apple/assignments/*/")
        page.locator("text=Le profil a été affecté aux 3 appareils.").wait_for()
        page.wait_for_timeout(500)
        screenshot(page, "devices-assignment-result-fr")
        profile.refresh_from_db()
        assigned = set(
            Device.objects.filter(assigned_profile=profile).values_list("serial_number", flat=True)
        )
        assert assigned == {"DMPQ000010", "DMPQ000011", "DMPQ000012"}
        assert set(
            AppleDevice.objects.filter(serial_number__in=assigned).values_list("profile_uuid", flat=True)
        ) == {profile.apple_profile_uuid}

        # From the profile: « Affectations d'appareils » › « Affecter », the header checkbox.
        page.goto(f"{portal}/enrollment/apple/profiles/{profile.pk}/assignments/assign/")
        assert "jusqu’à 1\xa0000 appareils répertoriés" in page.locator("#journey").inner_text()
        page.check("#grid thead input[data-select-all]")
        assert page.locator("#grid tbody input[type=checkbox]:checked").count() == 27  # the unassigned ones
        screenshot(page, "devices-profile-assign-fr")
        page.click(".form-footer button:has-text('Affecter')")
        page.wait_for_url("**/enrollment/apple/assignments/*/")
        page.locator("text=Le profil a été affecté aux 27 appareils.").wait_for()
        assert ProfileAssignment.objects.filter(profile=profile).count() == 2
        assert Device.objects.filter(assigned_profile=profile).count() == 30

        # The delete dialog and its warning (the devices come back at the next full sync).
        page.goto(f"{portal}/enrollment/apple/tokens/{token.pk}/devices/")
        page.locator("#grid tbody input[type=checkbox]").first.check()
        page.click(".commandbar button:has-text('Supprimer')")
        dialog = page.locator("dialog#delete-devices")
        dialog.wait_for()
        assert "ils reviendront à la prochaine synchronisation complète" in dialog.inner_text()
        screenshot(page, "devices-delete-dialog-fr")
        dialog.locator("button:has-text('Annuler')").click()

        # Apple's new terms: the next request fails with T_C_NOT_SIGNED, Sync waits 15 minutes.
        control(dep_server, "POST", "terms", {"action": "publish"})
        page.goto(f"{portal}/enrollment/apple/tokens/{token.pk}/devices/sync/")
        page.click("text=Demander la synchronisation")
        page.locator("text=La dernière synchronisation a échoué").wait_for()
        journey = page.locator("#journey").inner_text()
        assert "T_C_NOT_SIGNED" in journey
        assert "Vous pourrez demander une autre synchronisation dans 15 minutes." in journey
        assert page.locator("button:has-text('Demander la synchronisation')").is_disabled()
        assert page.locator("progress.progressbar").count() == 1
        screenshot(page, "devices-sync-refused-fr")
        page.goto(f"{portal}/enrollment/apple/tokens/{token.pk}/")
        assert "Le dernier appel à Apple a échoué" in page.locator("#journey").inner_text()
        screenshot(page, "devices-token-blade-fr")
