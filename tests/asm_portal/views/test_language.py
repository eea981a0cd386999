from __future__ import annotations

from django.test import Client

from asm_portal.models import UserPreference


class LanguageTests:
    def test_switching_is_remembered_for_the_user(self, admin_client, admin_user) -> None:
        response = admin_client.post("/language/", {"language": "fr", "next": "/enrollment/"})
        assert response.status_code == 302
        assert response["Location"] == "/enrollment/"
        assert UserPreference.objects.get(user=admin_user).language == "fr"
        # Another browser, same user: still French.
        other = Client()
        other.force_login(admin_user)
        html = other.get("/enrollment/").content.decode()
        assert "Inscription de l’appareil" in html or "Inscription de l'appareil" in html
        assert '<html lang="fr">' in html

    def test_the_french_shell_uses_the_article_terms(self, admin_client) -> None:
        admin_client.post("/language/", {"language": "fr"})
        html = admin_client.get("/enrollment/apple/tokens/").content.decode()
        for term in (
            "Inscription Apple",
            "Jetons du programme d’inscription",
            "Profils de programme d’inscription",
            "Appareils du programme d’inscription",
            "Certificat Push MDM Apple",
        ):
            assert term in html, term

    def test_an_anonymous_visitor_can_switch_on_the_sign_in_page(self, db) -> None:
        client = Client()
        response = client.post("/language/", {"language": "fr", "next": "/signin/"})
        assert response.status_code == 302
        assert "Se connecter" in client.get("/signin/").content.decode()

    def test_it_rejects_an_unknown_language(self, admin_client) -> None:
        assert admin_client.post("/language/", {"language": "xx"}).status_code == 400

    def test_it_needs_post(self, admin_client) -> None:
        assert admin_client.get("/language/").status_code == 405
