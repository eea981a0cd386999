"""Every trainee has an organisation of their own: the control API's X-Mock-Organization, the
clock, switches and faults per organisation, a scenario that rebuilds one organisation only,
and /_mock/organizations to create, list and delete them."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.test import Client
from django.utils import timezone

from mock_apple import clock, tenancy
from mock_apple.ipad import identity, shared_ipad
from mock_apple.models import (
    ApiAccessToken,
    ApiActivity,
    ApiAssertionId,
    ApiRateWindow,
    ApnsPush,
    AppleAccount,
    Device,
    ForcedResponse,
    InstalledProfile,
    MdmExchange,
    MdmServer,
    MockConfig,
    OAuthNonce,
    Organization,
    Person,
    ServerToken,
    SharedIPadUser,
)
from mock_apple.services import api_accounts, assignments, controls, push, sessions
from mock_apple.services import organization as organization_services
from tests.mock_apple.conftest import (
    APPLE_DB,
    DepClient,
    admin_of,
    live,
    organization_create,
    rsa_certificate_pem,
    server_with_token,
    signed_in,
)
from tests.mock_apple.roster_records import imported, server_of
from tests.mock_apple.views.test_asm_push_certificates import csr_pem

DOMAIN = "trainee01.contoso-school.example"
SPEC = {
    "organization": "Trainee 01 School",
    "orders": [
        {"number": "MX1", "date": "2025-01-02", "items": [{"model": "iPad (10th generation)", "count": 6}]}
    ],
    "mdm_servers": [{"name": "Intune", "devices": [{"order": "MX1", "count": 4}]}],
}


def trainee(number: int = 1, devices: int = 12) -> Organization:
    """A trainee's organisation, as the trainer creates it, with a small inventory."""
    created = organization_services.organization_create(
        name=f"Trainee {number:02d} School",
        domain=f"trainee{number:02d}.contoso-school.example",
        admin_first_name="Megan",
        admin_last_name="Bowen",
        language="fr",
    )
    organization_services.inventory_top_up(organization=created.organization, devices=devices, seed=number)
    return created.organization


def mock(method: str, path: str, body: Any = None, *, org: str = "") -> Any:
    """The control API in process."""
    headers = {"X-Mock-Control-Token": settings.MOCK_APPLE_CONTROL_TOKEN}
    if org:
        headers["X-Mock-Organization"] = org
    data = json.dumps(body) if body is not None else ""
    return Client().generic(method, f"/_mock/{path}", data, content_type="application/json", headers=headers)


# --- The organisation header ------------------------------------------------------------------


