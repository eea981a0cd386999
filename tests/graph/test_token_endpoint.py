"""Entra's token endpoint, its keys and its configuration, as Microsoft documents them."""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.test import Client

from asm_portal.models import AuditEvent
from asm_portal.tenancy import require_tenant
from graph import registrations
from graph.actors import command_actor
from graph.models import AppRegistration, ClientSecret, Permission, SigningKey
from tests.graph.conftest import GRAPH_SCOPE, app_create, certificate_create, token_request

pytestmark = pytest.mark.django_db


def aadsts(answer):
    body = answer.json()
    assert set(body) >= {
        "error",
        "error_description",
        "error_codes",
        "timestamp",
        "trace_id",
        "correlation_id",
    }
    code = body["error_codes"][0]
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    return code


class TokenEndpointTests:
    def test_client_credentials_give_a_bearer_token_signed_with_a_published_key(self) -> None:
        app = app_create(Permission.READ_WRITE)
        client = Client()
        answer = token_request(client, app)
        assert answer.status_code == 200
        body = answer.json()
        assert body["token_type"] == "Bearer"
        assert 3000 < body["expires_in"] <= 3599
        assert answer.headers["Cache-Control"] == "no-store"
        # What a resource server does (OpenID Connect discovery, then the JWKS).
        config = client.get(f"/{app.tenant_id}/v2.0/.well-known/openid-configuration").json()
        assert config["token_endpoint"].endswith(f"/{app.tenant_id}/oauth2/v2.0/token")
        keys = client.get(config["jwks_uri"].removeprefix("http://testserver")).json()["keys"]
        header = jwt.get_unverified_header(body["access_token"])
        assert header["alg"] == "RS256"
        key = next(jwt.PyJWK(k) for k in keys if k["kid"] == header["kid"])
        claims = jwt.decode(
            body["access_token"], key, algorithms=["RS256"], audience="https://graph.microsoft.com"
        )
        assert claims["tid"] == app.tenant_id
        assert claims["appid"] == app.client_id
        assert claims["roles"] == ["DeviceManagementServiceConfig.ReadWrite.All"]
        assert claims["iss"] == config["issuer"]
        assert claims["exp"] - claims["iat"] == body["expires_in"]

    def test_the_tenant_may_be_named_by_its_initial_domain(self) -> None:
        app = app_create()
        answer = token_request(Client(), app, tenant="contoso.onmicrosoft.com")
        assert answer.status_code == 200

    def test_the_signing_key_is_encrypted_at_rest(self) -> None:
        app = app_create()
        token_request(Client(), app)
        key = SigningKey.objects.get()
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT private_key FROM graph_signingkey WHERE id = %s", [key.pk])
            stored = cursor.fetchone()[0]
        assert "PRIVATE KEY" not in stored
        assert "PRIVATE KEY" in key.private_key

    def test_the_secret_is_stored_as_a_digest_only(self) -> None:
        app = app_create()
        secret = ClientSecret.objects.get()
        assert secret.secret_sha256 == hashlib.sha256(app.secret.encode()).hexdigest()
        assert app.secret not in str(list(ClientSecret.objects.values()))

    def test_an_app_without_consent_gets_a_token_without_roles(self) -> None:
        app = app_create(consent=False)
        token = token_request(Client(), app).json()["access_token"]
        assert jwt.decode(token, options={"verify_signature": False})["roles"] == []

    @pytest.mark.parametrize(
        ("changes", "status", "error", "code"),
        [
            ({"client_secret": "wrong"}, 401, "invalid_client", 7000215),
            ({"client_id": str(uuid.uuid4())}, 400, "unauthorized_client", 700016),
            ({"client_id": "not-a-guid"}, 400, "unauthorized_client", 700016),
            ({"scope": "User.Read"}, 400, "invalid_scope", 1002012),
            ({"grant_type": "password"}, 400, "unsupported_grant_type", 70003),
            ({"grant_type": None}, 400, "invalid_request", 900144),
            ({"client_secret": None}, 401, "invalid_client", 7000218),
        ],
    )
    def test_errors_have_entra_s_codes(self, changes, status, error, code) -> None:
        app = app_create()
        answer = token_request(Client(), app, **changes)
        assert answer.status_code == status
        assert answer.json()["error"] == error
        assert aadsts(answer) == code

    def test_an_expired_secret_is_refused(self) -> None:
        app = app_create()
        ClientSecret.objects.update(expires_at=datetime.now(UTC) - timedelta(days=1))
        answer = token_request(Client(), app)
        assert answer.status_code == 401
        assert aadsts(answer) == 7000222

    def test_an_unknown_tenant_is_refused(self) -> None:
        app = app_create()
        answer = token_request(Client(), app, tenant="fabrikam.onmicrosoft.com")
        assert answer.status_code == 400
        assert aadsts(answer) == 90002

    def test_another_tenant_s_app_is_not_found_in_this_one(self) -> None:
        from asm_portal.models import Tenant
        from asm_portal.tenancy import tenant_scope

        other = Tenant.objects.create(display_name="Tailspin", initial_domain="tailspin.onmicrosoft.com")
        with tenant_scope(other):
            app = app_create()
        answer = token_request(Client(), app, tenant="contoso.onmicrosoft.com")
        assert aadsts(answer) == 700016
        assert token_request(Client(), app, tenant="tailspin.onmicrosoft.com").status_code == 200

    def test_get_is_not_allowed_and_no_csrf_token_is_needed(self) -> None:
        app = app_create()
        client = Client(enforce_csrf_checks=True)
        assert client.get(f"/{app.tenant_id}/oauth2/v2.0/token").status_code == 405
        assert token_request(client, app).status_code == 200


