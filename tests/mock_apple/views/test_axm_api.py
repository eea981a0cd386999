"""The School Manager API served by the mock, walked by an independent client (requests + PyJWT +
jsonschema): OAuth 2, orgDevices, mdmServers, orgDeviceActivities, every error, limits, faults."""

from __future__ import annotations

import csv
import datetime
import io
import json
import time
from datetime import timedelta
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mock_apple import clock
from mock_apple.axm import DEVICE_VALUES, fixed_texts
from mock_apple.axm_devices import derived, device_json_text, device_resource, devices_json_text
from mock_apple.models import ApiAccount, ApiActivity, Device, MdmServer, Organization
from mock_apple.services import api_accounts, assignments, controls, mdm_servers
from mock_apple.services import organization as organization_services
from tests.mock_apple.axm_client import AxmClient, assert_api_error, assert_schema, client_assertion
from tests.mock_apple.conftest import DepClient, control, live, server_with_token


def api_account(organization: Organization, name: str = "Test client") -> dict[str, str]:
    created = api_accounts.api_account_create(actor=None, organization=organization, name=name)
    return {
        "client_id": created.account.client_id,
        "key_id": created.account.key_id,
        "private_key_pem": created.private_key_pem,
        "scope": created.scope,
    }


def unlimited() -> None:
    controls.config_update(api_get_per_minute=0, api_activity_posts_per_hour=0, api_activity_seconds=0)


def client_for(base_url: str, organization: Organization) -> AxmClient:
    unlimited()
    client = AxmClient(base_url, api_account(organization))
    client.authenticate()
    return client


