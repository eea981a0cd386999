"""GET /account, POST /devices, POST /devices/disown and POST /device/activationlock."""

from __future__ import annotations

from mock_apple.models import Device, DeviceEvent
from tests.mock_apple.conftest import DepClient, assert_schema, live, server_with_token


@live
class DeviceEndpointTests:
    def client(self, dep_server, organization, version: int = 7) -> DepClient:
        _, token = server_with_token(organization, devices=3)
        client = DepClient(dep_server, token, version=version)
        client.authenticate()
        return client

    def test_account_details_by_protocol_version(self, dep_server, organization) -> None:
        client = self.client(dep_server, organization, version=2)
        old = client.call("GET", "/account").json()
        assert_schema(old, "AccountDetail.json")
        assert old["server_name"] == "Intune" and old["admin_id"] == "admin@appleid.contoso.edu"
        assert "org_type" not in old and "urls" not in old
        client.http.headers["X-Server-Protocol-Version"] = "3"
        new = client.call("GET", "/account").json()
        assert_schema(new, "AccountDetail.json")
        assert (new["org_type"], new["org_version"], new["org_id"]) == ("edu", "v2", "3F1A0C2B9D")
        fetch = next(url for url in new["urls"] if url["uri"].endswith("/server/devices"))
        assert fetch["limit"] == {"default": 1000, "maximum": 1000} and fetch["http_method"] == ["POST"]

    def test_details_answer_per_serial(self, dep_server, organization) -> None:
        client = self.client(dep_server, organization)
        serial = Device.objects.filter(mdm_server__isnull=False)[0].serial_number
        body = client.call("POST", "/devices", {"devices": [serial, "DMPQ000029"]}).json()
        assert_schema({"devices": {serial: body["devices"][serial]}}, "DeviceListResponse.json")
        assert body["devices"][serial]["response_status"] == "SUCCESS"
        # As Apple answers (and unlike the schema's "required"): no serial_number, no model.
        assert body["devices"]["DMPQ000029"] == {"response_status": "NOT_ACCESSIBLE"}
        assert client.call("POST", "/devices", {"devices": []}).text == "DEVICE_ID_REQUIRED"

    def test_disown_removes_the_device_for_good(self, dep_server, organization) -> None:
        client = self.client(dep_server, organization)
        serial = Device.objects.filter(mdm_server__isnull=False)[0].serial_number
        response = client.call("POST", "/devices/disown", {"devices": [serial, "DMPQ000029"]})
        assert_schema(response.json(), "DeviceStatusResponse.json")
        assert response.json() == {"devices": {serial: "SUCCESS", "DMPQ000029": "NOT_ACCESSIBLE"}}
        device = Device.objects.get(serial_number=serial)
        assert device.mdm_server is None and device.disowned_at is not None
        assert DeviceEvent.objects.filter(device=device, op_type="deleted").exists()

    def test_activation_lock(self, dep_server, organization) -> None:
        client = self.client(dep_server, organization)
        serial = Device.objects.filter(mdm_server__isnull=False)[0].serial_number
        response = client.call("POST", "/device/activationlock", {"device": serial, "escrow_key": "a" * 64})
        assert_schema(response.json(), "ActivationLockStatusResponse.json")
        assert response.json() == {"serial_number": serial, "response_status": "SUCCESS"}
        again = client.call("POST", "/device/activationlock", {"device": serial}).json()
        assert again["response_status"] == "DEVICE_ALREADY_LOCKED"
        assert (
            client.call("POST", "/device/activationlock", {"device": "DMPQ000029"}).json()["response_status"]
            == "NOT_ACCESSIBLE"
        )
        assert (
            client.call("POST", "/device/activationlock", {"device": serial, "escrow_key": "short"}).text
            == "MALFORMED_REQUEST_BODY"
        )
        assert client.call("POST", "/device/activationlock", {}).text == "DEVICE_ID_REQUIRED"

    def test_wrong_methods_are_405(self, dep_server, organization) -> None:
        client = self.client(dep_server, organization)
        for method, path in (
            ("GET", "/server/devices"),
            ("PUT", "/devices/sync"),
            ("POST", "/account"),
            ("PATCH", "/profile/devices"),
        ):
            assert client.call(method, path).status_code == 405
