"""GET /session over real HTTP, signed by requests-oauthlib, and every way it refuses."""

from __future__ import annotations

import time
from datetime import timedelta

from urllib3.util import SKIP_HEADER

from mock_apple import clock
from mock_apple.models import AppleAccount, MdmServer, Organization, ServerToken
from mock_apple.services import controls, mdm_servers
from mock_apple.services import organization as organization_services
from tests.mock_apple.conftest import DepClient, assert_schema, live, server_with_token


@live
class SessionTests:
    def test_it_opens_a_session_with_and_without_realm(self, dep_server, organization) -> None:
        _, token = server_with_token(organization)
        for realm in (None, "ADM"):
            response = DepClient(dep_server, token, realm=realm).session()
            assert response.status_code == 200, response.text
            assert response.headers["Content-Type"] == "application/json;charset=UTF8"
            assert set(response.json()) == {"auth_session_token"}
            assert len(response.json()["auth_session_token"]) > 20

    def test_the_session_opens_the_other_endpoints(self, dep_server, organization) -> None:
        _, token = server_with_token(organization)
        client = DepClient(dep_server, token)
        assert client.call("GET", "/account").status_code == 401
        client.authenticate()
        response = client.call("GET", "/account")
        assert response.status_code == 200
        assert_schema(response.json(), "AccountDetail.json")

    def test_a_bad_signature_is_signature_invalid(self, dep_server, organization) -> None:
        _, token = server_with_token(organization)
        response = DepClient(dep_server, {**token, "consumer_secret": "CS_wrong"}).session()
        assert (response.status_code, response.text) == (401, "signature_invalid")
        response = DepClient(dep_server, {**token, "access_secret": "AS_wrong"}).session()
        assert (response.status_code, response.text) == (401, "signature_invalid")

    def test_an_unknown_or_superseded_token_is_token_rejected(self, dep_server, organization) -> None:
        server, token = server_with_token(organization)
        response = DepClient(dep_server, {**token, "consumer_key": "CK_unknown"}).session()
        assert (response.status_code, response.text) == (401, "token_rejected")
        mdm_servers.server_token_issue(actor=None, server=server)  # "Download token" again
        response = DepClient(dep_server, token).session()
        assert (response.status_code, response.text) == (401, "token_rejected")

    def test_a_reused_nonce_and_an_old_timestamp_are_refused(self, dep_server, organization) -> None:
        _, token = server_with_token(organization)
        client = DepClient(dep_server, token)
        assert client.session(nonce="n0nce-fixed-1").status_code == 200
        response = client.session(nonce="n0nce-fixed-1")
        assert (response.status_code, response.text) == (401, "nonce_used")
        response = client.session(timestamp=str(int(time.time()) - 3600))
        assert (response.status_code, response.text) == (401, "timestamp_refused")

    def test_an_expired_server_token_is_refused(self, dep_server, organization) -> None:
        _, token = server_with_token(organization)
        ServerToken.objects.update(access_token_expiry=clock.now() - timedelta(seconds=1))
        response = DepClient(dep_server, token).session()
        assert (response.status_code, response.text) == (401, "token_expired")

    def test_new_terms_answer_t_c_not_signed(self, dep_server, organization) -> None:
        _, token = server_with_token(organization)
        organization_services.terms_publish(organization=organization)
        response = DepClient(dep_server, token).session()
        assert (response.status_code, response.text) == (403, "T_C_NOT_SIGNED")
        organization_services.terms_accept(actor=None, organization=Organization.objects.get())
        assert DepClient(dep_server, token).session().status_code == 200

    def test_no_permission_is_access_denied(self, dep_server, organization) -> None:
        _, token = server_with_token(organization)
        MdmServer.objects.update(access_denied=True)
        response = DepClient(dep_server, token).session()
        assert (response.status_code, response.text) == (403, "ACCESS_DENIED")
        MdmServer.objects.update(access_denied=False)
        AppleAccount.objects.update(is_active=False)  # the admin who downloaded the token left
        assert DepClient(dep_server, token).session().text == "ACCESS_DENIED"

    def test_it_needs_a_user_agent_and_an_oauth_header(self, dep_server, organization) -> None:
        _, token = server_with_token(organization)
        client = DepClient(dep_server, token)
        # urllib3 would add its own User-Agent otherwise; the check comes before the signature's.
        client.http.headers["User-Agent"] = SKIP_HEADER
        response = client.http.get(f"{dep_server}/session", timeout=5)
        assert (response.status_code, response.text) == (400, "USER_AGENT_MISSING")
        client = DepClient(dep_server, token)
        response = client.http.get(f"{dep_server}/session", timeout=5)
        assert (response.status_code, response.text) == (400, "parameter_absent")
        response = client.http.get(
            f"{dep_server}/session",
            headers={"Authorization": 'OAuth oauth_consumer_key="x", oauth_consumer_key="y"'},
        )
        assert (response.status_code, response.text) == (400, "parameter_rejected")

    def test_only_get_and_only_hmac_sha1(self, dep_server, organization) -> None:
        _, token = server_with_token(organization)
        client = DepClient(dep_server, token)
        response = client.http.post(f"{dep_server}/session", auth=client.oauth(), timeout=5)
        assert response.status_code == 405
        assert response.headers["Allow"] == "GET"
        from requests_oauthlib import OAuth1

        plaintext = OAuth1(
            token["consumer_key"],
            token["consumer_secret"],
            token["access_token"],
            token["access_secret"],
            signature_method="PLAINTEXT",
        )
        response = client.http.get(f"{dep_server}/session", auth=plaintext, timeout=5)
        assert (response.status_code, response.text) == (400, "signature_method_rejected")

    def test_sessions_expire(self, dep_server, organization) -> None:
        _, token = server_with_token(organization)
        client = DepClient(dep_server, token)
        client.authenticate()
        assert client.call("GET", "/account").status_code == 200
        controls.clock_set_offset(seconds=181)  # the default lifetime is three minutes
        assert client.call("GET", "/account").status_code == 401
        client.authenticate()  # signed on Apple's moved clock: on time
        assert client.call("GET", "/account").status_code == 200

    def test_a_revoked_token_closes_its_sessions(self, dep_server, organization) -> None:
        server, token = server_with_token(organization)
        client = DepClient(dep_server, token)
        client.authenticate()
        mdm_servers.server_token_revoke(server=server)
        assert client.call("GET", "/account").status_code == 401
        assert client.session().text == "token_rejected"
