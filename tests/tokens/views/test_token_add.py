"""The add-token blade: public key download (step 1) and the .p7m upload (step 4)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from asm_portal.models import Notification
from tests.conftest import HTMX
from tests.tokens.apple import server_token_file, server_token_json
from tests.tokens.conftest import APPLE_ID, PUBLIC_KEY_URL, download_public_key
from tokens import pki
from tokens.models import EnrollmentProgramToken, TokenEncryptionKey

URL = "/enrollment/apple/tokens/add/"


def p7m(data: bytes, name: str = "Server_Token_2026-11-27T10-00-00Z_smime.p7m") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pkcs7-mime")


class TokenAddTests:
    def test_it_shows_the_four_steps_as_a_page(self, admin_client, push_certificate) -> None:
        response = admin_client.get(URL)
        assert response.status_code == 200
        assert b"<html" in response.content
        body = response.content.decode()
        for text in (
            "Download your public key",
            "I grant Microsoft permission to send both user and device information to Apple.",
            "Create a token via Apple School Manager",
            'name="apple_id"',
            'name="token"',
            "can’t be used with Apple’s Device Enrollment Program (DEP)",
            "This ID must be used to renew your Apple ASM token",
            "Intune automatically syncs your ASM devices with Apple.",
        ):
            assert text in body, text
        assert 'href="http://127.0.0.1:8001/asm/"' in body

    def test_htmx_gets_the_blade_only(self, admin_client, push_certificate) -> None:
        response = admin_client.get(URL, **HTMX)
        assert response.status_code == 200
        assert b"<html" not in response.content
        assert b"Add enrollment program token" in response.content
        assert b"This ID must be used to renew your Apple ASM token" in response.content

    def test_without_a_push_certificate_it_explains_instead_of_offering_the_steps(self, admin_client) -> None:
        body = admin_client.get(URL).content.decode()
        assert "An active Apple MDM Push certificate is required" in body
        assert 'href="/enrollment/apple/push-certificate/"' in body
        assert 'name="token"' not in body
        response = admin_client.post(PUBLIC_KEY_URL, {"consent": "on"})
        assert response.status_code == 200
        assert "Content-Disposition" not in response
        assert not TokenEncryptionKey.objects.exists()

    def test_the_public_key_needs_the_consent(self, admin_client, push_certificate) -> None:
        response = admin_client.post(PUBLIC_KEY_URL, {})
        assert response.status_code == 200
        assert "Select “I agree”" in response.content.decode()
        assert not TokenEncryptionKey.objects.exists()

    def test_the_public_key_is_a_pem_certificate_of_a_key_kept_encrypted(
        self, admin_client, push_certificate
    ) -> None:
        pem = download_public_key(admin_client)
        certificate = pki.certificate_from_pem(pem)
        key = TokenEncryptionKey.objects.get()
        assert key.data_sharing_consent is True
        assert pki.public_key_fingerprint(pki.private_key_from_pem(key.private_key).public_key()) == (
            pki.certificate_public_key_fingerprint(certificate)
        )
        assert "BEGIN PRIVATE KEY" not in pem
        page = admin_client.get(URL).content.decode()
        assert "Public key downloaded" in page

    def test_it_adds_the_token_and_opens_it(self, admin_client, admin_user, push_certificate, apple) -> None:
        apple.accepts(server_name="Lycée Jean Moulin - Intune")
        pem = download_public_key(admin_client)
        response = admin_client.post(
            URL, {"apple_id": APPLE_ID, "token": p7m(server_token_file(pem, server_token_json()))}
        )
        token = EnrollmentProgramToken.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/enrollment/apple/tokens/{token.pk}/"
        assert token.token_name == "Lycée Jean Moulin - Intune"
        assert Notification.objects.get(user=admin_user).title == "Token uploaded"
        page = admin_client.get(response["Location"]).content.decode()
        assert "Lycée Jean Moulin - Intune | Overview" in page
        assert "Token uploaded" in page  # the toast

    def test_htmx_upload_navigates_to_the_token(self, admin_client, push_certificate, apple) -> None:
        apple.accepts()
        pem = download_public_key(admin_client)
        response = admin_client.post(
            URL, {"apple_id": APPLE_ID, "token": p7m(server_token_file(pem, server_token_json()))}, **HTMX
        )
        assert response.status_code == 204
        token = EnrollmentProgramToken.objects.get()
        assert f'"path": "/enrollment/apple/tokens/{token.pk}/"' in response["HX-Location"]

    def test_a_refused_token_shows_why_and_saves_nothing(self, admin_client, push_certificate, apple) -> None:
        pem = download_public_key(admin_client)
        apple.refuses(403, "T_C_NOT_SIGNED")
        response = admin_client.post(
            URL, {"apple_id": APPLE_ID, "token": p7m(server_token_file(pem, server_token_json()))}, **HTMX
        )
        assert response.status_code == 200
        body = response.content.decode()
        assert "T_C_NOT_SIGNED" in body
        assert 'class="banner banner-error"' in body
        assert f'value="{APPLE_ID}"' in body  # what the admin typed stays
        assert not EnrollmentProgramToken.objects.exists()

    def test_a_token_made_for_another_session_s_key_is_refused(
        self, admin_client, admin_user, push_certificate, client
    ) -> None:
        # Another administrator's key (another browser session) does not decrypt this upload.
        client.force_login(admin_user)
        pem = download_public_key(client)
        response = admin_client.post(
            URL, {"apple_id": APPLE_ID, "token": p7m(server_token_file(pem, server_token_json()))}
        )
        assert response.status_code == 200
        assert "Download your public key first" in response.content.decode()
        assert not EnrollmentProgramToken.objects.exists()

    def test_the_apple_id_must_look_like_an_email_address(
        self, admin_client, push_certificate, apple
    ) -> None:
        pem = download_public_key(admin_client)
        data = server_token_file(pem, server_token_json())
        for apple_id, message in (("", "Enter the Apple ID"), ("admin", "must be an email address")):
            response = admin_client.post(URL, {"apple_id": apple_id, "token": p7m(data)})
            assert response.status_code == 200
            assert message in response.content.decode()
        assert apple.calls() == []
        assert not EnrollmentProgramToken.objects.exists()

    def test_the_token_file_is_required(self, admin_client, push_certificate) -> None:
        download_public_key(admin_client)
        response = admin_client.post(URL, {"apple_id": APPLE_ID})
        assert "Choose the Apple token file (.p7m) to upload." in response.content.decode()

    def test_a_file_too_large_is_refused_before_reading(
        self, admin_client, push_certificate, apple, settings
    ) -> None:
        settings.ASM_MAX_UPLOAD_BYTES = 1000
        pem = download_public_key(admin_client)
        data = server_token_file(pem, server_token_json())
        assert len(data) > 1000
        response = admin_client.post(URL, {"apple_id": APPLE_ID, "token": p7m(data)})
        assert response.status_code == 200
        assert (
            "The file is too large (1.5\xa0KB). The largest file accepted is 1000\xa0bytes."
            in response.content.decode()
        )
        assert apple.calls() == []
        assert not EnrollmentProgramToken.objects.exists()

    def test_read_only_operators_are_refused(self, operator_client, push_certificate) -> None:
        assert operator_client.get(URL).status_code == 403
        assert operator_client.post(URL, {"apple_id": APPLE_ID}).status_code == 403
        assert operator_client.post(PUBLIC_KEY_URL, {"consent": "on"}).status_code == 403
        assert not TokenEncryptionKey.objects.exists()

    def test_anonymous_users_sign_in_first(self, client, db) -> None:
        response = client.get(URL)
        assert response.status_code == 302
        assert response["Location"].startswith("/signin/")
        assert client.post(PUBLIC_KEY_URL, {"consent": "on"}).status_code == 302

    def test_it_refuses_other_methods(self, admin_client) -> None:
        assert admin_client.put(URL).status_code == 405
        assert admin_client.get(PUBLIC_KEY_URL).status_code == 405
