from __future__ import annotations

from django.test import Client

from asm_portal.models import SignInFailure
from tests.conftest import PASSWORD


class SignInTests:
    def test_it_shows_the_microsoft_style_page(self, db: None) -> None:
        response = Client().get("/signin/")
        assert response.status_code == 200
        assert b"to continue to Microsoft Intune admin center" in response.content

    def test_it_sends_anonymous_users_to_sign_in(self, db: None) -> None:
        response = Client().get("/enrollment/apple/")
        assert response.status_code == 302
        assert response["Location"] == "/signin/?next=/enrollment/apple/"

    def test_it_signs_in_and_follows_next(self, admin_user) -> None:
        client = Client()
        response = client.post(
            "/signin/?next=/enrollment/apple/",
            {"username": admin_user.username, "password": PASSWORD},
        )
        assert response.status_code == 302
        assert response["Location"] == "/enrollment/apple/"
        assert client.get("/enrollment/apple/").status_code == 200

    def test_it_ignores_a_next_on_another_site(self, admin_user) -> None:
        response = Client().post(
            "/signin/?next=https://evil.example.org/",
            {"username": admin_user.username, "password": PASSWORD},
        )
        assert response["Location"] == "/"

    def test_it_rejects_a_wrong_password_and_counts_it(self, admin_user) -> None:
        response = Client().post("/signin/", {"username": admin_user.username, "password": "wrong"})
        assert response.status_code == 200
        assert b"Your account or password is incorrect." in response.content
        assert SignInFailure.objects.filter(username=admin_user.username).count() == 1

    def test_it_locks_after_repeated_failures_even_with_the_right_password(
        self, admin_user, settings
    ) -> None:
        settings.SIGNIN_MAX_FAILURES = 3
        client = Client()
        for _ in range(3):
            client.post("/signin/", {"username": admin_user.username, "password": "wrong"})
        response = client.post("/signin/", {"username": admin_user.username, "password": PASSWORD})
        assert response.status_code == 429
        assert b"temporarily locked" in response.content
        assert "_auth_user_id" not in client.session

    def test_a_success_clears_earlier_failures(self, admin_user) -> None:
        client = Client()
        client.post("/signin/", {"username": admin_user.username, "password": "wrong"})
        client.post("/signin/", {"username": admin_user.username, "password": PASSWORD})
        assert not SignInFailure.objects.filter(username=admin_user.username).exists()

    def test_sign_out_needs_post(self, admin_client) -> None:
        assert admin_client.get("/signout/").status_code == 405
        response = admin_client.post("/signout/")
        assert response.status_code == 302
        assert admin_client.get("/").status_code == 302
