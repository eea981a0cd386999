"""The token services: the public key of a token request and the upload, with every bad input
refused with its own message, saving nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from asm_portal.models import AuditEvent
from tests.tokens.apple import (
    APPLE_BASE_URL,
    envelope,
    inner_entity,
    self_signed_certificate_pem,
    server_token_file,
    server_token_json,
    smime,
)
from tests.tokens.conftest import APPLE_ID
from tokens import services
from tokens.models import EnrollmentProgramToken, TokenEncryptionKey
from tokens.refusals import UploadError


@pytest.fixture
def key(admin_user, push_certificate) -> TokenEncryptionKey:
    return services.token_public_key_create(actor=admin_user, data_sharing_consent=True)


def upload(admin_user, key: TokenEncryptionKey, data: bytes) -> EnrollmentProgramToken:
    return services.token_upload(actor=admin_user, apple_id=APPLE_ID, data=data, key_ids=[key.pk])


def refused(admin_user, key: TokenEncryptionKey, data: bytes, problem: str) -> str:
    """Upload, expect a refusal of this kind; nothing may have been saved but the refusal's own
    line in the audit log (what the class board shows as the trainee's last error)."""
    tokens_before = EnrollmentProgramToken.objects.count()
    audit_before = AuditEvent.objects.count()
    with pytest.raises(UploadError) as caught:
        upload(admin_user, key, data)
    assert caught.value.code == problem
    assert EnrollmentProgramToken.objects.count() == tokens_before
    assert AuditEvent.objects.count() == audit_before + 1
    refusal = AuditEvent.objects.first()
    assert refusal is not None and refusal.result == AuditEvent.Result.FAILURE
    assert refusal.action == "Upload enrollment program token"
    assert refusal.details["error"] == str(caught.value) and refusal.details["code"] == problem
    assert TokenEncryptionKey.objects.filter(pk=key.pk).exists(), "a refused upload keeps the key"
    return str(caught.value)


class TokenUploadTests:
    def test_it_adds_an_apple_school_manager_token_named_after_the_mdm_server(
        self, admin_user, key, apple
    ) -> None:
        account = apple.accepts(server_name="Lycée Jean Moulin - Intune")
        payload = server_token_json()
        token = upload(admin_user, key, server_token_file(key.certificate_pem, payload))

        assert token.token_name == "Lycée Jean Moulin - Intune"
        assert token.token_type == EnrollmentProgramToken.TokenType.APPLE_SCHOOL_MANAGER
        assert token.server_uuid == account["server_uuid"]
        assert token.org_name == "Contoso School District"
        assert token.apple_id == APPLE_ID
        assert token.expires_at == datetime.fromisoformat(
            payload["access_token_expiry"].replace("Z", "+00:00")
        )
        assert token.data_sharing_consent is True
        saved = EnrollmentProgramToken.objects.get(pk=token.pk)
        assert saved.consumer_secret == payload["consumer_secret"]
        assert saved.access_secret == payload["access_secret"]
        assert apple.calls() == [f"{APPLE_BASE_URL}/session", f"{APPLE_BASE_URL}/account"]

    def test_it_requests_the_first_sync_and_audits(self, admin_user, key, apple) -> None:
        apple.accepts()
        token = upload(admin_user, key, server_token_file(key.certificate_pem, server_token_json()))
        assert token.last_sync_requested_at is not None
        assert token.last_successful_sync_at is None
        events = AuditEvent.objects.filter(target_type="Enrollment program token", target_id=str(token.pk))
        actions = list(events.values_list("action", flat=True))
        assert sorted(actions) == [
            "Request sync of enrollment program token",
            "Upload enrollment program token",
        ]

    def test_the_key_is_used_once(self, admin_user, key, apple) -> None:
        apple.accepts()
        upload(admin_user, key, server_token_file(key.certificate_pem, server_token_json()))
        assert not TokenEncryptionKey.objects.filter(pk=key.pk).exists()

    @pytest.mark.parametrize(
        ("org_type", "org_version", "expected"),
        [
            ("edu", "v2", EnrollmentProgramToken.TokenType.APPLE_SCHOOL_MANAGER),
            ("org", "v2", EnrollmentProgramToken.TokenType.DEP),
            ("edu", "v1", EnrollmentProgramToken.TokenType.DEP),
        ],
    )
    def test_it_tells_the_program_type_from_apple_s_answer(
        self, admin_user, key, apple, org_type, org_version, expected
    ) -> None:
        apple.accepts(org_type=org_type, org_version=org_version)
        token = upload(admin_user, key, server_token_file(key.certificate_pem, server_token_json()))
        assert token.token_type == expected

    def test_it_reads_der_and_tokens_without_message_markers(self, admin_user, key, apple) -> None:
        apple.accepts()
        data = server_token_file(key.certificate_pem, server_token_json(), markers=False, as_der=True)
        assert upload(admin_user, key, data).pk

    def test_it_decrypts_with_whichever_downloaded_key_apple_used(self, admin_user, key, apple) -> None:
        apple.accepts()
        second = services.token_public_key_create(actor=admin_user, data_sharing_consent=True)
        data = server_token_file(key.certificate_pem, server_token_json())
        token = services.token_upload(
            actor=admin_user, apple_id=APPLE_ID, data=data, key_ids=[second.pk, key.pk]
        )
        assert token.pk

    # --- Every bad input: its own message, nothing saved -------------------------------------

    @pytest.mark.parametrize(
        "data",
        [
            b"",
            b"hello, this is a text file\n",
            b"\x89PNG\r\n\x1a\n" + bytes(200),
            self_signed_certificate_pem().encode(),
            b"Content-Type: text/plain\r\n\r\nnot a token\r\n",
        ],
        ids=["empty", "text", "png", "certificate", "mime-text"],
    )
    def test_a_file_that_is_not_a_server_token(self, admin_user, key, apple, data) -> None:
        message = refused(admin_user, key, data, "not_pkcs7")
        assert "not a server token" in message
        assert apple.calls() == []

    def test_a_token_encrypted_to_another_public_key(self, admin_user, key, apple) -> None:
        data = server_token_file(self_signed_certificate_pem(), server_token_json())
        message = refused(admin_user, key, data, "wrong_recipient")
        assert "not created with the public key downloaded from this portal" in message
        assert apple.calls() == []

    def test_a_truncated_token(self, admin_user, key, apple) -> None:
        der = envelope(key.certificate_pem, inner_entity(server_token_json()))
        message = refused(admin_user, key, smime(der[: len(der) - 40]), "corrupt")
        assert "damaged or incomplete" in message
        refused(admin_user, key, smime(der)[:-120], "corrupt")

    def test_a_corrupt_token(self, admin_user, key, apple) -> None:
        der = bytearray(envelope(key.certificate_pem, inner_entity(server_token_json())))
        der[-3] ^= 0xFF  # the last block of the encrypted content: the padding no longer checks
        message = refused(admin_user, key, smime(bytes(der)), "corrupt")
        assert "damaged or incomplete" in message

    def test_a_token_whose_content_is_not_json(self, admin_user, key, apple) -> None:
        refused(admin_user, key, server_token_file(key.certificate_pem, "{not json"), "corrupt")

    def test_a_token_missing_fields(self, admin_user, key, apple) -> None:
        payload = server_token_json()
        del payload["access_secret"]
        payload["consumer_secret"] = ""
        message = refused(admin_user, key, server_token_file(key.certificate_pem, payload), "missing_fields")
        assert "consumer_secret, access_secret" in message
        assert apple.calls() == []

    def test_a_token_with_an_unreadable_expiry(self, admin_user, key, apple) -> None:
        payload = server_token_json(access_token_expiry="next year")
        message = refused(admin_user, key, server_token_file(key.certificate_pem, payload), "missing_fields")
        assert "access_token_expiry" in message

    def test_an_expired_token(self, admin_user, key, apple) -> None:
        payload = server_token_json(expiry=datetime.now(UTC) - timedelta(days=1))
        message = refused(admin_user, key, server_token_file(key.certificate_pem, payload), "expired")
        assert "expired on" in message
        assert apple.calls() == []

    def test_the_same_server_token_twice(self, admin_user, key, apple) -> None:
        apple.accepts(server_name="Collège Victor Hugo")
        payload = server_token_json()
        upload(admin_user, key, server_token_file(key.certificate_pem, payload))
        again = services.token_public_key_create(actor=admin_user, data_sharing_consent=True)
        message = refused(admin_user, again, server_token_file(again.certificate_pem, payload), "duplicate")
        assert "already uploaded as the token “Collège Victor Hugo”" in message

    def test_another_token_of_an_mdm_server_already_added(self, admin_user, key, apple) -> None:
        account = apple.accepts(server_name="Collège Victor Hugo")
        upload(admin_user, key, server_token_file(key.certificate_pem, server_token_json()))
        again = services.token_public_key_create(actor=admin_user, data_sharing_consent=True)
        apple.accepts(server_name="Collège Victor Hugo", server_uuid=account["server_uuid"])
        data = server_token_file(again.certificate_pem, server_token_json())
        message = refused(admin_user, again, data, "duplicate")
        assert "renew “Collège Victor Hugo”" in message

    @pytest.mark.parametrize(
        ("status", "body", "problem", "words"),
        [
            (403, "T_C_NOT_SIGNED", "apple_T_C_NOT_SIGNED", "terms and conditions"),
            (403, '"ACCESS_DENIED"', "apple_ACCESS_DENIED", "denied access"),
            (401, "oauth_problem=token_rejected", "apple_token_rejected", "revoked or replaced"),
            (401, "signature_invalid", "apple_signature_invalid", "signature"),
            (500, "", "apple_500", "Apple answered 500"),
        ],
    )
    def test_apple_refuses_the_token(self, admin_user, key, apple, status, body, problem, words) -> None:
        apple.refuses(status, body)
        message = refused(
            admin_user, key, server_token_file(key.certificate_pem, server_token_json()), problem
        )
        assert words in message

    def test_apple_cannot_be_reached(self, admin_user, key, apple) -> None:
        apple.mock.get(f"{APPLE_BASE_URL}/session", body=requests.ConnectionError("refused"))
        message = refused(
            admin_user, key, server_token_file(key.certificate_pem, server_token_json()), "apple_unreachable"
        )
        assert "cannot be reached" in message

    def test_apple_answers_something_else(self, admin_user, key, apple) -> None:
        apple.mock.get(f"{APPLE_BASE_URL}/session", json={"auth_session_token": "s"})
        apple.mock.get(f"{APPLE_BASE_URL}/account", json={"org_name": "no server here"})
        refused(
            admin_user,
            key,
            server_token_file(key.certificate_pem, server_token_json()),
            "apple_invalid_response",
        )

    def test_no_public_key_was_downloaded(self, admin_user, key, apple) -> None:
        data = server_token_file(key.certificate_pem, server_token_json())
        with pytest.raises(UploadError) as caught:
            services.token_upload(actor=admin_user, apple_id=APPLE_ID, data=data, key_ids=[])
        assert caught.value.code == "no_public_key"
        assert not EnrollmentProgramToken.objects.exists()

    def test_a_renewal_key_does_not_add_a_token(self, admin_user, key, apple) -> None:
        apple.accepts()
        token = upload(admin_user, key, server_token_file(key.certificate_pem, server_token_json()))
        renewal_key = services.token_public_key_create(
            actor=admin_user, token=token, data_sharing_consent=True
        )
        data = server_token_file(renewal_key.certificate_pem, server_token_json())
        with pytest.raises(UploadError) as caught:
            services.token_upload(actor=admin_user, apple_id=APPLE_ID, data=data, key_ids=[renewal_key.pk])
        assert caught.value.code == "no_public_key"

    def test_no_active_push_certificate(self, admin_user, db, apple) -> None:
        with pytest.raises(UploadError) as caught:
            services.token_upload(actor=admin_user, apple_id=APPLE_ID, data=b"x", key_ids=[])
        assert caught.value.code == "no_push_certificate"
        assert "Apple MDM Push certificate" in str(caught.value)

    def test_the_tenant_limit(self, admin_user, key, apple, settings) -> None:
        apple.accepts()
        upload(admin_user, key, server_token_file(key.certificate_pem, server_token_json()))
        settings.ASM_MAX_ENROLLMENT_PROGRAM_TOKENS = 1
        again = services.token_public_key_create(actor=admin_user, data_sharing_consent=True)
        message = refused(
            admin_user, again, server_token_file(again.certificate_pem, server_token_json()), "limit"
        )
        assert "maximum of 1 enrollment program token" in message

    def test_several_tokens_per_tenant(self, admin_user, key, apple) -> None:
        apple.accepts(server_name="École A")
        upload(admin_user, key, server_token_file(key.certificate_pem, server_token_json()))
        second = services.token_public_key_create(actor=admin_user, data_sharing_consent=True)
        apple.mock.reset()
        apple.accepts(server_name="École B")
        upload(admin_user, second, server_token_file(second.certificate_pem, server_token_json()))
        assert list(EnrollmentProgramToken.objects.values_list("token_name", flat=True)) == [
            "École A",
            "École B",
        ]

    def test_read_only_operators_cannot_upload(self, operator_user, key) -> None:
        from django.core.exceptions import PermissionDenied

        with pytest.raises(PermissionDenied):
            services.token_upload(actor=operator_user, apple_id=APPLE_ID, data=b"x", key_ids=[key.pk])
        with pytest.raises(PermissionDenied):
            services.token_public_key_create(actor=operator_user, data_sharing_consent=True)
