"""Token upload and renewal against the mock Apple service over real HTTP (its own process)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from asm_portal import clock
from mock_apple.models import MdmServer, Organization
from mock_apple.services import assignments, mdm_servers
from tests.mock_apple.conftest import admin_of, control, dep_server, live, organization_create  # noqa: F401
from tests.tokens.conftest import APPLE_ID, download_public_key
from tokens import services
from tokens.dep_client import DepClient, DepError, OAuthCredentials
from tokens.models import EnrollmentProgramToken

ADD_URL = "/enrollment/apple/tokens/add/"


@pytest.fixture
def organization(settings, dep_server) -> Organization:  # noqa: F811
    settings.APPLE_BASE_URL = dep_server
    return organization_create(devices=20)


def mdm_server_token(organization: Organization, name: str, pem: str, *, devices: int = 5) -> bytes:
    """What the administrator does in Apple School Manager: the MDM server, its devices, Get token."""
    server = MdmServer.objects.filter(organization=organization, name=name).first()
    if server is None:
        server = mdm_servers.mdm_server_create(actor=None, organization=organization, name=name)
        assignments.devices_assign_unassigned(server=server, count=devices, assigned_by=APPLE_ID)
    mdm_servers.mdm_server_certificate_upload(actor=None, server=server, data=pem.encode())
    _name, data = mdm_servers.server_token_file(actor=None, server=server, issued_by=admin_of(organization))
    return data


def upload(client, data: bytes, url: str = ADD_URL):
    return client.post(url, {"apple_id": APPLE_ID, "token": SimpleUploadedFile("Token_smime.p7m", data)})


@pytest.mark.integration
@live
class AppleOverHttpTests:
    def test_it_adds_the_token_apple_made_for_the_portal_s_key(
        self, admin_client, push_certificate, organization
    ) -> None:
        data = mdm_server_token(organization, "Lycée Jean Moulin - Intune", download_public_key(admin_client))
        response = upload(admin_client, data)
        assert response.status_code == 302, response.content.decode()[:2000]
        token = EnrollmentProgramToken.objects.get()
        server = MdmServer.objects.get()
        assert token.token_name == "Lycée Jean Moulin - Intune"
        assert token.server_uuid == server.server_uuid
        assert token.token_type == EnrollmentProgramToken.TokenType.APPLE_SCHOOL_MANAGER
        assert token.org_name == organization.name
        assert token.status == "active"
        assert abs(token.expires_at - (clock.now() + timedelta(days=365))) < timedelta(days=1)

    def test_renewal_with_the_server_s_next_token(self, admin_client, push_certificate, organization) -> None:
        upload(admin_client, mdm_server_token(organization, "Intune", download_public_key(admin_client)))
        # With its secrets now: a deferred consumer key would be read after the renewal.
        token = EnrollmentProgramToken.objects.with_secrets().get()
        renew = f"/enrollment/apple/tokens/{token.pk}/renew/"
        pem = download_public_key(admin_client, f"{renew}public-key/")
        # Apple gives every download new OAuth values (a new consumer key); the server stays.
        response = upload(admin_client, mdm_server_token(organization, "Intune", pem), renew)
        assert response.status_code == 302, response.content.decode()[:2000]
        renewed = EnrollmentProgramToken.objects.get()
        assert renewed.pk == token.pk and renewed.consumer_key != token.consumer_key
        assert services.token_dep_client(token=renewed).account()["server_uuid"] == token.server_uuid

    def test_the_token_of_another_mdm_server_does_not_renew(
        self, admin_client, push_certificate, organization
    ) -> None:
        upload(admin_client, mdm_server_token(organization, "Intune", download_public_key(admin_client)))
        token = EnrollmentProgramToken.objects.get()
        renew = f"/enrollment/apple/tokens/{token.pk}/renew/"
        pem = download_public_key(admin_client, f"{renew}public-key/")
        response = upload(admin_client, mdm_server_token(organization, "Another server", pem), renew)
        assert "belongs to the MDM server “Another server”, not to “Intune”" in response.content.decode()
        assert EnrollmentProgramToken.objects.get().consumer_key == token.consumer_key

    def test_terms_not_accepted(self, admin_client, push_certificate, organization, dep_server) -> None:  # noqa: F811
        data = mdm_server_token(organization, "Intune", download_public_key(admin_client))
        assert control(dep_server, "POST", "terms", {"action": "publish"}).status_code == 200
        response = upload(admin_client, data)
        assert response.status_code == 200
        assert "T_C_NOT_SIGNED" in response.content.decode()
        assert not EnrollmentProgramToken.objects.exists()

    def test_a_token_replaced_by_a_newer_download(self, admin_client, push_certificate, organization) -> None:
        pem = download_public_key(admin_client)
        first = mdm_server_token(organization, "Intune", pem)
        mdm_server_token(organization, "Intune", pem)  # Get token again: the first one is revoked
        response = upload(admin_client, first)
        assert "token_rejected" in response.content.decode()
        assert not EnrollmentProgramToken.objects.exists()

    def test_access_denied(self, admin_client, push_certificate, organization, dep_server) -> None:  # noqa: F811
        data = mdm_server_token(organization, "Intune", download_public_key(admin_client))
        server = MdmServer.objects.get()
        control(dep_server, "PUT", f"servers/{server.server_uuid}/access", {"denied": True})
        response = upload(admin_client, data)
        assert "ACCESS_DENIED" in response.content.decode()
        assert not EnrollmentProgramToken.objects.exists()

    def test_apple_unreachable(self, admin_client, push_certificate, organization, settings) -> None:
        data = mdm_server_token(organization, "Intune", download_public_key(admin_client))
        settings.APPLE_BASE_URL = "http://127.0.0.1:9"  # nothing listens there
        response = upload(admin_client, data)
        assert "cannot be reached" in response.content.decode()
        assert not EnrollmentProgramToken.objects.exists()


@pytest.mark.integration
@live
class DepClientOverHttpTests:
    def credentials(self, organization: Organization) -> OAuthCredentials:
        server = mdm_servers.mdm_server_create(actor=None, organization=organization, name="Intune")
        _token, values = mdm_servers.server_token_issue(
            actor=None, server=server, issued_by=admin_of(organization)
        )
        return OAuthCredentials(
            values["consumer_key"], values["consumer_secret"], values["access_token"], values["access_secret"]
        )

    def test_it_follows_session_rotation(self, organization, dep_server) -> None:  # noqa: F811
        client = DepClient(self.credentials(organization))
        control(dep_server, "PATCH", "config", {"session_rotation": True})
        client.account()
        first = client.session_token
        client.account()
        assert client.session_token != first
        assert client.account()["server_name"] == "Intune"

    def test_it_signs_in_again_when_the_session_expired(self, organization, dep_server) -> None:  # noqa: F811
        client = DepClient(self.credentials(organization))
        client.account()
        expired = client.session_token
        control(dep_server, "PUT", "clock", {"offset_seconds": 3600})  # Apple's sessions last minutes
        try:
            # The demo clock moves the portal's clock with Apple's: the new session's OAuth
            # timestamp is on Apple's clock.
            with clock.frozen_at(clock.now() + timedelta(seconds=3600)):
                assert client.account()["server_name"] == "Intune"
        finally:
            control(dep_server, "PUT", "clock", {"offset_seconds": 0})
        assert client.session_token != expired

    def test_it_signs_with_the_portal_s_clock(self, organization, dep_server) -> None:  # noqa: F811
        """Apple checks the OAuth timestamp against its own clock only: a portal whose clock is
        ten minutes off Apple's is refused, as at Apple."""
        client = DepClient(self.credentials(organization))
        with clock.frozen_at(clock.now() + timedelta(minutes=10)), pytest.raises(DepError) as caught:
            client.account()
        assert (caught.value.status, caught.value.code) == (401, "timestamp_refused")

    def test_apple_s_errors_reach_the_caller(self, organization, dep_server) -> None:  # noqa: F811
        client = DepClient(self.credentials(organization))
        control(
            dep_server,
            "POST",
            "faults",
            {"endpoint": "account", "status": 503, "code": "", "retry_after": 30, "count": 1},
        )
        with pytest.raises(DepError) as caught:
            client.account()
        assert (caught.value.status, caught.value.retry_after) == (503, 30)