@live
class TokenTests:
    def test_a_valid_assertion_gets_an_opaque_bearer_token_on_both_paths(
        self, dep_server, organization
    ) -> None:
        account = api_account(organization)
        assert account["client_id"].startswith("SCHOOLAPI.") and account["scope"] == "school.api"
        for path in ("/auth/oauth2/v2/token", "/auth/oauth2/token"):
            response = AxmClient(dep_server, account, token_path=path).token_request()
            assert response.status_code == 200, response.text
            assert response.headers["Content-Type"] == "application/json"
            body = response.json()
            assert set(body) == {"access_token", "token_type", "expires_in"}
            assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
            assert body["access_token"].count(".") == 0  # opaque, not a JWT
        stored = ApiAccount.objects.get(client_id=account["client_id"])
        assert "PRIVATE" not in stored.public_key_pem

    def test_every_refusal_is_an_rfc6749_error(self, dep_server, organization) -> None:
        account = api_account(organization)
        client = AxmClient(dep_server, account)
        cid, kid, pem = account["client_id"], account["key_id"], account["private_key_pem"]
        other_key = (
            ec.generate_private_key(ec.SECP256R1())
            .private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            .decode()
        )
        rsa_pem = _rsa_pem()
        now = time.time()
        cases: list[tuple[dict[str, Any], str]] = [
            ({"grant_type": "password"}, "invalid_request"),
            ({"client_assertion_type": "urn:other"}, "invalid_request"),
            ({"client_id": None}, "invalid_request"),
            ({"scope": None}, "invalid_request"),
            ({"client_id": "SCHOOLAPI.unknown"}, "invalid_client"),
            ({"client_assertion": "not-a-jwt"}, "invalid_client"),
            ({"client_assertion": client_assertion(cid, kid, rsa_pem, algorithm="RS256")}, "invalid_client"),
            ({"client_assertion": client_assertion(cid, "other-kid", pem)}, "invalid_client"),
            ({"client_assertion": client_assertion(cid, kid, other_key)}, "invalid_client"),
            ({"client_assertion": client_assertion(cid, kid, pem, iss="SCHOOLAPI.other")}, "invalid_client"),
            ({"client_assertion": client_assertion(cid, kid, pem, sub="SCHOOLAPI.other")}, "invalid_client"),
            (
                {"client_assertion": client_assertion(cid, kid, pem, aud="https://api-school.apple.com")},
                "invalid_client",
            ),
            ({"client_assertion": client_assertion(cid, kid, pem, now=now + 600)}, "invalid_grant"),
            ({"client_assertion": client_assertion(cid, kid, pem, now=now - 7200)}, "invalid_grant"),
            ({"client_assertion": client_assertion(cid, kid, pem, lifetime=181 * 86400)}, "invalid_grant"),
            ({"client_assertion": client_assertion(cid, kid, pem, jti=None)}, "invalid_grant"),
            ({"scope": "business.api"}, "invalid_scope"),
        ]
        for form, error in cases:
            response = client.token_request(form.pop("client_assertion", None), **form)
            assert response.status_code == 400, (form, response.text)
            body = response.json()
            assert body["error"] == error, (form, body)
            assert body["error_description"]
        # 180 days exactly is accepted; a jti is never accepted twice.
        assertion = client_assertion(cid, kid, pem, lifetime=180 * 86400)
        assert client.token_request(assertion).status_code == 200
        replay = client.token_request(assertion)
        assert (replay.status_code, replay.json()["error"]) == (400, "invalid_grant")

    def test_times_follow_the_mock_clock(self, dep_server, organization) -> None:
        account = api_account(organization)
        client = AxmClient(dep_server, account)
        controls.clock_set_offset(seconds=86400)
        future = time.time() + 86400 - 60
        assertion = client_assertion(
            account["client_id"], account["key_id"], account["private_key_pem"], now=future
        )
        assert client.token_request(assertion).status_code == 200
        stale = client_assertion(account["client_id"], account["key_id"], account["private_key_pem"])
        assert client.token_request(stale).json()["error"] == "invalid_grant"  # expired on Apple's clock
        controls.clock_set_offset(seconds=0)

    def test_a_business_organisation_gets_business_ids_and_scope(self, dep_server, organization) -> None:
        Organization.objects.filter(pk=organization.pk).update(org_type=Organization.OrgType.ORG)
        organization.refresh_from_db()
        account = api_account(organization)
        assert account["client_id"].startswith("BUSINESSAPI.") and account["scope"] == "business.api"
        client = AxmClient(dep_server, account)
        assert client.token_request(scope="school.api").json()["error"] == "invalid_scope"
        assert client.token_request().status_code == 200

    def test_revoking_kills_the_account_and_its_tokens(self, dep_server, organization) -> None:
        client = client_for(dep_server, organization)
        assert client.get("/v1/mdmServers").status_code == 200
        account = ApiAccount.objects.get(client_id=client.account["client_id"])
        api_accounts.api_account_revoke(actor=None, account=account)
        assert_api_error(client.get("/v1/mdmServers"), 401, "NOT_AUTHORIZED")
        assert client.token_request().json()["error"] == "invalid_client"

    def test_tokens_expire_on_the_mock_clock(self, dep_server, organization) -> None:
        client = client_for(dep_server, organization)
        controls.clock_set_offset(seconds=3601)
        try:
            assert_api_error(client.get("/v1/orgDevices"), 401)
        finally:
            controls.clock_set_offset(seconds=0)
        client.authenticate()
        assert client.get("/v1/orgDevices").status_code == 200
        assert control(dep_server, "POST", "api-tokens/expire").json()["expired"] >= 1
        assert_api_error(client.get("/v1/orgDevices"), 401)


