"""The DEP client against Apple's answers (narrow unit tests with `responses`)."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
import responses
from oauthlib.common import Request
from oauthlib.oauth1.rfc5849 import signature, utils

from tests.tokens.apple import APPLE_BASE_URL, account_json
from tests.tokens.conftest import make_token
from tokens import services
from tokens.dep_client import DepClient, DepError, OAuthCredentials, apple_error_code
from tokens.models import EnrollmentProgramToken

CREDENTIALS = OAuthCredentials(
    consumer_key="CK_3a1b9c0d2e",
    consumer_secret="CS_secret_of_the_consumer",
    access_token="AT_7f8e9d0c1b",
    access_secret="AS_secret_of_the_access",
)
SECRETS = ("CS_secret_of_the_consumer", "AS_secret_of_the_access", "AT_7f8e9d0c1b", "session-secret-1")


@pytest.fixture
def apple(settings):
    settings.APPLE_BASE_URL = APPLE_BASE_URL
    with responses.RequestsMock() as mock:
        yield mock


def session_ok(apple, token: str = "session-secret-1") -> None:
    apple.get(f"{APPLE_BASE_URL}/session", json={"auth_session_token": token})


def verify(authorization: str, url: str, consumer_secret: str, access_secret: str) -> bool:
    """Check the signature the way Apple (and the mock) does: oauthlib's HMAC-SHA1 verifier."""
    headers = {"Authorization": authorization}
    request = Request(url, "GET", None, headers)
    request.params = signature.collect_parameters(headers=headers, exclude_oauth_signature=True)
    everything = signature.collect_parameters(headers=headers, exclude_oauth_signature=False)
    request.signature = dict(everything)["oauth_signature"]
    return bool(signature.verify_hmac_sha1(request, consumer_secret, access_secret))


