"""Sign-in to the mock Apple School Manager with a Managed Apple Account; language switch."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from mock_apple.models import AppleAccount, SignInFailure
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

    def test_an_unknown_account_locks_alike(self, apple_settings, organization, settings) -> None:
        """The lock-out does not tell whether an account exists: an unknown Apple ID gets the
        same answers, in the same order, as a real one."""
        AppleAccount.objects.update(password=_hash())
        settings.SIGNIN_MAX_FAILURES = 2

        def answers(apple_id: str, address: str) -> list[tuple[int, str]]:
            seen = []
            for password in ("wrong", "wrong", PASSWORD):
                response = Client(REMOTE_ADDR=address).post(
                    "/asm/signin/", {"apple_id": apple_id, "password": password}
                )
                errors = response.context["form"].non_field_errors() if response.context else []
                seen.append((response.status_code, " ".join(errors)))
            return seen

        known = answers("admin@appleid.contoso.edu", "192.0.2.1")
        unknown = answers("nobody@appleid.contoso.edu", "192.0.2.2")
        assert [status for status, _ in known] == [200, 200, 429]
        assert unknown == known
        assert "Too many attempts" in known[2][1]

    def test_one_address_is_limited_across_accounts(self, apple_settings, organization, settings) -> None:
        AppleAccount.objects.update(password=_hash())
        settings.SIGNIN_MAX_FAILURES = 3
        client = Client(REMOTE_ADDR="203.0.113.5")
        for index in range(3):
            client.post("/asm/signin/", {"apple_id": f"guess{index}@appleid.contoso.edu", "password": "x"})
        response = client.post(
            "/asm/signin/", {"apple_id": "admin@appleid.contoso.edu", "password": PASSWORD}
        )
        assert response.status_code == 429
        # Another address signs the same account in.
        other = Client(REMOTE_ADDR="203.0.113.6")
        response = other.post("/asm/signin/", {"apple_id": "admin@appleid.contoso.edu", "password": PASSWORD})
        assert response.status_code == 302

    def test_the_lock_out_decays(self, apple_settings, organization, settings) -> None:
        AppleAccount.objects.update(password=_hash())
        settings.SIGNIN_MAX_FAILURES = 2
        client = Client()
        for _ in range(2):
            client.post("/asm/signin/", {"apple_id": "admin@appleid.contoso.edu", "password": "wrong"})
        right = {"apple_id": "admin@appleid.contoso.edu", "password": PASSWORD}
        assert client.post("/asm/signin/", right).status_code == 429
        # The older failure leaves the window: one failure left, under the limit.
        oldest = SignInFailure.objects.order_by("pk").first()
        assert oldest is not None
        SignInFailure.objects.filter(failed_at=oldest.failed_at).update(
            failed_at=timezone.now() - timedelta(seconds=settings.SIGNIN_LOCKOUT_SECONDS + 1)
        )
        assert client.post("/asm/signin/", right).status_code == 302

    def test_the_lock_out_speaks_french(self, apple_settings, organization, settings) -> None:
        settings.SIGNIN_MAX_FAILURES = 1
        client = Client()
        client.cookies["apple_language"] = "fr"
        client.post("/asm/signin/", {"apple_id": "nobody@appleid.contoso.edu", "password": "x"})
        response = client.post("/asm/signin/", {"apple_id": "nobody@appleid.contoso.edu", "password": "x"})
        assert response.status_code == 429
        assert "Trop de tentatives" in response.content.decode()

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
