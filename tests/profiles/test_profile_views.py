"""The profile blades: per view, full and htmx GET, POST, wrong method, anonymous, read-only."""

from __future__ import annotations

from django.test import Client

from profiles.models import EnrollmentProfile, ProfileSettings
from tests.conftest import HTMX
from tests.profiles.conftest import profile_create

SCREENS_SHOWN = {
    f"screen_{key}": "show"
    for key in (
        "Passcode",
        "Location",
        "Restore",
        "AppleID",
        "TOS",
        "Biometric",
        "Payment",
        "Zoom",
        "Siri",
        "Diagnostics",
        "DisplayTone",
        "Privacy",
        "Android",
        "iMessageAndFaceTime",
        "OnBoarding",
        "ScreenTime",
        "SIMSetup",
        "SoftwareUpdate",
        "WatchMigration",
        "Appearance",
        "DeviceToDeviceMigration",
        "RestoreCompleted",
        "UpdateCompleted",
        "Welcome",
        "TermsOfAddress",
        "Safety",
        "ActionButton",
        "Intelligence",
        "CameraButton",
        "WebContentFiltering",
        "AppStore",
        "SafetyAndHandling",
        "Multitasking",
        "OSShowcase",
    )
}


def form_data(**changes: str) -> dict[str, str]:
    data = {
        "name": "Cart 3",
        "description": "Library cart",
        "user_affinity": "with",
        "authentication_method": "setup_assistant",
        "install_company_portal": "no",
        "single_app_mode": "no",
        "supervised": "yes",
        "locked_enrollment": "yes",
        "shared_ipad": "no",
        "temporary_session_only": "no",
        "pairing": "deny_all",
        "await_final_configuration": "yes",
        "apply_device_name_template": "no",
        "cellular_data_plan": "no",
        "department": "IT department",
        "department_phone": "+33 1 23 45 67 89",
        **SCREENS_SHOWN,
    }
    data.update(changes)
    return data


class ProfileListTests:
    def test_full_and_htmx(self, admin_client, token) -> None:
        profile_create(token, name="Student iPads")
        html = admin_client.get("/enrollment/apple/profiles/").content.decode()
        assert "<html" in html and "Student iPads" in html and "Contoso ASM" in html
        fragment = admin_client.get(
            "/enrollment/apple/profiles/?q=student&fragment=grid", **HTMX
        ).content.decode()
        assert fragment.lstrip().startswith('<div id="grid"') and "Student iPads" in fragment
        assert (
            "Student"
            not in admin_client.get(
                "/enrollment/apple/profiles/?q=zzz&fragment=grid", **HTMX
            ).content.decode()
        )

    def test_the_token_blade_lists_its_profiles(self, admin_client, token) -> None:
        profile_create(token, name="Student iPads")
        html = admin_client.get(f"/enrollment/apple/tokens/{token.pk}/profiles/").content.decode()
        assert "Student iPads" in html
        assert f'href="/enrollment/apple/tokens/{token.pk}/profiles/create/"' in html
        assert "Contoso ASM" in html  # in the breadcrumb

    def test_post_and_anonymous(self, admin_client, token) -> None:
        assert admin_client.post("/enrollment/apple/profiles/").status_code == 405
        assert Client().get("/enrollment/apple/profiles/").status_code == 302


class ProfileCreateViewTests:
    def url(self, token) -> str:
        return f"/enrollment/apple/tokens/{token.pk}/profiles/create/"

    def test_get_full_and_htmx(self, admin_client, token) -> None:
        html = admin_client.get(self.url(token)).content.decode()
        assert "<html" in html and 'name="user_affinity"' in html and 'name="screen_Siri"' in html
        assert "Multi-factor authentication (MFA) doesn" in html
        assert "<html" not in admin_client.get(self.url(token), **HTMX).content.decode()

    def test_post_creates(self, admin_client, token) -> None:
        response = admin_client.post(self.url(token), form_data(screen_Siri="hide", screen_Passcode="hide"))
        profile = EnrollmentProfile.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/enrollment/apple/profiles/{profile.pk}/"
        assert sorted(profile.hidden_screens) == ["Passcode", "Siri"]
        assert profile.locked_enrollment is True

    def test_a_broken_rule_rerenders_with_200_and_saves_nothing(self, admin_client, token) -> None:
        response = admin_client.post(self.url(token), form_data(supervised="no"), **HTMX)
        assert response.status_code == 200
        assert "Locked enrollment requires Supervised mode." in response.content.decode()
        assert not EnrollmentProfile.objects.exists()

    def test_shared_ipad_as_the_article_says(self, admin_client, token) -> None:
        response = admin_client.post(self.url(token), form_data(shared_ipad="yes", max_cached_users="6"))
        assert response.status_code == 302
        assert EnrollmentProfile.objects.get().shared_ipad is True
        response = admin_client.post(
            self.url(token),
            form_data(name="Wrong", user_affinity="without", shared_ipad="yes", max_cached_users="6"),
        )
        assert "Shared iPad requires Enroll with User Affinity and Supervised." in response.content.decode()

    def test_read_only_wrong_method_anonymous(self, operator_client, admin_client, token) -> None:
        assert operator_client.get(self.url(token)).status_code == 403
        assert operator_client.post(self.url(token), form_data()).status_code == 403
        assert not EnrollmentProfile.objects.exists()
        assert admin_client.put(self.url(token)).status_code == 405
        assert Client().get(self.url(token)).status_code == 302
        assert admin_client.get("/enrollment/apple/tokens/999/profiles/create/").status_code == 404