def _rsa_pem() -> str:
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@live
class ResourceTests:
    def test_org_devices_pages_with_cursors_and_validate(self, dep_server, organization) -> None:
        server, _ = server_with_token(organization, devices=10)
        client = client_for(dep_server, organization)
        first = client.get("/v1/orgDevices")
        assert first.status_code == 200 and first.headers["Content-Type"] == "application/json"
        body = first.json()
        assert body["meta"]["paging"] == {"limit": 100, "total": 30}
        assert "next" not in body["links"]
        devices = client.walk("/v1/orgDevices", limit=7)
        assert [d["id"] for d in devices] == sorted(Device.objects.values_list("serial_number", flat=True))
        for device in devices:
            assert_schema(device, "OrgDevice.json")
            attributes = device["attributes"]
            assert attributes["status"] in ("ASSIGNED", "UNASSIGNED")
            assert isinstance(attributes["imei"], list)
        assigned = {d["id"] for d in devices if d["attributes"]["status"] == "ASSIGNED"}
        assert assigned == set(
            Device.objects.filter(mdm_server=server).values_list("serial_number", flat=True)
        )
        iphone = next(d for d in devices if d["attributes"]["productFamily"] == "iPhone")
        assert len(iphone["attributes"]["imei"][0]) == 15
        # Deterministic, and the page's writer agrees with the single resource's, assigned or not.
        for device in devices:
            again = client.get(f"/v1/orgDevices/{device['id']}").json()
            assert again["data"] == device
        page = client.get("/v1/orgDevices", limit=5).json()
        assert page["meta"]["paging"]["limit"] == 5 and page["meta"]["paging"]["nextCursor"]
        assert page["links"]["next"].startswith(f"{dep_server}/v1/orgDevices?")

    def test_devices_bought_with_their_fixed_text_read_as_those_without(
        self, dep_server, organization
    ) -> None:
        """Devices bought by the mock carry their fixed text (Device.api_attributes), written once;
        the test inventory's have none and are derived on read: one walk of both is the same as
        the single resources and as the resource builder, and validates."""
        server, _ = server_with_token(organization, devices=5)
        organization_services.inventory_top_up(organization=organization, devices=45, seed=3)
        bought = Device.objects.exclude(api_attributes="")
        assert bought.count() == 15 and Device.objects.filter(api_attributes="").count() == 30
        assert {d.pk: d.api_attributes for d in bought} == fixed_texts(d.pk for d in bought)
        assignments.devices_assign(
            actor=None, organization=organization, server=server, device_ids=[bought[0].pk], assigned_by="t"
        )
        client = client_for(dep_server, organization)
        devices = client.walk("/v1/orgDevices", limit=4)
        assert len(devices) == 45
        rows = {row["serial_number"]: row for row in Device.objects.values(*DEVICE_VALUES)}
        for device in devices:
            assert_schema(device, "OrgDevice.json")
            assert device == device_resource(rows[device["id"]], dep_server)
        statuses = {d["id"]: d["attributes"]["status"] for d in devices}
        assert statuses[bought[0].serial_number] == "ASSIGNED"
        assert list(statuses.values()).count("ASSIGNED") == 6

    def test_a_walk_meets_concurrent_writes_once(self, dep_server, organization) -> None:
        """Keyset cursors: devices bought, assigned, unassigned or released during a walk neither
        repeat nor hide the devices the walk has not reached; the new ones come at the end."""
        server, _ = server_with_token(organization, devices=0)
        client = client_for(dep_server, organization)
        ids = list(Device.objects.order_by("id").values_list("id", flat=True))
        before = list(Device.objects.order_by("id").values_list("serial_number", flat=True))
        first = client.get("/v1/orgDevices", limit=10).json()
        served = [d["id"] for d in first["data"]]
        assignments.devices_assign(
            actor=None, organization=organization, server=server, device_ids=ids[5:25], assigned_by="t"
        )
        assignments.devices_unassign(actor=None, organization=organization, device_ids=ids[20:25])
        assignments.devices_release(organization=organization, device_ids=ids[:2])  # served already
        organization_services.inventory_top_up(organization=organization, devices=40, seed=5)
        url = first["links"]["next"]
        while url:
            body = client.get(url).json()
            served += [d["id"] for d in body["data"]]
            url = body["links"].get("next")
        assert len(served) == len(set(served)) == 40
        assert served[:30] == before
        assert first["meta"]["paging"]["total"] == 30

    def test_sparse_fieldsets(self, dep_server, organization) -> None:
        client = client_for(dep_server, organization)
        body = client.get("/v1/orgDevices", **{"fields[orgDevices]": "serialNumber,status"}).json()
        assert all(set(d["attributes"]) == {"serialNumber", "status"} for d in body["data"])
        error = assert_api_error(client.get("/v1/orgDevices", **{"fields[orgDevices]": "nope"}), 400)
        assert error["source"] == {"parameter": "fields[orgDevices]"}

    def test_parameter_errors(self, dep_server, organization) -> None:
        client = client_for(dep_server, organization)
        for limit in ("0", "1001", "ten"):
            error = assert_api_error(
                client.get("/v1/orgDevices", limit=limit), 400, "PARAMETER_ERROR.INVALID"
            )
            assert error["source"] == {"parameter": "limit"}
        assert client.get("/v1/orgDevices", limit=1000).status_code == 200
        assert_api_error(client.get("/v1/orgDevices", cursor="forged"), 400)
        servers_cursor = None
        mdm_servers.mdm_server_create(actor=None, organization=organization, name="A")
        mdm_servers.mdm_server_create(actor=None, organization=organization, name="B")
        servers_cursor = client.get("/v1/mdmServers", limit=1).json()["meta"]["paging"]["nextCursor"]
        assert_api_error(client.get("/v1/orgDevices", cursor=servers_cursor), 400)

    def test_one_device_its_coverage_and_its_server(self, dep_server, organization) -> None:
        server, _ = server_with_token(organization, devices=2)
        client = client_for(dep_server, organization)
        serial = Device.objects.filter(mdm_server=server)[0].serial_number
        loose = Device.objects.filter(mdm_server__isnull=True)[0].serial_number
        one = client.get(f"/v1/orgDevices/{serial}")
        assert one.status_code == 200
        assert_schema(one.json()["data"], "OrgDevice.json")
        assert_schema(one.json()["links"], "DocumentLinks.json")
        coverage = client.get(f"/v1/orgDevices/{serial}/appleCareCoverage").json()
        assert coverage["data"][0]["attributes"]["description"] == "Limited Warranty"
        linkage = client.get(f"/v1/orgDevices/{serial}/relationships/assignedServer").json()
        assert linkage["data"] == {"type": "mdmServers", "id": server.server_uuid}
        assert_schema(linkage["links"], "RelationshipLinks.json")
        related = client.get(f"/v1/orgDevices/{serial}/assignedServer").json()
        assert_schema(related["data"], "MdmServer.json")
        assert related["data"]["attributes"]["serverName"] == server.name
        assert client.get(f"/v1/orgDevices/{loose}/relationships/assignedServer").json()["data"] is None
        assert client.get(f"/v1/orgDevices/{loose}/assignedServer").json()["data"] is None
        for path in ("", "/appleCareCoverage", "/relationships/assignedServer", "/assignedServer"):
            assert_api_error(client.get(f"/v1/orgDevices/NOTOURS{path}"), 404, "NOT_FOUND")

    def test_mdm_servers_and_their_devices(self, dep_server, organization) -> None:
        server, _ = server_with_token(organization, devices=12)
        client = client_for(dep_server, organization)
        body = client.get("/v1/mdmServers").json()
        assert_schema(body, "MdmServersResponse.json")
        assert [s["id"] for s in body["data"]] == [server.server_uuid]
        linked = client.walk(f"/v1/mdmServers/{server.server_uuid}/relationships/devices", limit=5)
        assert len(linked) == 12 and all(item["type"] == "orgDevices" for item in linked)
        page = client.get(f"/v1/mdmServers/{server.server_uuid}/relationships/devices").json()
        assert set(page["data"][0]) == {"type", "id"}
        assert_schema(page["meta"], "PagingInformation.json")
        assert_api_error(client.get("/v1/mdmServers/UNKNOWN/relationships/devices"), 404)

    def test_authentication_terms_methods_and_unknown_paths(self, dep_server, organization) -> None:
        client = client_for(dep_server, organization)
        anonymous = requests.get(f"{dep_server}/v1/orgDevices", timeout=5)
        assert_api_error(anonymous, 401, "NOT_AUTHORIZED")
        wrong = requests.get(
            f"{dep_server}/v1/orgDevices", headers={"Authorization": "Bearer nope"}, timeout=5
        )
        assert_api_error(wrong, 401)
        assert_api_error(client.post("/v1/orgDevices", {}), 405)
        assert_api_error(client.get("/v1/users"), 404, "NOT_FOUND")
        Organization.objects.filter(pk=organization.pk).update(terms_version=2)
        assert_api_error(client.get("/v1/orgDevices"), 403, "FORBIDDEN_ERROR")

    def test_rate_limits_answer_429_with_retry_after_and_can_be_lifted(
        self, dep_server, organization
    ) -> None:
        client = client_for(dep_server, organization)
        server, _ = server_with_token(organization, devices=0)
        controls.config_update(api_get_per_minute=3, api_activity_posts_per_hour=2)
        # Start at the beginning of a minute of the mock's clock: the window cannot roll over.
        controls.clock_set_offset(seconds=(62 - clock.now().second) % 60)
        for _ in range(3):
            assert client.get("/v1/mdmServers").status_code == 200
        assert_api_error(client.get("/v1/mdmServers"), 429, "RATE_LIMIT_EXCEEDED")
        serial = Device.objects.all()[0].serial_number
        for _ in range(2):
            assert client.activity("ASSIGN_DEVICES", [serial], server.server_uuid).status_code == 201
        assert_api_error(client.activity("ASSIGN_DEVICES", [serial], server.server_uuid), 429)
        assert control(dep_server, "PATCH", "config", {"api_get_per_minute": 0}).status_code == 200
        assert client.get("/v1/mdmServers").status_code == 200
        controls.clock_set_offset(seconds=0)

    def test_queued_faults_and_latency(self, dep_server, organization) -> None:
        client = client_for(dep_server, organization)
        for endpoint in controls.ENDPOINTS:
            if endpoint.startswith("axm_"):
                assert (
                    control(dep_server, "POST", "faults", {"endpoint": endpoint, "status": 503}).status_code
                    == 201
                )
        assert_api_error(client.get("/v1/orgDevices"), 503)
        assert_api_error(client.get("/v1/mdmServers"), 503)
        assert client.token_request().status_code == 503
        control(dep_server, "DELETE", "faults")
        control(dep_server, "POST", "faults", {"endpoint": "axm_devices", "latency_ms": 300})
        started = time.monotonic()
        assert client.get("/v1/orgDevices").status_code == 200
        assert time.monotonic() - started >= 0.3