@pytest.mark.django_db(databases=APPLE_DB)
class OrganizationHeaderTests:
    def test_without_the_header_the_default_organisation_answers(self, apple_settings, organization) -> None:
        other = trainee()
        server_with_token(other, name="Trainee MDM", devices=2)
        server_with_token(organization, name="Intune", devices=2)
        state = mock("GET", "state").json()
        assert [server["name"] for server in state["servers"]] == ["Intune"]
        assert state["organization"]["org_id"] == organization.org_id
        theirs = mock("GET", "state", org=other.org_id).json()
        assert [server["name"] for server in theirs["servers"]] == ["Trainee MDM"]
        assert theirs["organization"] == {"org_id": other.org_id, "name": other.name, "domain": DOMAIN}

    def test_an_unknown_organisation_is_a_404(self, apple_settings, organization) -> None:
        for method, path in (("GET", "state"), ("PUT", "clock"), ("POST", "faults"), ("POST", "scenario")):
            response = mock(method, path, {}, org="NOPE")
            assert response.status_code == 404
            assert "error" in response.json()

    def test_the_clock_moves_for_one_organisation(self, apple_settings, organization) -> None:
        other = trainee()
        assert mock("PUT", "clock", {"offset_seconds": 3600}, org=other.org_id).status_code == 200
        assert mock("GET", "clock").json()["offset_seconds"] == 0
        assert mock("GET", "clock", org=other.org_id).json()["offset_seconds"] == 3600
        assert clock.offset() == timedelta(0)
        with tenancy.acting_for(other.pk):
            assert clock.offset() == timedelta(hours=1)
            assert clock.now() - timezone.now() > timedelta(minutes=59)

    def test_config_faults_and_terms_are_the_organisations(self, apple_settings, organization) -> None:
        other = trainee()
        mock("PATCH", "config", {"session_ttl_seconds": 60}, org=other.org_id)
        mock("POST", "faults", {"endpoint": "fetch", "status": 503}, org=other.org_id)
        mock("POST", "terms", {"action": "publish"}, org=other.org_id)
        assert mock("GET", "config").json()["session_ttl_seconds"] == 180
        assert mock("GET", "faults").json()["faults"] == []
        assert len(mock("GET", "faults", org=other.org_id).json()["faults"]) == 1
        assert MockConfig.objects.get(organization=other).session_ttl_seconds == 60
        organization.refresh_from_db()
        other.refresh_from_db()
        assert organization.terms_accepted and not other.terms_accepted
        # A fault of another organisation cannot be deleted through this one.
        fault = ForcedResponse.objects.get(organization=other)
        assert mock("DELETE", f"faults/{fault.pk}").status_code == 404
        mock("DELETE", "faults")
        assert ForcedResponse.objects.filter(organization=other).exists()
        mock("POST", "reset", org=other.org_id)
        assert not ForcedResponse.objects.filter(organization=other).exists()

    def test_servers_and_assignments_stay_in_their_organisation(self, apple_settings, organization) -> None:
        other = trainee()
        theirs, _ = server_with_token(other, name="Trainee MDM", devices=0)
        assert mock("POST", f"servers/{theirs.server_uuid}/token").status_code == 404
        assert mock("POST", f"servers/{theirs.server_uuid}/token", org=other.org_id).status_code == 201
        created = mock("POST", "servers", {"name": "Second", "assign": 3}, org=other.org_id)
        assert created.status_code == 201
        assert (
            MdmServer.objects.get(server_uuid=created.json()["server"]["server_uuid"]).organization == other
        )
        serial = Device.objects.filter(organization=organization).values_list("serial_number", flat=True)[0]
        body = {"action": "assign", "serials": [serial], "server_uuid": theirs.server_uuid}
        # The default organisation's serial is not theirs, their server is not the default's.
        assert mock("POST", "assignments", body).status_code == 404
        assert mock("POST", "assignments", body, org=other.org_id).status_code == 400
        assert Device.objects.get(serial_number=serial).mdm_server is None

    def test_api_accounts_are_listed_per_organisation(self, apple_settings, organization) -> None:
        other = trainee()
        created = mock("POST", "api-accounts", {"name": "Theirs"}, org=other.org_id)
        assert created.status_code == 201
        assert mock("GET", "api-accounts").json()["api_accounts"] == []
        assert [a["name"] for a in mock("GET", "api-accounts", org=other.org_id).json()["api_accounts"]] == [
            "Theirs"
        ]
        assert mock("POST", f"api-accounts/{created.json()['client_id']}/revoke").status_code == 404


# --- The DEP API meets its own organisation's faults and clock ------------------------------


def signed_in_clients(dep_server: str, *organizations: Organization) -> list[DepClient]:
    """A DEP client with an open session per organisation, on a server of three devices."""
    clients = []
    for number, organization in enumerate(organizations):
        _, token = server_with_token(organization, name=f"MDM {number}", devices=3)
        client = DepClient(dep_server, token)
        client.authenticate()
        clients.append(client)
    return clients


@live
class DepIsolationTests:
    def test_a_fault_queued_for_one_organisation_never_hits_another(self, dep_server, organization) -> None:
        a, b = signed_in_clients(dep_server, organization, trainee())
        with tenancy.acting_for(organization.pk):
            controls.fault_queue(endpoint="fetch", status=503, count=5)
            controls.fault_queue(endpoint="session", status=403, code="ACCESS_DENIED")
        fetched = b.call("POST", "/server/devices", {"limit": 10})
        assert fetched.status_code == 200 and len(fetched.json()["devices"]) == 3
        assert DepClient(dep_server, b.token).session().status_code == 200
        assert a.call("POST", "/server/devices", {"limit": 10}).status_code == 503
        assert DepClient(dep_server, a.token).session().text == "ACCESS_DENIED"

    def test_moving_one_organisations_clock_expires_only_its_sessions(self, dep_server, organization) -> None:
        other = trainee()
        a, b = signed_in_clients(dep_server, organization, other)
        with tenancy.acting_for(other.pk):
            controls.clock_set_offset(seconds=181)  # past the default session lifetime
        assert b.call("GET", "/account").status_code == 401
        assert a.call("GET", "/account").status_code == 200
        assert clock.offset() == timedelta(0)


# --- Scenario ---------------------------------------------------------------------------------


@pytest.mark.django_db(databases=APPLE_DB)
def test_a_scenario_rebuilds_only_its_organisation(apple_settings, organization) -> None:
    other = trainee()
    kept, _ = server_with_token(organization, name="Default MDM", devices=5)
    imported(server_of(organization))
    mock("POST", "faults", {"endpoint": "fetch", "status": 500})
    mock("PUT", "clock", {"offset_seconds": 600})
    before = Device.objects.filter(organization=organization).count()
    certificate, _ = rsa_certificate_pem()

    response = mock(
        "POST",
        "scenario",
        {"apple": SPEC, "seed": "t", "server_certificates": {"Intune": certificate.decode()}},
        org=other.org_id,
    )

    assert response.status_code == 201, response.content
    assert response.json()["devices"] == 6 and response.json()["mdm_servers"] == {"Intune": 4}
    other.refresh_from_db()
    assert other.name == "Trainee 01 School"
    assert set(MdmServer.objects.filter(organization=other).values_list("name", flat=True)) == {"Intune"}
    # The default organisation is untouched: its servers, devices, roster, fault and clock.
    assert set(MdmServer.objects.filter(organization=organization).values_list("name", flat=True)) == {
        "Default MDM",
        "Intune",
    }
    assert Device.objects.filter(organization=organization).count() == before
    assert ServerToken.objects.filter(mdm_server=kept).exists()
    assert Person.objects.filter(organization=organization).count() == 3
    assert ForcedResponse.objects.filter(organization=organization).count() == 1
    assert clock.offset() == timedelta(seconds=600)
    # Serial numbers stay unique across organisations, even from the same seed.
    again = mock("POST", "scenario", {"apple": SPEC, "seed": "t"})
    assert again.status_code == 201, again.content
    assert Device.objects.filter(organization=other).count() == 6


# --- Creating and deleting organisations ------------------------------------------------------

GOOD = {
    "name": "Trainee 01 School",
    "domain": DOMAIN,
    "admin_first_name": "Megan",
    "admin_last_name": "Bowen",
    "language": "fr",
}


@pytest.mark.django_db(databases=APPLE_DB)
class OrganizationsTests:
    def test_create_gives_the_administrator_and_a_password_once(self, apple_settings, organization) -> None:
        response = mock("POST", "organizations", GOOD)
        assert response.status_code == 201, response.content
        body = response.json()
        assert set(body) == {"org_id", "name", "domain", "admin_apple_id", "admin_password", "asm_url"}
        assert body["admin_apple_id"] == f"admin@appleid.{DOMAIN}"
        assert body["asm_url"] == f"{settings.APPLE_PUBLIC_URL}/asm/"
        created = Organization.objects.get(org_id=body["org_id"])
        assert (created.name, created.domain, created.language) == ("Trainee 01 School", DOMAIN, "fr")
        assert created.terms_accepted and MockConfig.objects.filter(organization=created).exists()
        admin = AppleAccount.objects.get(apple_id=body["admin_apple_id"])
        assert admin.organization == created and admin.role == AppleAccount.Role.ADMINISTRATOR
        password = body["admin_password"]
        assert len(password) >= 16 and password not in admin.password
        assert check_password(password, admin.password)
        listed = mock("GET", "organizations").json()["organizations"]
        assert [item["org_id"] for item in listed] == [organization.org_id, created.org_id]
        assert listed[1] == {"org_id": created.org_id, "name": created.name, "domain": DOMAIN}

    def test_the_administrator_signs_in_to_their_organisation_in_its_language(
        self, apple_settings, organization
    ) -> None:
        body = mock("POST", "organizations", GOOD).json()
        client = Client()
        response = client.post(
            "/asm/signin/", {"apple_id": body["admin_apple_id"], "password": body["admin_password"]}
        )
        assert response.status_code == 302
        assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"

    @pytest.mark.parametrize(
        "change",
        [
            {"name": ""},
            {"name": "x" * 201},
            {"domain": "not a domain"},
            {"domain": "localhost"},
            {"domain": "-bad-.example"},
            {"domain": ""},
            {"domain": 42},
            {"admin_first_name": " "},
            {"admin_last_name": "y" * 101},
            {"language": "de"},
            {"language": None},
        ],
    )
    def test_bad_input_is_a_400_and_creates_nothing(self, apple_settings, organization, change) -> None:
        counts = (Organization.objects.count(), AppleAccount.objects.count(), MockConfig.objects.count())
        response = mock("POST", "organizations", {**GOOD, **change})
        assert response.status_code == 400, response.content
        assert response.json()["error"]
        assert (
            Organization.objects.count(),
            AppleAccount.objects.count(),
            MockConfig.objects.count(),
        ) == counts

    def test_a_domain_taken_and_a_body_that_is_not_json_are_refused(
        self, apple_settings, organization
    ) -> None:
        assert mock("POST", "organizations", GOOD).status_code == 201
        again = mock("POST", "organizations", {**GOOD, "domain": DOMAIN.upper()})
        assert again.status_code == 400 and "domain" in again.json()["fields"]
        assert mock("POST", "organizations", [1]).status_code == 400
        assert Organization.objects.count() == 2

    def test_delete_of_an_unknown_organisation_is_a_404(self, apple_settings, organization) -> None:
        assert mock("DELETE", "organizations/NOPE").status_code == 404
        assert mock("GET", "organizations/NOPE").status_code == 405

    def test_every_model_belongs_to_an_organisation_or_is_shared(self, organization) -> None:
        rows = organization_services.organization_rows(organization)
        for model in apps.get_app_config("mock_apple").get_models(include_auto_created=True):
            assert model in rows or model in organization_services.SHARED_MODELS, model