class ProfileEditViewTests:
    def test_get_post(self, admin_client, operator_client, token) -> None:
        profile = profile_create(token)
        url = f"/enrollment/apple/profiles/{profile.pk}/properties/"
        html = admin_client.get(url).content.decode()
        assert 'value="Student iPads"' in html
        assert "<html" not in admin_client.get(url, **HTMX).content.decode()
        response = admin_client.post(url, form_data(name="Renamed"), **HTMX)
        assert response.status_code == 204 and "HX-Location" in response.headers
        profile.refresh_from_db()
        assert profile.name == "Renamed"
        assert operator_client.post(url, form_data(name="Nope")).status_code == 403
        assert admin_client.delete(url).status_code == 405


class ProfileDetailAndJsonTests:
    def test_detail(self, admin_client, operator_client, token) -> None:
        profile = profile_create(token, hidden_screens=["Siri"])
        url = f"/enrollment/apple/profiles/{profile.pk}/"
        html = admin_client.get(url).content.decode()
        assert "Student iPads" in html and "Siri" in html
        assert "<html" not in admin_client.get(url, **HTMX).content.decode()
        operator_html = operator_client.get(url).content.decode()
        assert "properties/" not in operator_html  # no Edit command for read-only operators
        assert admin_client.post(url).status_code == 405

    def test_view_as_json_shows_apple_and_graph(self, admin_client, operator_client, token) -> None:
        profile = profile_create(token, hidden_screens=["Siri"], locked_enrollment=True)
        response = operator_client.get(f"/enrollment/apple/profiles/{profile.pk}/json/", **HTMX)
        html = response.content.decode()
        assert "<html" not in html
        assert "&quot;is_mdm_removable&quot;: false" in html
        assert "&quot;skip_setup_items&quot;: [\n    &quot;Siri&quot;" in html
        assert "#microsoft.graph.depIOSEnrollmentProfile" in html
        assert "<html" in admin_client.get(f"/enrollment/apple/profiles/{profile.pk}/json/").content.decode()


class ProfileDeleteViewTests:
    def test_delete(self, admin_client, operator_client, token) -> None:
        profile = profile_create(token)
        url = f"/enrollment/apple/profiles/{profile.pk}/delete/"
        assert "This action will permanently delete" in admin_client.get(url).content.decode()
        assert operator_client.post(url).status_code == 403
        assert admin_client.post(url).status_code == 302
        assert not EnrollmentProfile.objects.exists()


class DefaultProfileViewTests:
    def test_set_default(self, admin_client, operator_client, token) -> None:
        profile = profile_create(token)
        url = f"/enrollment/apple/tokens/{token.pk}/default-profile/"
        assert b'class="pane-panel"' in admin_client.get(url, **HTMX).content
        assert operator_client.post(url, {"profile": profile.pk}).status_code == 403
        response = admin_client.post(url, {"profile": profile.pk}, **HTMX)
        assert response.status_code == 204
        profile.refresh_from_db()
        assert profile.is_default
        html = admin_client.get(f"/enrollment/apple/tokens/{token.pk}/").content.decode()
        assert "Student iPads" in html  # the token's essentials name its default profile

    def test_another_tokens_profile_is_refused(self, admin_client, token) -> None:
        from tests.profiles.conftest import token_create

        other = profile_create(token_create("Other"))
        response = admin_client.post(
            f"/enrollment/apple/tokens/{token.pk}/default-profile/", {"profile": other.pk}, **HTMX
        )
        assert response.status_code == 200
        other.refresh_from_db()
        assert not other.is_default


class RulesEditionViewTests:
    def test_switch(self, admin_client, operator_client, db) -> None:
        url = "/enrollment/apple/profiles/rules/"
        assert b"2017 article" in admin_client.get(url, **HTMX).content
        assert operator_client.post(url, {"rules_edition": "current"}).status_code == 403
        admin_client.post(url, {"rules_edition": "current"})
        assert ProfileSettings.load().rules_edition == "current"
