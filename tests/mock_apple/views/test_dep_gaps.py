"""The DEP API gaps that real clients found: /account's urls, the 404s, the new endpoints, the clock."""

from __future__ import annotations

import time

import requests

from mock_apple import tenancy
from mock_apple.services import controls
from tests.mock_apple.conftest import DepClient, assert_schema, live, server_with_token
from tests.mock_apple.test_organizations import trainee


@live
class DepGapTests:
    def client(self, dep_server: str, organization) -> DepClient:
        _, token = server_with_token(organization, devices=2)
        client = DepClient(dep_server, token, version=7)
        client.authenticate()
        return client

    def test_account_urls_are_apples_18_paths_with_a_default_limit_of_1000(
        self, dep_server, organization
    ) -> None:
        body = self.client(dep_server, organization).call("GET", "/account").json()
        assert_schema(body, "AccountDetail.json")
        urls = {url["uri"]: url for url in body["urls"]}
        assert len(body["urls"]) == 18
        assert all(uri.startswith("/") for uri in urls)
        assert {"/session", "/roster/class/sync", "/profile/tvprovider"} <= set(urls)
        assert urls["/server/devices"]["limit"] == {"default": 1000, "maximum": 1000}
        assert urls["/devices/sync"]["limit"] == {"default": 1000, "maximum": 1000}

    def test_an_unknown_profile_on_assign_is_a_404(self, dep_server, organization) -> None:
        client = self.client(dep_server, organization)
        response = client.call("POST", "/profile/devices", {"profile_uuid": "C" * 32, "devices": ["X"]})
        assert (response.status_code, response.text) == (404, "PROFILE_NOT_FOUND")

    def test_beta_enrollment_tokens(self, dep_server, organization) -> None:
        response = self.client(dep_server, organization).call("GET", "/os-beta-enrollment/tokens")
        assert response.status_code == 200
        assert_schema(response.json(), "GetSeedBuildTokenResponse.json")
        assert response.json()["betaEnrollmentTokens"][0]["os"] == "iOS"

    def test_account_driven_enrollment_profile(self, dep_server, organization) -> None:
        client = self.client(dep_server, organization)
        assert client.call("GET", "/account-driven-enrollment/profile").json() == {}
        assert client.call("POST", "/account-driven-enrollment/profile", {}).text == (
            "MDM_SERVICE_DISCOVERY_URL_REQUIRED"
        )
        bad = client.call("POST", "/account-driven-enrollment/profile", {"mdm_service_discovery_url": "nope"})
        assert bad.text == "MDM_SERVICE_DISCOVERY_URL_NOT_VALID"
        url = "https://mdm.example.com/.well-known/com.apple.remotemanagement"
        assert client.call(
            "POST", "/account-driven-enrollment/profile", {"mdm_service_discovery_url": url}
        ).ok
        body = client.call("GET", "/account-driven-enrollment/profile").json()
        assert_schema(body, "GetAccountDrivenEnrollmentProfileResponse.json")
        assert body["mdm_service_discovery_url"] == url
        assert client.call("DELETE", "/account-driven-enrollment/profile").ok
        assert client.call("GET", "/account-driven-enrollment/profile").json() == {}

    def test_an_unknown_path_is_apples_plain_404(self, dep_server, organization) -> None:
        for path in ("/no/such/endpoint", "/profiles", "/devices/unknown"):
            response = requests.get(f"{dep_server}{path}", timeout=5)
            assert response.status_code == 404
            assert response.text == "NOT_FOUND" and "<html" not in response.text.lower()
        assert (
            b"<" in requests.get(f"{dep_server}/asm/nothing-here/", timeout=5).content
        )  # the portal stays HTML

    def test_the_oauth_timestamp_follows_the_mock_clock_only(self, dep_server, organization) -> None:
        _, token = server_with_token(organization, devices=0)
        client = DepClient(dep_server, token)
        controls.clock_set_offset(seconds=600)
        try:
            apple_now = int(time.time()) + 600
            # A client whose clock follows Apple's (moved) clock is on time, a few minutes off too...
            assert client.session(timestamp=str(apple_now)).status_code == 200
            assert client.session(timestamp=str(apple_now - 240)).status_code == 200
            # ...but not ten minutes off it, even when that is the machine's (real) time: Apple's
            # server clock is the only clock.
            for timestamp in (int(time.time()), apple_now + 600):
                late = client.session(timestamp=str(timestamp))
                assert (late.status_code, late.text) == (401, "timestamp_refused")
        finally:
            controls.clock_set_offset(seconds=0)

    def test_the_timestamp_is_checked_on_the_clock_of_the_token_s_organisation(
        self, dep_server, organization
    ) -> None:
        other = trainee(devices=2)
        _, theirs = server_with_token(other, name="Trainee MDM", devices=0)
        _, ours = server_with_token(organization, devices=0)
        with tenancy.acting_for(other.pk):
            controls.clock_set_offset(seconds=86_400)
        now = int(time.time())
        # The trainee's clock moved a day: their client signs a day ahead; ours did not move.
        assert DepClient(dep_server, theirs).session(timestamp=str(now + 86_400)).status_code == 200
        assert DepClient(dep_server, theirs).session(timestamp=str(now)).status_code == 401
        assert DepClient(dep_server, ours).session(timestamp=str(now)).status_code == 200
        assert DepClient(dep_server, ours).session(timestamp=str(now + 86_400)).status_code == 401
