"""Fixtures of the tokens tests: an active push certificate and Apple's answers over `responses`."""

from __future__ import annotations

import hashlib
import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import responses
from django.test import Client

from asm_portal import clock
from tests.tokens.apple import APPLE_BASE_URL, PushCertificatesPortal, account_json
from tokens import pki, push_certificates
from tokens.models import ApplePushCertificate, EnrollmentProgramToken

PUBLIC_KEY_URL = "/enrollment/apple/tokens/add/public-key/"
APPLE_ID = "admin@appleid.contoso.edu"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # The users of these tests sign in with known passwords; PBKDF2 would cost 0.2 s per user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def rsa_key_pool() -> list[Any]:
    return [pki.rsa_key_generate() for _ in range(6)]


@pytest.fixture(autouse=True)
def _fast_rsa_keys(request, monkeypatch, rsa_key_pool) -> None:
    """RSA-2048 generation costs ~100 ms; tests draw distinct keys from a pool made once.

    tests/tokens/test_pki.py checks the real generation (marker `real_keys`).
    """
    if request.node.get_closest_marker("real_keys") is None:
        pool = itertools.cycle(rsa_key_pool)
        monkeypatch.setattr(pki, "rsa_key_generate", lambda: next(pool))


@pytest.fixture(scope="session")
def push_portal() -> PushCertificatesPortal:
    return PushCertificatesPortal()


@pytest.fixture
def push_certificate(admin_user, push_portal) -> ApplePushCertificate:
    request = push_certificates.push_certificate_request_create(actor=admin_user)
    return push_certificates.push_certificate_upload(
        actor=admin_user, apple_id=APPLE_ID, data=push_portal.sign(request.csr_pem)
    )


@dataclass
class AppleStub:
    """Apple's DEP API answers for the narrow unit tests (integration tests use the real mock)."""

    mock: responses.RequestsMock

    def accepts(self, **account: Any) -> dict[str, Any]:
        body = account_json(**account)
        self.mock.get(f"{APPLE_BASE_URL}/session", json={"auth_session_token": "session-1"})
        self.mock.get(f"{APPLE_BASE_URL}/account", json=body)
        return body

    def refuses(self, status: int, body: str) -> None:
        self.mock.get(f"{APPLE_BASE_URL}/session", status=status, body=body)

    def calls(self) -> list[str]:
        return [call.request.url or "" for call in self.mock.calls]


@pytest.fixture
def apple(settings) -> Iterator[AppleStub]:
    settings.APPLE_BASE_URL = APPLE_BASE_URL
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield AppleStub(mock)


def download_public_key(client: Client, url: str = PUBLIC_KEY_URL) -> str:
    """Step 1 as the browser does it: tick "I agree", download the .pem."""
    response = client.post(url, {"consent": "on"})
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Disposition"] == 'attachment; filename="IntunePublicKey.pem"'
    return response.content.decode()


def make_token(**fields: Any) -> EnrollmentProgramToken:
    """A token as an upload leaves it, without the upload (for the blades that show tokens)."""
    now = clock.now()
    consumer_key = fields.pop("consumer_key", f"CK_{uuid.uuid4().hex}")
    values: dict[str, Any] = {
        "token_name": "Lycée Jean Moulin - Intune",
        "apple_id": APPLE_ID,
        "token_type": EnrollmentProgramToken.TokenType.APPLE_SCHOOL_MANAGER,
        "org_name": "Contoso School District",
        "server_uuid": uuid.uuid4().hex.upper(),
        "consumer_key": consumer_key,
        "consumer_key_sha256": hashlib.sha256(consumer_key.encode()).hexdigest(),
        "consumer_secret": f"CS_{uuid.uuid4().hex}",
        "access_token": f"AT_{uuid.uuid4().hex}",
        "access_secret": f"AS_{uuid.uuid4().hex}",
        "expires_at": now + timedelta(days=365),
        "created_at": now,
        "modified_at": now,
        "data_sharing_consent": True,
        **fields,
    }
    return EnrollmentProgramToken.objects.create(**values)