def _certificate():
    return certificate_create()


@pytest.mark.real_keys
class ClientAssertionTests:
    """ "Microsoft identity platform certificate credentials": a JWT signed with the certificate's
    key, x5t its SHA-1 thumbprint, aud the token endpoint, iss and sub the client id."""

    def _assertion(self, key, pem: bytes, client_id: str, audience: str, **claims) -> str:
        der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
        x5t = base64.urlsafe_b64encode(hashlib.sha1(der).digest()).decode().rstrip("=")  # noqa: S324
        now = int(time.time())
        body = {
            "aud": audience,
            "iss": client_id,
            "sub": client_id,
            "jti": str(uuid.uuid4()),
            "nbf": now,
            "exp": now + 600,
        }
        body.update(claims)
        return jwt.encode(body, key, algorithm="RS256", headers={"x5t": x5t})

    def test_a_certificate_s_client_assertion_gets_a_token(self) -> None:
        app = app_create()
        key, pem = _certificate()
        registrations.certificate_add(
            actor=command_actor("tests"), app=AppRegistration.objects.get(), data=pem
        )
        audience = f"http://testserver/{app.tenant_id}/oauth2/v2.0/token"
        assertion = self._assertion(key, pem, app.client_id, audience)
        answer = token_request(
            Client(),
            app,
            client_secret=None,
            client_assertion=assertion,
            client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        )
        assert answer.status_code == 200, answer.content
        claims = jwt.decode(answer.json()["access_token"], options={"verify_signature": False})
        assert claims["appidacr"] == "2"
        # Another key, same thumbprint header: the signature does not verify.
        other, _pem = _certificate()
        forged = self._assertion(other, pem, app.client_id, audience)
        answer = token_request(
            Client(),
            app,
            client_secret=None,
            client_assertion=forged,
            client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        )
        assert answer.status_code == 401
        assert aadsts(answer) == 700027


class CommandTests:
    def test_graph_app_create_prints_what_a_script_needs(self, capsys) -> None:
        import json

        from django.core.management import call_command

        call_command("graph_app_create", "Enrollment scripts", "--permission", "Read", "--json")
        printed = json.loads(capsys.readouterr().out)
        assert printed["tenant_id"] == str(require_tenant().tenant_id)
        app = AppRegistration.objects.get(client_id=printed["client_id"])
        assert app.permission == Permission.READ and app.consent_granted_at is not None
        answer = token_request(Client(), type("A", (), printed | {"secret": printed["client_secret"]})())
        assert answer.status_code == 200
        assert AuditEvent.objects.filter(
            action="Add application", actor_name="manage.py graph_app_create"
        ).exists()
        assert GRAPH_SCOPE