def _log(client: AxmClient, url: str) -> list[dict[str, str]]:
    response = requests.get(url, timeout=10)  # presigned: no bearer token
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


@live
class ActivityTests:
    def test_assign_is_in_progress_then_completed_with_a_log_and_seen_by_dep_sync(
        self, dep_server, organization
    ) -> None:
        server, token = server_with_token(organization, devices=0)
        dep = DepClient(dep_server, token)
        dep.authenticate()
        fetched = dep.call("POST", "/server/devices", {"limit": 100}).json()
        assert fetched["devices"] == []
        client = client_for(dep_server, organization)
        controls.config_update(api_activity_seconds=60)
        serials = list(Device.objects.order_by("id").values_list("serial_number", flat=True)[:3])
        created = client.activity("ASSIGN_DEVICES", [*serials, "NOTINORG01"], server.server_uuid)
        assert created.status_code == 201, created.text
        assert_schema(created.json(), "OrgDeviceActivityResponse.json")
        data = created.json()["data"]
        assert data["attributes"]["status"] == "IN_PROGRESS" and "downloadUrl" not in data["attributes"]
        path = f"/v1/orgDeviceActivities/{data['id']}"
        assert client.get(path).json()["data"]["attributes"]["status"] == "IN_PROGRESS"
        assert not Device.objects.filter(mdm_server=server).exists()
        controls.clock_set_offset(seconds=61)
        try:
            # The DEP sync completes what is due first: the MDM server sees the assignment.
            sync = dep.call("POST", "/devices/sync", {"cursor": fetched["cursor"]}).json()
            assert sorted(d["serial_number"] for d in sync["devices"]) == sorted(serials)
            assert {d["op_type"] for d in sync["devices"]} == {"added"}
            done = client.get(path)
        finally:
            controls.clock_set_offset(seconds=0)
        assert_schema(done.json(), "OrgDeviceActivityResponse.json")
        attributes = done.json()["data"]["attributes"]
        assert attributes["status"] == "COMPLETED"
        assert attributes["subStatus"] == "COMPLETED_WITH_SUCCESS"  # the unknown serial does not fail it
        rows = _log(client, attributes["downloadUrl"])
        assert {row["Serial Number"]: row["Status"] for row in rows} == {
            **dict.fromkeys(serials, "SUCCESS"),
            "NOTINORG01": "NOT_FOUND",
        }
        assert requests.get(attributes["downloadUrl"] + "x", timeout=5).status_code == 404
        assert Device.objects.filter(mdm_server=server).count() == 3
        assert Device.objects.filter(serial_number="NOTINORG01").count() == 0  # the API adds no device

    def test_unassign_release_and_migration_deadlines(self, dep_server, organization) -> None:
        server, _ = server_with_token(organization, devices=2)
        other = mdm_servers.mdm_server_create(actor=None, organization=organization, name="Other")
        client = client_for(dep_server, organization)
        mine = list(Device.objects.filter(mdm_server=server).values_list("serial_number", flat=True))
        created = client.activity("UNASSIGN_DEVICES", mine, other.server_uuid).json()["data"]
        done = client.get(f"/v1/orgDeviceActivities/{created['id']}").json()["data"]["attributes"]
        assert done["subStatus"] == "COMPLETED_WITH_FAILURE"  # not that server's devices
        created = client.activity("UNASSIGN_DEVICES", mine, server.server_uuid).json()["data"]
        client.get(f"/v1/orgDeviceActivities/{created['id']}")
        assert not Device.objects.filter(mdm_server=server).exists()
        deadline = (clock.now() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
        response = client.activity(
            "ASSIGN_DEVICES_WITH_MDM_MIGRATION_DEADLINE",
            mine,
            server.server_uuid,
            activityTypeMetadata={"mdmMigrationDeadlineDateTime": deadline},
        )
        assert response.status_code == 201, response.text
        assert ApiActivity.objects.get(activity_id=response.json()["data"]["id"]).deadline is not None
        late = (clock.now() + timedelta(days=91)).strftime("%Y-%m-%dT%H:%M:%SZ")
        error = assert_api_error(
            client.activity(
                "UPDATE_MDM_MIGRATION_DEADLINE",
                mine,
                activityTypeMetadata={"mdmMigrationDeadlineDateTime": late},
            ),
            409,
        )
        assert error["source"] == {
            "pointer": "/data/attributes/activityTypeMetadata/mdmMigrationDeadlineDateTime"
        }
        # RELEASE_DEVICES is Apple Business's only.
        assert_api_error(client.activity("RELEASE_DEVICES", mine), 409, "ENTITY_ERROR.ATTRIBUTE.INVALID")

    def test_release_devices_on_apple_business(self, dep_server, organization) -> None:
        Organization.objects.filter(pk=organization.pk).update(org_type=Organization.OrgType.ORG)
        organization.refresh_from_db()
        server, _ = server_with_token(organization, devices=1)
        client = client_for(dep_server, organization)
        serial = Device.objects.get(mdm_server=server).serial_number
        created = client.activity("RELEASE_DEVICES", [serial]).json()["data"]
        assert (
            client.get(f"/v1/orgDeviceActivities/{created['id']}").json()["data"]["attributes"]["status"]
            == "COMPLETED"
        )
        assert Device.objects.get(serial_number=serial).disowned_at is not None
        assert_api_error(client.get(f"/v1/orgDevices/{serial}"), 404)

    def test_request_errors(self, dep_server, organization) -> None:
        server, _ = server_with_token(organization, devices=0)
        client = client_for(dep_server, organization)
        assert_api_error(client.post("/v1/orgDeviceActivities", "{not json"), 400)
        assert_api_error(client.post("/v1/orgDeviceActivities", {"nodata": 1}), 400)
        bad_type = {"data": {"type": "devices", "attributes": {}, "relationships": {}}}
        assert_api_error(client.post("/v1/orgDeviceActivities", bad_type), 409)
        assert_api_error(client.activity("ASSIGN_DEVICES", ["X"]), 409, "ENTITY_ERROR.RELATIONSHIP.REQUIRED")
        assert_api_error(client.activity("ASSIGN_DEVICES", ["X"], "UNKNOWNSERVER"), 404)
        no_devices = {
            "data": {
                "type": "orgDeviceActivities",
                "attributes": {"activityType": "ASSIGN_DEVICES"},
                "relationships": {"devices": {"data": []}},
            }
        }
        assert_api_error(client.post("/v1/orgDeviceActivities", no_devices), 409)
        assert_api_error(client.get("/v1/orgDeviceActivities/unknown"), 404)
        # Readable for 30 days.
        created = client.activity("ASSIGN_DEVICES", ["X"], server.server_uuid).json()["data"]
        controls.clock_set_offset(seconds=31 * 86400)
        try:
            assert_api_error(client.get(f"/v1/orgDeviceActivities/{created['id']}"), 401)  # token too
            account = client.account
            assertion = client_assertion(
                account["client_id"],
                account["key_id"],
                account["private_key_pem"],
                now=time.time() + 31 * 86400,
            )
            bearer = client.token_request(assertion).json()["access_token"]
            client.http.headers["Authorization"] = f"Bearer {bearer}"
            assert_api_error(client.get(f"/v1/orgDeviceActivities/{created['id']}"), 404)
        finally:
            controls.clock_set_offset(seconds=0)
        assert jwt  # the client signs with PyJWT


@pytest.mark.django_db(databases=["default", "apple"])
def test_activities_complete_by_command(organization) -> None:
    from django.core.management import call_command

    server = mdm_servers.mdm_server_create(actor=None, organization=organization, name="S")
    serial = Device.objects.all()[0].serial_number
    from mock_apple.services import api_activities

    activity = api_activities.activity_create(
        organization=organization,
        account=None,
        request=api_activities.ActivityRequest(
            "ASSIGN_DEVICES", [serial], MdmServer.objects.get(pk=server.pk), None
        ),
    )
    out = io.StringIO()
    with clock.frozen_at(activity.due_at + timedelta(seconds=1)):
        call_command("mock_apple_complete_activities", stdout=out)
    activity.refresh_from_db()
    assert activity.status == "COMPLETED" and "1" in out.getvalue()
    assert Device.objects.get(serial_number=serial).mdm_server_id == server.pk


def test_the_text_writer_equals_the_resource_builder() -> None:
    for family, description, server, assigned in (
        (
            "iPhone",
            'IPHONE 15 "PRO" 128GB BLACK',
            "ABC",
            datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        ),
        ("iPad", "IPAD WI-FI SILVER", None, None),
        ("Apple TV", "APPLE TV 4K CELL", None, None),
    ):
        row = {
            "id": 1,
            "serial_number": 'DMPQÉ"1',
            "model": 'Model "X" é',
            "description": description,
            "color": "SILVER",
            "device_family": family,
            "device_assigned_date": assigned,
            "mdm_server__server_uuid": server,
            "order__order_number": "MX1",
            "order__order_date": datetime.date(2026, 1, 1),
            "order__supplier": "Reseller",
        }
        assert json.loads(device_json_text(row, "http://h")) == device_resource(row, "http://h")


def test_the_derived_attributes_stay_what_they_were() -> None:
    """derived() reads lookup tables since the page writer was made faster: the same values as
    the straightforward formulas (a client that stored them sees no change)."""
    found = derived("DMPQ1234ABCD")
    assert tuple(found) == (
        "10,8",
        "128GB",
        "M35C2JLL/A",
        "DB:75:7A:61:12:5E",
        "44:B6:A0:A3:2F:23",
        "1405AE",
        "3140504914441219281052089150664317570611254441600032523",
    )
    assert (found.imei, found.meid, found.eid) == (
        "353140504914448",
        "12192810520891",
        "89045066431757061125444160003252",
    )


def test_a_page_of_text_is_the_resources_in_order() -> None:
    rows = [
        {
            "id": number,
            "serial_number": f"DMPQ{number:04d}",
            "model": "iPad" if number % 2 else 'iPhone "15"',
            "description": "IPHONE 15 128GB" if number % 2 == 0 else "IPAD WI-FI 64GB",
            "color": "SILVER",
            "device_family": "iPad" if number % 2 else "iPhone",
            "device_assigned_date": None,
            "mdm_server__server_uuid": "ABC" if number % 3 else None,
            "order__order_number": f"MX{number % 2}",
            "order__order_date": datetime.date(2026, 1, 1),
            "order__supplier": "Apple",
        }
        for number in range(6)
    ]
    text = devices_json_text(rows, "http://h")
    assert json.loads(f"[{text}]") == [device_resource(row, "http://h") for row in rows]
