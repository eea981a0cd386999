"""Create profile: full and htmx GET, POST, a broken rule, read-only, wrong method, anonymous."""

from __future__ import annotations

from django.test import Client

from profiles.models import EnrollmentProfile
from tests.conftest import HTMX
from tests.profiles.views.form_data import form_data


class ProfileCreateViewTests:
    def url(self, token) -> str:
        return f"/enrollment/apple/tokens/{token.pk}/profiles/create/"

    def test_get_full_and_htmx(self, admin_client, token) -> None:
        html = admin_client.get(self.url(token)).content.decode()
        # The wizard opens on Basics; the other steps' settings ride along in hidden fields.
        assert "<html" in html and 'aria-current="step"' in html
        assert 'type="text" name="name"' in html and 'type="hidden" name="user_affinity"' in html
        assert 'type="hidden" name="screen_Siri" value="show"' in html
        fragment = admin_client.get(self.url(token), **HTMX).content.decode()
        assert "<html" not in fragment and 'type="text" name="name"' in fragment

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
        html = response.content.decode()
        # Back on the step that shows the setting, with the rule's message next to it.
        assert "Locked enrollment requires Supervised mode." in html
        assert 'name="step" value="management"' in html
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
