"""Renewing a token: the same flow, the Apple ID prefilled, the same MDM server only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from asm_portal import clock
from asm_portal.models import AuditEvent, Notification
from tests.conftest import HTMX
from tests.tokens.apple import server_token_file, server_token_json
from tests.tokens.conftest import APPLE_ID, download_public_key, make_token
from tokens.models import EnrollmentProgramToken, TokenEncryptionKey


def urls(token: EnrollmentProgramToken) -> tuple[str, str]:
    base = f"/enrollment/apple/tokens/{token.pk}"
    return f"{base}/renew/", f"{base}/renew/public-key/"


def post_renewal(client, token, data: bytes, apple_id: str = "it@appleid.contoso.edu", **extra):
    url, _ = urls(token)
    return client.post(
        url, {"apple_id": apple_id, "token": SimpleUploadedFile("renewed_smime.p7m", data)}, **extra
    )


class TokenRenewTests:
    def test_it_shows_the_flow_with_the_apple_id_prefilled(self, admin_client, push_certificate) -> None:
        token = make_token(apple_id="owner@appleid.contoso.edu")
        response = admin_client.get(urls(token)[0])
        assert response.status_code == 200
        body = response.content.decode()
        assert 'value="owner@appleid.contoso.edu"' in body
        assert "The enrollment program token must be renewed annually. It can be renewed anytime." in body
        assert "Generate a new token via Apple School Manager" in body
        assert "immediately invalidates the token Intune is using" in body
        # The token sits in the breadcrumb, between the list and the renewal.
        assert (
            f'href="/enrollment/apple/tokens/{token.pk}/"'
            in body.split('class="breadcrumb"')[1].split("</nav>")[0]
        )

    def test_htmx_gets_the_blade_only(self, admin_client, push_certificate) -> None:
        response = admin_client.get(urls(make_token())[0], **HTMX)
        assert response.status_code == 200
        assert b"<html" not in response.content
        assert "immediately invalidates the token Intune is using" in response.content.decode()

    def test_it_renews_with_a_new_server_token_of_the_same_mdm_server(
        self, admin_client, admin_user, push_certificate, apple
    ) -> None:
        old_expiry = clock.now() + timedelta(days=10)
        token = make_token(
            expires_at=old_expiry, last_sync_error_code="token_rejected", last_sync_error_at=clock.now()
        )
        apple.accepts(server_name="Lycée Jean Moulin (renamed)", server_uuid=token.server_uuid)
        pem = download_public_key(admin_client, urls(token)[1])
        new_expiry = datetime(2027, 11, 1, 8, 30, tzinfo=UTC)
        payload = server_token_json(expiry=new_expiry)  # a new consumer key: Apple's server UUID decides
        response = post_renewal(admin_client, token, server_token_file(pem, payload))
        assert response.status_code == 302
        assert response["Location"] == f"/enrollment/apple/tokens/{token.pk}/"
        renewed = EnrollmentProgramToken.objects.get()
        assert renewed.pk == token.pk and renewed.created_at == token.created_at  # profiles and devices stay
        assert renewed.expires_at == new_expiry
        assert renewed.apple_id == "it@appleid.contoso.edu"
        assert renewed.token_name == "Lycée Jean Moulin (renamed)"
        assert renewed.access_secret == payload["access_secret"]
        assert renewed.last_sync_error_code == ""
        assert renewed.last_sync_requested_at is not None
        assert not TokenEncryptionKey.objects.exists()
        assert AuditEvent.objects.filter(
            action="Renew enrollment program token", target_id=str(token.pk)
        ).exists()
        notification = Notification.objects.get(user=admin_user)
        assert (notification.title, notification.body) == (
            "Renew successful",
            "Token “Lycée Jean Moulin (renamed)” renewed successfully.",
        )

    def test_the_same_consumer_key_proves_the_same_server(
        self, admin_client, push_certificate, apple
    ) -> None:
        token = make_token(consumer_key="CK_same_server")
        apple.accepts(server_uuid="ANOTHER-UUID-APPLE-REPORTS")
        pem = download_public_key(admin_client, urls(token)[1])
        response = post_renewal(
            admin_client, token, server_token_file(pem, server_token_json(consumer_key="CK_same_server"))
        )
        assert response.status_code == 302

    def test_a_token_of_another_mdm_server_is_refused(self, admin_client, push_certificate, apple) -> None:
        token = make_token(token_name="Lycée Jean Moulin - Intune")
        before = EnrollmentProgramToken.objects.values().get()
        apple.accepts(server_name="Collège Victor Hugo")
        pem = download_public_key(admin_client, urls(token)[1])
        response = post_renewal(admin_client, token, server_token_file(pem, server_token_json()), **HTMX)
        assert response.status_code == 200
        assert (
            "This token belongs to the MDM server “Collège Victor Hugo”, not to “Lycée Jean Moulin - Intune”"
            in response.content.decode()
        )
        assert EnrollmentProgramToken.objects.values().get() == before
        assert TokenEncryptionKey.objects.filter(token=token).exists()

    def test_the_server_token_of_another_token_is_refused(
        self, admin_client, push_certificate, apple
    ) -> None:
        token = make_token()
        make_token(token_name="Collège Victor Hugo", consumer_key="CK_of_victor_hugo")
        pem = download_public_key(admin_client, urls(token)[1])
        response = post_renewal(
            admin_client, token, server_token_file(pem, server_token_json(consumer_key="CK_of_victor_hugo"))
        )
        assert "already uploaded as the token “Collège Victor Hugo”" in response.content.decode()
        assert apple.calls() == []

    def test_a_key_downloaded_to_add_a_token_does_not_renew_one(
        self, admin_client, push_certificate, apple
    ) -> None:
        token = make_token()
        pem = download_public_key(admin_client)  # the add-token flow's key
        response = post_renewal(admin_client, token, server_token_file(pem, server_token_json()))
        assert "Download your public key first" in response.content.decode()

    def test_an_expired_token_can_be_renewed(self, admin_client, push_certificate, apple) -> None:
        token = make_token(expires_at=clock.now() - timedelta(days=3))
        apple.accepts(server_uuid=token.server_uuid)
        pem = download_public_key(admin_client, urls(token)[1])
        assert (
            post_renewal(admin_client, token, server_token_file(pem, server_token_json())).status_code == 302
        )
        assert EnrollmentProgramToken.objects.get().status == "active"

    def test_read_only_operators_are_refused(self, operator_client, push_certificate) -> None:
        token = make_token()
        url, key_url = urls(token)
        assert operator_client.get(url).status_code == 403
        assert operator_client.post(url, {"apple_id": APPLE_ID}).status_code == 403
        assert operator_client.post(key_url, {"consent": "on"}).status_code == 403

    def test_an_unknown_token_is_not_found(self, admin_client, push_certificate) -> None:
        assert admin_client.get("/enrollment/apple/tokens/999/renew/").status_code == 404
        assert (
            admin_client.post("/enrollment/apple/tokens/999/renew/public-key/", {"consent": "on"}).status_code
            == 404
        )

    def test_it_refuses_other_methods(self, admin_client) -> None:
        token = make_token()
        url, key_url = urls(token)
        assert admin_client.delete(url).status_code == 405
        assert admin_client.get(key_url).status_code == 405
