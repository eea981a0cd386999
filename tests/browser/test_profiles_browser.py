"""Issue 5's and 17's "done when", in Chromium: a Shared iPad profile as the article wants it (in
French), and each kind of profile of the article through today's Intune wizard."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from profiles.models import EnrollmentProfile
from tests.browser.conftest import portal_signin, screenshot
from tests.browser.steps import profile_wizard_create, wizard_next
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

        # The token's Profiles blade, then « Créer un profil »: today's Intune wizard.
        page.goto(f"{portal}/enrollment/apple/tokens/{token.pk}/profiles/")
        page.click(".commandbar >> text=Créer un profil")
        page.wait_for_url(f"**/tokens/{token.pk}/profiles/create/")
        expect(page.locator(".wizard-nav-item.is-current")).to_contain_text("Informations de base")
        page.fill("input[name=name]", "Chariot d’iPad - CM2")
        page.fill("textarea[name=description]", "iPad partagés de la classe de CM2")
        wizard_next(page, "management")
        page.check("input[name=user_affinity][value=with]")
        page.check("input[name=authentication_method][value=setup_assistant]")
        # Shared iPad's settings appear only once it is on.
        assert not page.is_visible("input[name=max_cached_users]")
        page.click("label:has(input[name=shared_ipad][value=yes])")
        assert page.is_visible("input[name=max_cached_users]")
        page.fill("input[name=max_cached_users]", "6")
        page.click("label:has(input[name=locked_enrollment][value=yes])")
        # The article's note, at that moment: Supervised off turns Shared iPad off, and says so.
        notice = page.locator("[data-shared-ipad-rule]")
        expect(notice).to_be_hidden()
        page.click("label:has(input[name=supervised][value=no])")
        expect(notice).to_be_visible()
        expect(notice).to_contain_text("Le mode iPad partagé a été désactivé")
        expect(page.locator("input[name=shared_ipad][value=no]")).to_be_checked()
        # A rule broken on purpose: locked enrollment without Supervised, refused on this step.
        wizard_next(page, "management")
        assert (
            "L’inscription verrouillée nécessite le mode Supervisé." in page.locator("#journey").inner_text()
        )
        assert not EnrollmentProfile.objects.exists()
        screenshot(page, "profile-rule-refused-fr")

        # Fix it: Supervised and Shared iPad again, as the article requires.
        page.click("label:has(input[name=supervised][value=yes])")
        page.click("label:has(input[name=shared_ipad][value=yes])")
        page.fill("input[name=max_cached_users]", "6")
        wizard_next(page, "setup")
        expect(page.locator(".legend")).to_contain_text("2017")
        page.fill("input[name=department]", "Service informatique")
        page.fill("input[name=department_phone]", "+33 1 23 45 67 89")
        for screen in ("Siri", "Passcode", "Zoom"):
            page.click(f"label:has(input[name=screen_{screen}][value=hide])")
        # Previous keeps what was entered.
        wizard_next(page, "management", button="previous")
        expect(page.locator("input[name=max_cached_users]")).to_have_value("6")
        wizard_next(page, "setup")
        expect(page.locator("input[name=screen_Siri][value=hide]")).to_be_checked()
        wizard_next(page, "review")
        review = page.locator("#review")
        expect(review).to_contain_text("Chariot d’iPad - CM2")
        expect(review).to_contain_text("Service informatique")
        screenshot(page, "profile-wizard-review-fr")
        page.click(".wizard-footer button[value=save]")
        page.wait_for_url("**/enrollment/apple/profiles/*/")
        # A saved profile opens at the top of its page.
        assert page.evaluate("window.scrollY") == 0
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

    def test_the_wizard_creates_each_kind_of_profile_of_the_article(
        self, live_server, admin_user, page
    ) -> None:
        token = token_create("Contoso ASM")
        portal_signin(page, live_server.url, admin_user.username)
        kinds = {
            "With affinity": {"affinity": "with"},
            "Without affinity": {"affinity": "without"},
            "Shared iPad": {"affinity": "with", "shared_ipad_users": 8, "hide": ("Siri",)},
        }
        for name, kind in kinds.items():
            page.goto(f"{live_server.url}/enrollment/apple/tokens/{token.pk}/profiles/")
            profile_wizard_create(page, name=name, department="IT", **kind)  # type: ignore[arg-type]
            expect(page.locator(".blade-title")).to_have_text(name)
            # Properties: one « Edit » per section of the wizard.
            expect(page.locator(".summary-edit")).to_have_count(3)
        profiles = {p.name: p for p in EnrollmentProfile.objects.all()}
        assert profiles["With affinity"].user_affinity == "with"
        assert profiles["With affinity"].authentication_method == "setup_assistant"
        assert profiles["Without affinity"].user_affinity == "without"
        assert profiles["Without affinity"].authentication_method == ""
        shared = profiles["Shared iPad"]
        assert (shared.shared_ipad, shared.max_cached_users, shared.hidden_screens) == (True, 8, ["Siri"])

        # « Edit » on Management Settings from Properties, then Review + save.
        page.click(".summary-edit[href$='section=management']")
        expect(page.locator("form.wizard")).to_have_attribute("data-step", "management")
        page.click("label:has(input[name=user_affinity][value=without])")
        expect(page.locator("[data-shared-ipad-rule]")).to_be_visible()
        wizard_next(page, "review")
        page.click(".wizard-footer button[value=save]")
        page.wait_for_url(f"**/enrollment/apple/profiles/{shared.pk}/")
        shared.refresh_from_db()
        assert (shared.user_affinity, shared.shared_ipad) == ("without", False)
