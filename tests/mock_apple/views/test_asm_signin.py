"""Sign-in to the mock Apple School Manager with a Managed Apple Account; language switch."""

from __future__ import annotations

import pytest
from django.test import Client

from mock_apple.models import AppleAccount
from tests.mock_apple.conftest import APPLE_DB, PASSWORD


@pytest.mark.django_db(databases=APPLE_DB)
class AsmSignInTests:
    def test_every_page_needs_a_signed_in_account(self, apple_settings, organization) -> None:
        for url in (
            "/asm/",
            "/asm/devices/",
            "/asm/mdm-servers/",
            "/asm/assignments/",
            "/asm/trainer/",
            "/push/",
        ):
            response = Client().get(url)
            assert response.status_code == 302
            assert response["Location"].startswith("/asm/signin/?next=")

    def test_it_signs_in_and_goes_back(self, apple_settings, organization) -> None:
        AppleAccount.objects.update(password=_hash())
        client = Client()
        response = client.post(
            "/asm/signin/?next=/asm/mdm-servers/",
            {"apple_id": "ADMIN@appleid.contoso.edu", "password": PASSWORD},
        )
        assert response.status_code == 302 and response["Location"] == "/asm/mdm-servers/"
        assert client.get("/asm/mdm-servers/").status_code == 200
        assert client.post("/asm/signout/").status_code == 302
        assert client.get("/asm/mdm-servers/").status_code == 302

    def test_wrong_passwords_lock_the_account(self, apple_settings, organization, settings) -> None:
        AppleAccount.objects.update(password=_hash())
        settings.SIGNIN_MAX_FAILURES = 2
        client = Client()
        for _ in range(2):
            response = client.post(
                "/asm/signin/", {"apple_id": "admin@appleid.contoso.edu", "password": "wrong"}
            )
            assert b"entered incorrectly" in response.content
        response = client.post(
            "/asm/signin/", {"apple_id": "admin@appleid.contoso.edu", "password": PASSWORD}
        )
        assert response.status_code == 429

    def test_an_open_redirect_is_refused(self, apple_settings, organization) -> None:
        AppleAccount.objects.update(password=_hash())
        response = Client().post(
            "/asm/signin/?next=https://evil.example/",
            {"apple_id": "admin@appleid.contoso.edu", "password": PASSWORD},
        )
        assert response["Location"] == "/asm/devices/"

    def test_it_speaks_french(self, apple_settings, organization) -> None:
        client = Client()
        response = client.post("/asm/language/", {"language": "fr", "next": "/asm/signin/"})
        assert response.cookies["apple_language"].value == "fr"
        page = client.get("/asm/signin/")
        assert 'lang="fr"' in page.content.decode()
        assert "Se connecter" in page.content.decode()

    def test_signin_refuses_other_methods(self, apple_settings, organization) -> None:
        assert Client().put("/asm/signin/").status_code == 405


def _hash() -> str:
    from django.contrib.auth.hashers import make_password

    return make_password(PASSWORD)
