"""The control API (/_mock/) and the faults it injects into Apple's endpoints."""

from __future__ import annotations

import time

from mock_apple.models import Device, ForcedResponse, MockConfig, Organization
from tests.mock_apple.conftest import DepClient, control, live, server_with_token


@live
class ControlApiTests:
    def test_it_needs_the_shared_secret(self, dep_server, organization) -> None:
        import requests

        assert requests.get(f"{dep_server}/_mock/state", timeout=5).status_code == 403
        wrong = requests.get(f"{dep_server}/_mock/state", headers={"X-Mock-Control-Token": "nope"}, timeout=5)
        assert wrong.status_code == 403
        assert control(dep_server, "GET", "state").status_code == 200
        assert control(dep_server, "DELETE", "state").status_code == 405

    def test_queued_faults_answer_in_order_then_stop(self, dep_server, organization) -> None:
        _, token = server_with_token(organization)
        client = DepClient(dep_server, token)
        client.authenticate()
        created = control(
            dep_server,
            "POST",
            "faults",
            {"endpoint": "account", "status": 429, "retry_after": 120, "count": 2},
        )
        assert created.status_code == 201
        control(
            dep_server, "POST", "faults", {"endpoint": "account", "status": 403, "code": "T_C_NOT_SIGNED"}
        )
        for _ in range(2):
            response = client.call("GET", "/account")
            assert (response.status_code, response.text, response.headers["Retry-After"]) == (
                429,
                "TOO_MANY_REQUESTS",
                "120",
            )
        response = client.call("GET", "/account")
        assert (response.status_code, response.text) == (403, "T_C_NOT_SIGNED")
        assert client.call("GET", "/account").status_code == 200
        assert not ForcedResponse.objects.exists()

    def test_faults_hit_only_their_endpoint_and_any_hits_all(self, dep_server, organization) -> None:
        _, token = server_with_token(organization)
        client = DepClient(dep_server, token)
        control(dep_server, "POST", "faults", {"endpoint": "fetch", "status": 503})
        control(dep_server, "POST", "faults", {"endpoint": "session", "status": 403, "code": "ACCESS_DENIED"})
        assert client.session().text == "ACCESS_DENIED"
        client.authenticate()
        assert client.call("GET", "/account").status_code == 200
        assert client.call("POST", "/server/devices", {}).status_code == 503
        control(dep_server, "POST", "faults", {"endpoint": "*", "status": 500})
        assert client.call("GET", "/account").status_code == 500

    def test_latency_delays_the_real_answer(self, dep_server, organization) -> None:
        _, token = server_with_token(organization)
        client = DepClient(dep_server, token)
        client.authenticate()
        control(dep_server, "POST", "faults", {"endpoint": "account", "latency_ms": 400})
        started = time.monotonic()
        assert client.call("GET", "/account").status_code == 200
        assert time.monotonic() - started >= 0.4

    def test_bad_faults_are_refused(self, dep_server, organization) -> None:
        for body in (
            {"endpoint": "nowhere", "status": 500},
            {"endpoint": "fetch", "status": 200},
            {"endpoint": "fetch"},
            {"endpoint": "fetch", "status": "x"},
        ):
            response = control(dep_server, "POST", "faults", body)
            assert response.status_code == 400
            assert response.json()["error"]
        assert not ForcedResponse.objects.exists()

    def test_clear_and_reset(self, dep_server, organization) -> None:
        control(dep_server, "POST", "faults", {"endpoint": "fetch", "status": 503, "count": 5})
        control(
            dep_server,
            "PATCH",
            "config",
            {"throttle_rate": 0.5, "echoed_cursor_remaining": 3, "session_ttl_seconds": 60},
        )
        assert control(dep_server, "DELETE", "faults").status_code == 204
        config = MockConfig.objects.get()
        assert (config.throttle_rate, config.echoed_cursor_remaining, config.session_ttl_seconds) == (
            0,
            0,
            60,
        )
        control(dep_server, "PUT", "clock", {"offset_seconds": 3600})
        assert control(dep_server, "POST", "reset").json()["session_ttl_seconds"] == 180
        assert control(dep_server, "GET", "clock").json()["offset_seconds"] == 0

    def test_config_is_checked_before_saving(self, dep_server, organization) -> None:
        response = control(dep_server, "PATCH", "config", {"throttle_rate": 2, "session_ttl_seconds": 30})
        assert response.status_code == 400
        assert set(response.json()["fields"]) == {"throttle_rate"}
        assert MockConfig.objects.get().session_ttl_seconds == 180

    def test_session_rotation_and_lifetime(self, dep_server, organization) -> None:
        _, token = server_with_token(organization)
        control(dep_server, "PATCH", "config", {"session_rotation": True, "session_ttl_seconds": 60})
        client = DepClient(dep_server, token)
        first = client.authenticate()
        response = client.call("GET", "/account")
        rotated = response.headers["X-ADM-Auth-Session"]
        assert rotated != first
        assert client.call("GET", "/account").status_code == 200
        control(dep_server, "PUT", "clock", {"offset_seconds": 61})
        assert client.call("GET", "/account").status_code == 401

    def test_terms_tokens_and_access(self, dep_server, organization) -> None:
        _, token = server_with_token(organization)
        client = DepClient(dep_server, token)
        assert control(dep_server, "POST", "terms", {"action": "publish"}).json() == {
            "version": 2,
            "accepted_version": 1,
        }
        assert client.session().text == "T_C_NOT_SIGNED"
        control(dep_server, "POST", "terms", {"action": "accept"})
        client.authenticate()
        server_uuid = control(dep_server, "GET", "servers").json()["servers"][0]["server_uuid"]
        control(dep_server, "PUT", f"servers/{server_uuid}/access", {"denied": True})
        assert client.call("GET", "/account").text == "ACCESS_DENIED"
        control(dep_server, "PUT", f"servers/{server_uuid}/access", {"denied": False})
        assert control(dep_server, "POST", f"servers/{server_uuid}/revoke").json() == {"revoked": 1}
        assert client.session().text == "token_rejected"
        assert Organization.objects.get().terms_accepted

    def test_servers_and_assignments_for_other_test_suites(self, dep_server, organization) -> None:
        response = control(dep_server, "POST", "servers", {"name": "Portal under test", "assign": 5})
        assert response.status_code == 201
        body = response.json()
        assert body["server"]["devices"] == 5
        client = DepClient(dep_server, body["token"])
        client.authenticate()
        assert len(client.call("POST", "/server/devices", {}).json()["devices"]) == 5
        serial = Device.objects.filter(mdm_server__isnull=True)[0].serial_number
        moved = control(
            dep_server,
            "POST",
            "assignments",
            {"action": "assign", "serials": [serial], "server_uuid": body["server"]["server_uuid"]},
        )
        assert moved.json()["added"] == 1
        bad = control(
            dep_server, "POST", "assignments", {"action": "assign", "serials": ["NOPE"], "server_uuid": "x"}
        )
        assert bad.status_code == 400
