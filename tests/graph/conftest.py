"""An application of the tenant and a script's view of Entra and Graph, from Microsoft's docs:
the token request is the form of "OAuth 2.0 client credentials flow" (learn.microsoft.com,
identity-platform/v2-oauth2-client-credentials-grant-flow), Graph calls carry
`Authorization: Bearer`, and the answers are read as the Graph docs describe them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives import serialization
from django.test import Client

from asm_portal.tenancy import require_tenant
from graph import registrations
from graph.actors import command_actor
from graph.models import Permission
from tests.mock_apple.conftest import rsa_certificate_pem

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


@dataclass
class App:
    tenant_id: str
    client_id: str
    secret: str


def app_create(
    permission: str = Permission.READ_WRITE,
    *,
    consent: bool = True,
    name: str = "Scripts",
    device_permissions: tuple[str, ...] = (),
) -> App:
    actor = command_actor("tests")
    app = registrations.app_create(
        actor=actor, display_name=name, permission=permission, device_permissions=device_permissions
    )
    if consent:
        registrations.app_consent_grant(actor=actor, app=app)
    secret = registrations.secret_add(actor=actor, app=app, description="tests", days=180)
    return App(str(require_tenant().tenant_id), str(app.client_id), secret.value)


def token_request(client: Client, app: Any, *, tenant: str | None = None, **changes: str | None) -> Any:
    form = {
        "client_id": app.client_id,
        "client_secret": app.secret,
        "scope": GRAPH_SCOPE,
        "grant_type": "client_credentials",
        **changes,
    }
    form = {key: value for key, value in form.items() if value is not None}
    return client.post(
        f"/{tenant or app.tenant_id}/oauth2/v2.0/token",
        urlencode(form),
        content_type="application/x-www-form-urlencoded",
    )


class GraphClient:
    """What a script does: get a token, then call Graph with it."""

    def __init__(self, app: App) -> None:
        self.client = Client()
        answer = token_request(self.client, app)
        assert answer.status_code == 200, answer.content
        self.token = answer.json()["access_token"]

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        kwargs: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}
        kwargs.update({f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()})
        if body is not None:
            kwargs["data"] = body
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method.lower())(f"/beta/deviceManagement/{path}", **kwargs)

    def get(self, path: str, **headers: str) -> Any:
        return self.call("GET", path, **headers)

    def post(self, path: str, body: Any = None) -> Any:
        return self.call("POST", path, body if body is not None else {})


@pytest.fixture
def writer(db: None) -> GraphClient:
    return GraphClient(app_create(Permission.READ_WRITE))


@pytest.fixture
def reader(db: None) -> GraphClient:
    return GraphClient(app_create(Permission.READ, name="Reports"))


def certificate_create(name: str = "Scripts") -> tuple[Any, bytes]:
    """A self-signed certificate and its key, as `New-SelfSignedCertificate` makes for an app."""
    certificate_pem, key_pem = rsa_certificate_pem(name)
    return serialization.load_pem_private_key(key_pem, password=None), certificate_pem


def certificate_pem_create() -> bytes:
    return certificate_create()[1]
