"""Fixtures of the mock Apple tests: an organisation, server tokens, an independent DEP client
(requests + requests-oauthlib) against the mock served in its own process, Apple's JSON
Schemas, and a Django test client wired like the mock Apple process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from importlib import import_module
from typing import Any

import pytest
import requests
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connections
from django.test import Client
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from requests_oauthlib import OAuth1

from mock_apple import auth, clock, tenancy
from mock_apple.models import AppleAccount, Device, MdmServer, Organization, PurchaseOrder
from mock_apple.services import assignments, mdm_servers, sessions
from mock_apple.services import organization as organization_services
from tests.conftest import REPO, apple_service, free_port

SCHEMAS = REPO / "tests" / "fixtures" / "apple-dep-schemas"
PASSWORD = "Apple-Pass-42!"
APPLE_DB = ["default", "apple"]
live = pytest.mark.django_db(transaction=True, databases=APPLE_DB)


# --- Apple's JSON Schemas -------------------------------------------------------------------


def stored(instance: Any, field: str) -> str:
    """The column as the database holds it (an encrypted field's ciphertext), read past the model."""
    model = type(instance)
    column = model._meta.get_field(field).column
    with connections["apple"].cursor() as cursor:
        cursor.execute(
            f"SELECT {connection_quote(column)} FROM {connection_quote(model._meta.db_table)} WHERE id = %s",
            [instance.pk],
        )
        return str(cursor.fetchone()[0])


def connection_quote(name: str) -> str:
    return connections["apple"].ops.quote_name(name)


def _registry() -> Registry:
    resources = [
        (path.name, Resource.from_contents(json.loads(path.read_text(encoding="utf-8"))))
        for path in SCHEMAS.glob("*.json")
    ]
    return Registry().with_resources(resources)


REGISTRY = _registry()
FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)  # type: ignore[untyped-decorator]
def _date_time(value: object) -> bool:
    # Apple writes UTC stamps with a Z and no fraction, e.g. 2026-11-27T05:20:43Z.
    if not isinstance(value, str):
        return True
    datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    return True


def assert_schema(body: Any, schema: str) -> None:
    contents = REGISTRY.contents(schema)
    Draft202012Validator(contents, registry=REGISTRY, format_checker=FORMATS).validate(body)


# --- Data -----------------------------------------------------------------------------------

_HASH: dict[str, str] = {}


def organization_create(devices: int = 30) -> Organization:
    """The demo organisation, its administrator and a small inventory (fast: no seeding command)."""
    organization = Organization.objects.create(
        **organization_services.DEMO_ORG, terms_version=1, terms_accepted_version=1
    )
    # Keyed by hasher: in-process tests use a fast one, the served process only the defaults.
    hasher = settings.PASSWORD_HASHERS[0]
    if hasher not in _HASH:
        _HASH[hasher] = make_password(PASSWORD)
    AppleAccount.objects.create(
        organization=organization,
        apple_id="admin@appleid.contoso.edu",
        first_name="Alex",
        last_name="Wilber",
        password=_HASH[hasher],
        role=AppleAccount.Role.ADMINISTRATOR,
    )
    order = PurchaseOrder.objects.create(
        organization=organization, order_number="MX10000001", order_date="2026-01-15"
    )
    Device.objects.bulk_create(
        Device(
            organization=organization,
            order=order,
            serial_number=f"DMPQ{index:06d}",
            model="iPad (10th generation)" if index % 3 else "iPhone 15",
            description="IPAD 10TH GEN WI-FI 64GB SILVER" if index % 3 else "IPHONE 15 128GB BLACK",
            color="SILVER" if index % 3 else "BLACK",
            device_family="iPad" if index % 3 else "iPhone",
            os="iPadOS" if index % 3 else "iOS",
        )
        for index in range(devices)
    )
    return organization


def admin_of(organization: Organization) -> AppleAccount:
    return organization.accounts.get(role=AppleAccount.Role.ADMINISTRATOR)


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The virtual iPad's engine as its contract says, for the tests of the screens."""
    from tests.mock_apple.ipad_fake import FakeEngine  # it imports this module

    fake = FakeEngine()
    fake.install(monkeypatch)
    return fake


@pytest.fixture
def organization() -> Organization:
    return organization_create()


def server_with_token(
    organization: Organization, name: str = "Intune", devices: int = 10
) -> tuple[MdmServer, dict[str, str]]:
    server = mdm_servers.mdm_server_create(actor=None, organization=organization, name=name)
    if devices:
        assignments.devices_assign_unassigned(
            server=server, count=devices, assigned_by="admin@appleid.contoso.edu"
        )
    _, values = mdm_servers.server_token_issue(actor=None, server=server, issued_by=admin_of(organization))
    return server, values


