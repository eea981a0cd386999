"""The issue's "done when", in Chromium and in French, as a new administrator does it.

Push certificate first (its prerequisite), then the article's step 1: the public key from the
portal, the MDM server and its token in the mock Apple School Manager, devices assigned to it,
the .p7m and the Apple ID back in the portal: the token is Active, named after the MDM server,
and expires a year ahead.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from asm_portal import clock
from tests.browser.conftest import csp_violations, portal_signin, screenshot
from tests.browser.steps import APPLE_ID, apple_signin, asm_server_token, portal_token_upload
from tests.conftest import ARTIFACTS
from tests.mock_apple.conftest import dep_server, live, organization_create  # noqa: F401
from tokens.models import EnrollmentProgramToken

SERVER = "Lycée Jean Moulin - Intune"


@pytest.mark.browser
@pytest.mark.integration
@live
class TokenBrowserTests:
    def test_a_new_administrator_adds_an_asm_token_in_french(
        self,
        live_server,
        dep_server,  # noqa: F811
        admin_user,
        page,
        settings,
    ) -> None:
        settings.APPLE_BASE_URL = settings.APPLE_PUBLIC_URL = dep_server
        organization_create(devices=12)
        portal = live_server.url
        refused = csp_violations(page)

        portal_signin(page, portal, admin_user.username)
        page.select_option("#topbar-language", "fr")
        expect(page.locator("html")).to_have_attribute("lang", "fr")

        # Prerequisite: the Apple MDM Push certificate, from Apple's Push Certificates portal.
        page.goto(f"{portal}/enrollment/apple/push-certificate/")
        page.check("input[data-consent]")
        with page.expect_download() as csr:
            page.click("text=Télécharger votre CSR")
        with page.context.expect_page() as opened:
            page.click("text=Créer votre certificat Push MDM")
        apple = opened.value
        apple.wait_for_load_state()
        apple.select_option("#signin-language", "fr")
        expect(apple.locator("html")).to_have_attribute("lang", "fr")
        apple_signin(apple)
        apple.wait_for_url(f"{dep_server}/push/")
        apple.set_input_files("#id_csr", csr.value.path())
        apple.click("form[action$='/push/create/'] button[type=submit]")
        with apple.expect_download() as certificate:
            apple.click(".apple-table a.button-primary")
        page.bring_to_front()
        page.fill("#id_apple_id", APPLE_ID)
        page.set_input_files("#id_certificate", certificate.value.path())
        page.click(".upload-form button[type=submit]")
        page.wait_for_selector(".essentials >> text=Actif")

        # Step 1 of the article: the public key, then the token made for it in Apple School Manager.
        page.click(".blade-menu >> text=Jetons du programme d’inscription")
        page.click(".commandbar >> text=Ajouter")
        page.wait_for_selector("h1:has-text('Ajouter un jeton du programme d’inscription')")
        page.check("input[data-consent]")
        with page.expect_download() as public_key:
            page.click("text=Télécharger votre clé publique")
        assert public_key.value.suggested_filename.endswith(".pem")
        with page.context.expect_page() as opened:
            page.click("text=Créer un jeton via Apple School Manager")
        asm = opened.value
        asm.wait_for_url(f"{dep_server}/asm/devices/")  # already signed in to Apple
        server_token = asm_server_token(
            asm,
            server=SERVER,
            public_key=public_key.value.path(),
            serials=["DMPQ000001", "DMPQ000002", "DMPQ000003"],
        )
        assert server_token.suggested_filename.endswith("_smime.p7m")
        assert "3 appareils ont été affectés" in asm.locator(".notice-success").inner_text()
        portal_token_upload(page, server_token=server_token)
        page.wait_for_selector(f".blade-title:has-text('{SERVER} | Vue d’ensemble')")

        token = EnrollmentProgramToken.objects.get()
        assert token.token_name == SERVER
        assert abs(token.expires_at - (clock.now() + timedelta(days=365))) < timedelta(days=1)
        essentials = page.locator(".essentials").inner_text()
        assert "Actif" in essentials and "Apple School Manager" in essentials and APPLE_ID in essentials
        assert token.expires_at.strftime("%d/%m/%Y") in essentials
        assert "364 jours" in essentials or "365 jours" in essentials
        assert "Jeton chargé" in page.locator("#toasts").inner_text()
        page.evaluate(
            "document.getElementById('toasts').replaceChildren()"
        )  # the blade alone, for the screenshot
        screenshot(page, "token-blade-fr")
        assert (ARTIFACTS / "token-blade-fr.png").stat().st_size > 10_000

        page.click(".breadcrumb >> text=Jetons du programme d’inscription")
        row = page.locator(f"tr:has-text('{SERVER}')")
        assert "Actif" in row.inner_text() and "Apple School Manager" in row.inner_text()
        screenshot(page, "token-list-fr")
        assert not refused, refused
