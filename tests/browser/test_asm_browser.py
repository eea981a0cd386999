"""The mock Apple School Manager in Chromium, in French: the article's step 2, done by hand."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from mock_apple.models import Device, MdmServer, ServerToken
from tests.browser.conftest import csp_violations, screenshot
from tests.conftest import ARTIFACTS
from tests.mock_apple.conftest import (
    PASSWORD,
    dep_server,  # noqa: F401  (the mock Apple process)
    live,
    organization_create,
    rsa_certificate_pem,
)


@pytest.mark.browser
@live
class AsmBrowserTests:
    def test_it_runs_the_articles_step_2_in_french(self, dep_server, page, tmp_path) -> None:  # noqa: F811
        organization_create(devices=12)
        violations = csp_violations(page)  # the mock's pages live under a policy too
        certificate, _ = rsa_certificate_pem()
        (tmp_path / "intune.pem").write_bytes(certificate)

        page.goto(f"{dep_server}/asm/")
        page.select_option("#signin-language", "fr")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        page.fill("#id_apple_id", "admin@appleid.contoso.edu")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{dep_server}/asm/devices/")
        assert page.locator("h1").inner_text() == "Appareils"

        page.click(".asm-nav >> text=Serveurs de gestion des appareils mobiles")
        page.click("text=Ajouter un serveur MDM")
        page.fill("#id_name", "Intune MDM")
        page.set_input_files("#id_certificate", str(tmp_path / "intune.pem"))
        page.click("text=Enregistrer le serveur MDM")
        assert page.locator("h1").inner_text() == "Intune MDM"
        with page.expect_download() as download:
            page.click("text=Obtenir un jeton")
        assert download.value.suggested_filename.startswith("Intune MDM_Token_")
        assert ServerToken.objects.count() == 1
        # The download leaves the page as it was; pages.js asks for the token line again.
        expect(page.locator("[data-server-token]")).to_contain_text("Téléchargé le")
        expect(page.locator("[data-server-token]")).not_to_contain_text("Aucun jeton")

        page.click(".asm-nav >> text=Affectations d’appareil")
        page.fill("#id_serials", "DMPQ000001 DMPQ000002 DMPQ000003")
        page.select_option("#id_server", label="Intune MDM")
        page.click("button:has-text('OK')")
        assert "3 appareils ont été affectés à Intune MDM." in page.locator(".notice-success").inner_text()
        assert Device.objects.filter(mdm_server=MdmServer.objects.get()).count() == 3

        page.click(".asm-nav >> text=Appareils")
        page.fill("#device-search", "DMPQ00000")
        expect(page.locator("#device-grid tbody tr")).to_have_count(10)
        # Apple's French pages name models and colours in French (the API keeps English).
        expect(page.locator("#device-grid")).to_contain_text("génération")
        expect(page.locator("#device-grid")).not_to_contain_text("generation")
        screenshot(page, "asm-devices-fr")
        page.goto(f"{dep_server}/asm/trainer/")
        screenshot(page, "asm-fault-injection-fr")
        assert (ARTIFACTS / "asm-devices-fr.png").stat().st_size > 10_000
        assert not violations, violations