# --- The mock Apple process and an independent DEP client ------------------------------------


@pytest.fixture(scope="session")
def dep_server(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """The mock Apple service in its own process over the test databases, shared by the session:
    tests create their rows in committed transactions (`live`), the process reads them.

    Threaded, as in the demo: a virtual iPad's enrollment calls the portal, which calls back for
    Apple's device CA while the first request is still open (one thread would deadlock)."""
    with apple_service(free_port()) as base_url:
        yield base_url


class DepClient:
    """A DEP client written from Apple's documentation, independent of the mock's code."""

    def __init__(
        self, base_url: str, token: dict[str, str], *, version: int | None = 7, realm: str | None = None
    ) -> None:
        self.base_url = base_url
        self.token = token
        self.realm = realm
        self.http = requests.Session()
        self.http.headers["User-Agent"] = "dep-test-client/1.0"
        self.http.headers["Content-Type"] = "application/json;charset=UTF8"
        if version is not None:
            self.http.headers["X-Server-Protocol-Version"] = str(version)

    def oauth(self, **overrides: Any) -> OAuth1:
        values = {**self.token, **overrides}
        return OAuth1(
            values["consumer_key"],
            values["consumer_secret"],
            values["access_token"],
            values["access_secret"],
            realm=self.realm,
            signature_method="HMAC-SHA1",
            **{
                "timestamp": self.apple_timestamp(),
                **{k: v for k, v in overrides.items() if k in ("nonce", "timestamp")},
            },
        )

    def apple_timestamp(self) -> str:
        """Now on Apple's clock, as a client synchronised with Apple's servers signs: the mock's
        clock of the token's organisation (tests move it)."""
        with tenancy.acting_for(sessions.token_organization_id(self.token["consumer_key"])):
            return str(int(clock.now().timestamp()))

    def session(self, **overrides: Any) -> requests.Response:
        return self.http.get(f"{self.base_url}/session", auth=self.oauth(**overrides), timeout=10)

    def authenticate(self) -> str:
        response = self.session()
        assert response.status_code == 200, response.text
        value = response.json()["auth_session_token"]
        self.http.headers["X-ADM-Auth-Session"] = value
        return str(value)

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        if body is not None:
            kwargs["data"] = json.dumps(body)
        response = self.http.request(method, f"{self.base_url}{path}", timeout=10, **kwargs)
        rotated = response.headers.get("X-ADM-Auth-Session")
        if rotated:
            self.http.headers["X-ADM-Auth-Session"] = rotated
        return response


def control(base_url: str, method: str, path: str, body: Any = None) -> requests.Response:
    return requests.request(
        method,
        f"{base_url}/_mock/{path}",
        json=body,
        headers={"X-Mock-Control-Token": settings.MOCK_APPLE_CONTROL_TOKEN},
        timeout=10,
    )


# --- The ASM portal in process ---------------------------------------------------------------


@pytest.fixture
def apple_settings(settings: Any) -> Any:
    """Settings as in the mock Apple process (ASM_SERVICE=apple)."""
    settings.ROOT_URLCONF = "mock_apple.urls"
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "auth" not in m and "UserLanguage" not in m]
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    settings.SESSION_COOKIE_NAME = "apple_session"
    settings.LANGUAGE_COOKIE_NAME = "apple_language"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


def signed_in(account: AppleAccount) -> Client:
    client = Client()
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[auth.SESSION_KEY] = account.pk
    store[auth.HASH_KEY] = auth._hash(account)
    store.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
    return client


def account_create(organization: Organization, apple_id: str, role: str) -> AppleAccount:
    return AppleAccount.objects.create(
        organization=organization,
        apple_id=apple_id,
        first_name="Test",
        last_name="User",
        password=make_password(PASSWORD),
        role=role,
    )


@pytest.fixture
def asm_admin(apple_settings: Any, organization: Organization) -> Client:
    return signed_in(admin_of(organization))


@pytest.fixture
def asm_staff(apple_settings: Any, organization: Organization) -> Client:
    return signed_in(account_create(organization, "staff@appleid.contoso.edu", AppleAccount.Role.STAFF))


@pytest.fixture
def asm_manager(apple_settings: Any, organization: Organization) -> Client:
    return signed_in(
        account_create(organization, "dem@appleid.contoso.edu", AppleAccount.Role.DEVICE_ENROLLMENT_MANAGER)
    )


def rsa_certificate_pem(common_name: str = "Intune MDM") -> tuple[bytes, bytes]:
    """A portal-style public key: RSA-2048, self-signed; returns (certificate PEM, key PEM)."""
    from datetime import UTC, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=2))
        .sign(key, hashes.SHA256())
    )
    return (
        certificate.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )
