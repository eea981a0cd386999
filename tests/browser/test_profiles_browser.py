"""Issue 5's "done when", in Chromium and in French: a Shared iPad profile as the article wants it."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from profiles.models import EnrollmentProfile
from tests.browser.conftest import portal_signin, screenshot
from tests.conftest import ARTIFACTS
from tests.profiles.conftest import token_create


@pytest.mark.browser
class ProfileBrowserTests:
    def test_a_shared_ipad_profile_in_french(self, live_server, admin_user, page) -> None:
        token = token_create("Lycée Jean Moulin - Intune")
        portal = live_server.url
        portal_signin(page, portal, admin_user.username)
        page.select_option("#topbar-language", "fr")
        expect(page.locator("html")).to_have_attribute("lang", "fr")

        # The token's Profiles blade, then « Créer un profil ».
        page.goto(f"{portal}/enrollment/apple/tokens/{token.pk}/profiles/")
        page.click(".commandbar >> text=Créer un profil")
        page.wait_for_url(f"**/tokens/{token.pk}/profiles/create/")
        page.fill("input[name=name]", "Chariot d’iPad - CM2")
        page.fill("textarea[name=description]", "iPad partagés de la classe de CM2")
        page.check("input[name=user_affinity][value=with]")
        page.check("input[name=authentication_method][value=setup_assistant]")
        # Shared iPad's settings appear only once it is on.
        assert not page.is_visible("input[name=max_cached_users]")
        page.click("label:has(input[name=shared_ipad][value=yes])")
        assert page.is_visible("input[name=max_cached_users]")
        page.fill("input[name=max_cached_users]", "6")
        page.click("label:has(input[name=locked_enrollment][value=yes])")
        # A rule broken on purpose: locked enrollment without Supervised.
        page.click("label:has(input[name=supervised][value=no])")
        page.fill("input[name=department]", "Service informatique")
        page.fill("input[name=department_phone]", "+33 1 23 45 67 89")
        for screen in ("Siri", "Passcode", "Zoom"):
            page.click(f"label:has(input[name=screen_{screen}][value=hide])")
        page.click(".form-footer button[type=submit]")

        error = page.locator(".field-error").first
        error.wait_for()
        assert (
            "L’inscription verrouillée nécessite le mode Supervisé." in page.locator("#journey").inner_text()
        )
        assert (
            "Le mode iPad partagé nécessite «\u00a0Inscrire avec l’affinité utilisateur\u00a0» et le mode Supervisé."
            in page.locator("#journey").inner_text()
        )
        assert not EnrollmentProfile.objects.exists()
        screenshot(page, "profile-rule-refused-fr")

        # Fix it: Supervised, as the article requires for Shared iPad and locked enrollment.
        page.click("label:has(input[name=supervised][value=yes])")
        page.click(".form-footer button[type=submit]")
        page.wait_for_url("**/enrollment/apple/profiles/*/")
        profile = EnrollmentProfile.objects.get()
        assert profile.shared_ipad and profile.supervised and profile.locked_enrollment
        assert profile.max_cached_users == 6
        assert sorted(profile.hidden_screens) == ["Passcode", "Siri", "Zoom"]

        # « Afficher en JSON »: what Apple receives.
        page.click(".commandbar >> text=Afficher en JSON")
        apple_json = json.loads(page.locator("pre[data-json=apple]").inner_text())
        assert apple_json["is_multi_user"] is True
        assert apple_json["is_mdm_removable"] is False
        assert apple_json["is_supervised"] is True
        assert apple_json["skip_setup_items"] == ["Passcode", "Zoom", "Siri"]
        assert apple_json["department"] == "Service informatique"
        page.wait_for_timeout(400)  # the pane's slide-in
        screenshot(page, "profile-json-fr")
        page.click("#pane .pane-close")

        # « Définir le profil par défaut » from the profile's own blade.
        page.click(".commandbar >> text=Définir le profil par défaut")
        page.select_option("#pane select[name=profile]", str(profile.pk))
        page.click("#pane button[type=submit]")
        page.wait_for_url(f"**/tokens/{token.pk}/profiles/")
        assert "Par défaut" in page.locator("#grid").inner_text()
        profile.refresh_from_db()
        assert profile.is_default
        screenshot(page, "profile-default-fr")
        assert (ARTIFACTS / "profile-json-fr.png").exists()
