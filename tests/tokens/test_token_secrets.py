"""The four OAuth values never leave the database: not in pages, logs, error pages, or in clear there."""

from __future__ import annotations

import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from tests.tokens.apple import server_token_file, server_token_json
from tests.tokens.conftest import APPLE_ID, download_public_key
from tokens import pki
from tokens.models import ApplePushCertificate, EnrollmentProgramToken, TokenEncryptionKey

ADD_URL = "/enrollment/apple/tokens/add/"
OAUTH_VALUES = ("consumer_key", "consumer_secret", "access_token", "access_secret")


def secrets_of(payload: dict[str, str]) -> list[str]:
    return [payload[name] for name in OAUTH_VALUES]


class TokenSecretsTests:
    def test_no_page_and_no_log_line_shows_them(self, admin_client, push_certificate, apple, caplog) -> None:
        caplog.set_level(logging.DEBUG)
        apple.accepts(server_name="Lycée Jean Moulin")
        pem = download_public_key(admin_client)
        payload = server_token_json()
        data = server_token_file(pem, payload)
        response = admin_client.post(
            ADD_URL, {"apple_id": APPLE_ID, "token": SimpleUploadedFile("t.p7m", data)}
        )
        token = EnrollmentProgramToken.objects.get()
        pages = [response.content]
        for url in (
            "/enrollment/apple/tokens/",
            f"/enrollment/apple/tokens/{token.pk}/",
            f"/enrollment/apple/tokens/{token.pk}/renew/",
            f"/enrollment/apple/tokens/{token.pk}/delete/",
            "/tenant-admin/audit-logs/",
            "/notifications/",
        ):
            page = admin_client.get(url)
            assert page.status_code == 200, url
            pages.append(page.content)
        assert "Lycée Jean Moulin".encode() in pages[2]
        # A refused upload (Apple says no) logs and shows its error, still without them.
        pem = download_public_key(admin_client)
        apple.refuses(403, "ACCESS_DENIED")
        refused = admin_client.post(
            ADD_URL,
            {
                "apple_id": APPLE_ID,
                "token": SimpleUploadedFile("t.p7m", server_token_file(pem, server_token_json())),
            },
        )
        assert b"ACCESS_DENIED" in refused.content
        pages.append(refused.content)
        assert "GET /session -> 403" in caplog.text
        for secret in secrets_of(payload):
            assert all(secret.encode() not in page for page in pages), secret
            assert secret not in caplog.text, secret

    @pytest.mark.parametrize("where", ["reading the token", "saving the token"])
    def test_the_debug_error_page_hides_them(
        self, admin_user, push_certificate, apple, settings, monkeypatch, where
    ) -> None:
        settings.DEBUG = True
        client = Client(raise_request_exception=False)
        client.force_login(admin_user)
        apple.accepts()
        pem = download_public_key(client)
        payload = server_token_json()

        def failing_save(self, *args, **kwargs):
            raise RuntimeError("the database went away")

        if where == "saving the token":
            monkeypatch.setattr(EnrollmentProgramToken, "save", failing_save)
        else:
            # An unexpected failure once the JSON was decrypted and parsed: building the public
            # `ServerToken` fails while `server_token_parse`'s frame holds every OAuth value.
            monkeypatch.setattr(pki, "ServerToken", lambda **values: failing_save(None))
        response = client.post(
            ADD_URL,
            {"apple_id": APPLE_ID, "token": SimpleUploadedFile("t.p7m", server_token_file(pem, payload))},
        )
        assert response.status_code == 500
        body = response.content.decode()
        assert "the database went away" in body and "token_upload" in body  # the technical page
        assert "Local vars" in body
        for secret in secrets_of(payload):
            assert secret not in body, secret
        assert not EnrollmentProgramToken.objects.exists()

    @pytest.mark.parametrize(
        ("model", "columns"),
        [
            (EnrollmentProgramToken, OAUTH_VALUES),
            (TokenEncryptionKey, ("private_key",)),
            (ApplePushCertificate, ("private_key",)),
        ],
    )
    def test_the_database_holds_ciphertext(
        self, admin_user, admin_client, push_certificate, apple, model, columns
    ) -> None:
        apple.accepts()
        pem = download_public_key(admin_client)
        payload = server_token_json()
        if model is EnrollmentProgramToken:
            admin_client.post(
                ADD_URL,
                {"apple_id": APPLE_ID, "token": SimpleUploadedFile("t.p7m", server_token_file(pem, payload))},
            )
        instance = model.objects.get()
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE id = %s", [instance.pk])
            raw = cursor.fetchone()
        for column, stored in zip(columns, raw, strict=True):
            plaintext = getattr(instance, column)
            assert plaintext and stored and stored != plaintext
            assert stored.startswith("gAAAAA")  # a Fernet token
            assert plaintext not in stored and "PRIVATE KEY" not in stored
            if model is EnrollmentProgramToken:
                assert payload[column] == plaintext