class DepClientTests:
    def test_it_signs_session_with_oauth1_hmac_sha1(self, apple) -> None:
        session_ok(apple)
        assert DepClient(CREDENTIALS).authenticate() == "session-secret-1"
        authorization = apple.calls[0].request.headers["Authorization"]
        params = dict(utils.parse_authorization_header(authorization))
        assert params["oauth_consumer_key"] == "CK_3a1b9c0d2e"
        assert params["oauth_token"] == "AT_7f8e9d0c1b"
        assert params["oauth_signature_method"] == "HMAC-SHA1"
        assert params["oauth_version"] == "1.0"
        assert params["oauth_nonce"] and params["oauth_timestamp"].isdigit()
        url = f"{APPLE_BASE_URL}/session"
        assert verify(authorization, url, CREDENTIALS.consumer_secret, CREDENTIALS.access_secret)
        assert not verify(authorization, url, CREDENTIALS.consumer_secret, "AS_another_secret")

    def test_every_call_carries_apple_s_headers(self, apple, settings) -> None:
        settings.APPLE_SERVER_PROTOCOL_VERSION = 9
        session_ok(apple)
        apple.get(f"{APPLE_BASE_URL}/account", json=account_json(server_name="Lycée"))
        assert DepClient(CREDENTIALS).account()["server_name"] == "Lycée"
        session, account = (call.request.headers for call in apple.calls)
        for headers in (session, account):
            assert re.fullmatch(r"asm-portal/\d+\.\d+\.\d+", headers["User-Agent"])
            assert headers["X-Server-Protocol-Version"] == "9"
            assert headers["Content-Type"] == "application/json;charset=UTF8"
        assert "X-ADM-Auth-Session" not in session
        assert account["X-ADM-Auth-Session"] == "session-secret-1"
        assert "Authorization" not in account

    def test_a_new_session_header_replaces_the_stored_one(self, apple) -> None:
        session_ok(apple)
        apple.get(f"{APPLE_BASE_URL}/account", json={}, headers={"X-ADM-Auth-Session": "session-2"})
        apple.get(f"{APPLE_BASE_URL}/account", json={})
        client = DepClient(CREDENTIALS)
        client.account()
        client.account()
        assert apple.calls[2].request.headers["X-ADM-Auth-Session"] == "session-2"
        assert len(apple.calls) == 3  # no second sign-in

    @pytest.mark.parametrize(("status", "body"), [(401, "UNAUTHORIZED"), (403, '"FORBIDDEN"')])
    def test_a_rejected_session_signs_in_again_and_replays_once(self, apple, status, body) -> None:
        session_ok(apple, "session-1")
        apple.get(f"{APPLE_BASE_URL}/account", status=status, body=body)
        session_ok(apple, "session-2")
        apple.get(f"{APPLE_BASE_URL}/account", json={"server_name": "x"})
        assert DepClient(CREDENTIALS).account() == {"server_name": "x"}
        assert [c.request.url.rsplit("/", 1)[1] for c in apple.calls] == [
            "session",
            "account",
            "session",
            "account",
        ]
        assert apple.calls[3].request.headers["X-ADM-Auth-Session"] == "session-2"

    def test_it_replays_only_once(self, apple) -> None:
        session_ok(apple)
        apple.get(f"{APPLE_BASE_URL}/account", status=401, body="UNAUTHORIZED")
        with pytest.raises(DepError) as caught:
            DepClient(CREDENTIALS).account()
        assert caught.value.status == 401
        assert len(apple.calls) == 4

    def test_terms_not_accepted_is_not_a_session_problem(self, apple) -> None:
        session_ok(apple)
        apple.get(f"{APPLE_BASE_URL}/account", status=403, body="T_C_NOT_SIGNED")
        with pytest.raises(DepError) as caught:
            DepClient(CREDENTIALS).account()
        assert (caught.value.status, caught.value.code) == (403, "T_C_NOT_SIGNED")
        assert len(apple.calls) == 2

    def test_session_refusals_carry_apple_s_code(self, apple) -> None:
        apple.get(f"{APPLE_BASE_URL}/session", status=401, body="oauth_problem=token_rejected")
        with pytest.raises(DepError) as caught:
            DepClient(CREDENTIALS).account()
        assert (caught.value.status, caught.value.code) == (401, "token_rejected")
        assert len(apple.calls) == 1

    @pytest.mark.parametrize(
        ("body", "code"),
        [
            ("T_C_NOT_SIGNED", "T_C_NOT_SIGNED"),
            ('"ACCESS_DENIED"', "ACCESS_DENIED"),
            ('"EXHAUSTED_CURSOR"\n', "EXHAUSTED_CURSOR"),
            ('{"error": "signature_invalid"}', "signature_invalid"),
            ("SOMETHING_NEW", "SOMETHING_NEW"),
            ("<html>Bad gateway</html>", ""),
            ("", ""),
        ],
    )
    def test_error_codes_are_matched_bare_or_quoted(self, body, code) -> None:
        assert apple_error_code(body) == code

    def test_retry_after_in_seconds_or_as_a_date(self, apple) -> None:
        apple.get(
            f"{APPLE_BASE_URL}/session", status=429, body="too_many_requests", headers={"Retry-After": "120"}
        )
        with pytest.raises(DepError) as caught:
            DepClient(CREDENTIALS).authenticate()
        assert (caught.value.status, caught.value.code, caught.value.retry_after) == (
            429,
            "too_many_requests",
            120,
        )
        later = format_datetime(datetime.now(UTC) + timedelta(seconds=300), usegmt=True)
        apple.get(f"{APPLE_BASE_URL}/session", status=503, body="", headers={"Retry-After": later})
        with pytest.raises(DepError) as caught:
            DepClient(CREDENTIALS).authenticate()
        assert caught.value.retry_after is not None and 290 <= caught.value.retry_after <= 300

    def test_an_unreachable_apple_is_one_error_too(self, apple) -> None:
        apple.get(f"{APPLE_BASE_URL}/session", body=requests.ConnectTimeout("timed out"))
        with pytest.raises(DepError) as caught:
            DepClient(CREDENTIALS).account()
        assert caught.value.unreachable and caught.value.status is None
        assert "could not be reached" in str(caught.value)

    def test_a_session_answer_without_a_token_is_an_error(self, apple) -> None:
        apple.get(f"{APPLE_BASE_URL}/session", json={"auth_session_token": ""})
        with pytest.raises(DepError) as caught:
            DepClient(CREDENTIALS).authenticate()
        assert caught.value.code == "INVALID_RESPONSE"

    def test_it_uses_the_configured_base_url_and_timeout(self, settings) -> None:
        settings.APPLE_BASE_URL = "http://apple.test:9999"
        settings.APPLE_HTTP_TIMEOUT_SECONDS = 7
        seen: dict[str, object] = {}

        class Recorder(requests.Session):
            def request(self, method, url, **kwargs):  # type: ignore[override]
                seen.update(url=url, timeout=kwargs["timeout"])
                raise requests.ConnectionError("stop here")

        with pytest.raises(DepError):
            DepClient(CREDENTIALS, http=Recorder()).authenticate()
        assert seen == {"url": "http://apple.test:9999/session", "timeout": 7}

    def test_secrets_and_sessions_never_reach_logs_or_errors(self, apple, caplog) -> None:
        caplog.set_level(logging.DEBUG)
        session_ok(apple)
        apple.get(f"{APPLE_BASE_URL}/account", status=403, body="ACCESS_DENIED")
        client = DepClient(CREDENTIALS)
        with pytest.raises(DepError) as caught:
            client.account()
        texts = [
            caplog.text,
            str(caught.value),
            repr(caught.value),
            repr(CREDENTIALS),
            str(CREDENTIALS),
            repr(client),
        ]
        assert "GET /account -> 403" in caplog.text
        for secret in (*SECRETS, CREDENTIALS.consumer_key):
            for text in texts:
                assert secret not in text


class TokenDepClientTests:
    def test_it_speaks_for_the_token_even_when_loaded_without_its_secrets(self, db, settings) -> None:
        settings.APPLE_BASE_URL = APPLE_BASE_URL
        token = make_token(consumer_key="CK_of_this_token")
        light = EnrollmentProgramToken.objects.get(pk=token.pk)  # the default manager defers them
        assert set(light.get_deferred_fields()) >= set(EnrollmentProgramToken.SECRET_FIELDS)
        with responses.RequestsMock() as apple:
            apple.get(f"{APPLE_BASE_URL}/session", json={"auth_session_token": "s"})
            apple.get(f"{APPLE_BASE_URL}/account", json=account_json(server_name="Lycée"))
            assert services.token_dep_client(token=light).account()["server_name"] == "Lycée"
            headers = {"Authorization": apple.calls[0].request.headers["Authorization"]}
        params = dict(signature.collect_parameters(headers=headers))
        assert (params["oauth_consumer_key"], params["oauth_token"]) == (
            "CK_of_this_token",
            token.access_token,
        )