def _populate(organization: Organization) -> None:
    """A bit of everything an organisation can hold, the way the mock makes it."""
    server, token = server_with_token(organization, name="Intune", devices=6)
    stored = ServerToken.objects.get(consumer_key=token["consumer_key"])
    sessions.session_open(server_token=stored, ttl_seconds=180)
    OAuthNonce.objects.create(
        consumer_key=stored.consumer_key, nonce=f"n-{organization.pk}", expires_at=timezone.now()
    )
    device = Device.objects.filter(mdm_server=server, device_family="iPad").first()
    assert device is not None
    profile = assignments.profile_define(server=server, data={"profile_name": "Cart", "is_multi_user": True})
    assignments.profile_assign(
        server=server, profile=profile, serials=[device.serial_number], throttling=False
    )
    imported(server)
    virtual = identity.virtual_device_of(device)
    person = Person.objects.filter(organization=organization).first()
    assert person is not None
    now = timezone.now()
    SharedIPadUser.objects.create(
        virtual_device=virtual, person=person, first_signed_in_at=now, last_signed_in_at=now
    )
    assert shared_ipad.is_shared(virtual) in (True, False)
    InstalledProfile.objects.create(
        virtual_device=virtual, identifier="com.example.mdm", uuid="U", content=b"", installed_at=now
    )
    MdmExchange.objects.create(
        virtual_device=virtual, kind="checkin", request_type="Authenticate", received_at=now
    )
    certificate = push.push_certificate_issue(actor=admin_of(organization), csr_data=csr_pem())
    ApnsPush.objects.create(
        token=f"{organization.pk:064x}",
        topic=certificate.topic,
        apns_id=f"apns-{organization.pk}",
        status=200,
        certificate=certificate,
        received_at=now,
    )
    account = api_accounts.api_account_create(actor=None, organization=organization, name="API").account
    ApiAccessToken.objects.create(
        token_digest=f"{organization.pk:064d}", account=account, created_at=now, expires_at=now
    )
    ApiAssertionId.objects.create(client_id=account.client_id, jti=f"j-{organization.pk}", expires_at=now)
    ApiRateWindow.objects.create(organization=organization, kind="get", window_start=now, count=1)
    ApiActivity.objects.create(
        organization=organization,
        activity_id=f"act-{organization.pk}",
        account=account,
        activity_type="ASSIGN_DEVICES",
        mdm_server=server,
        created_at=now,
        due_at=now,
    )
    with tenancy.acting_for(organization.pk):
        controls.fault_queue(endpoint="fetch", status=503)
        controls.config_update(session_ttl_seconds=60)


def _table_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_app_config("mock_apple").get_models(include_auto_created=True)
    }


@pytest.mark.django_db(databases=APPLE_DB)
def test_deleting_an_organisation_leaves_no_row_of_it_and_the_others_intact(
    apple_settings, organization
) -> None:
    _populate(organization)
    before = _table_counts()
    other = trainee(devices=20)
    _populate(other)
    rows = organization_services.organization_rows(other)
    held = {model._meta.label: queryset.count() for model, queryset in rows.items()}
    # The population reaches every table but the shared CA (so the test means something).
    assert all(held[label] for label in held if label != "mock_apple.MockConfig"), held

    response = mock("DELETE", f"organizations/{other.org_id}")

    assert response.status_code == 200, response.content
    deleted = response.json()["deleted"]
    assert deleted["mock_apple.Organization"] == 1 and deleted["mock_apple.Device"] == 20
    assert {label: count for label, count in deleted.items() if count} == {
        label: count for label, count in held.items() if count
    }
    for model, queryset in organization_services.organization_rows(other).items():
        assert queryset.count() == 0, model
    # The default organisation keeps every row it had, table by table.
    assert _table_counts() == before
    assert mock("GET", "state").json()["organization"]["org_id"] == organization.org_id


@pytest.mark.django_db(databases=APPLE_DB)
def test_deleting_the_organisation_of_an_empty_mock_still_works(apple_settings) -> None:
    organization = organization_create(devices=3)
    response = mock("DELETE", f"organizations/{organization.org_id}")
    assert response.status_code == 200
    assert not Organization.objects.exists() and not Device.objects.exists()
    assert MockConfig.load().organization_id is None and clock.offset() == timedelta(0)
    assert mock("GET", "state").status_code == 200


@pytest.mark.django_db(databases=APPLE_DB)
def test_the_asm_trainer_page_moves_the_signed_in_organisations_clock(apple_settings, organization) -> None:
    other = trainee()
    client = signed_in(admin_of(other))
    response = client.post("/asm/trainer/", {"action": "clock", "clock-days": 2, "clock-hours": 0})
    assert response.status_code == 302
    assert clock.offset() == timedelta(0)
    with tenancy.acting_for(other.pk):
        assert clock.offset() == timedelta(days=2)
    client.post(
        "/asm/trainer/", {"action": "fault", "fault-endpoint": "fetch", "fault-status": 503, "fault-count": 1}
    )
    assert list(ForcedResponse.objects.values_list("organization_id", flat=True)) == [other.pk]
    assert (
        "fetch"
        not in signed_in(admin_of(organization)).get("/asm/trainer/").content.decode().split("queue")[-1]
    )
