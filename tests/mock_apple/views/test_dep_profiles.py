"""POST/GET /profile, POST and PUT /profile/devices, DELETE /profile/devices (JSON body)."""

from __future__ import annotations

import pytest

from mock_apple.models import Device, DeviceEvent, MdmServer
from mock_apple.services import controls
from tests.mock_apple.conftest import DepClient, assert_schema, live, server_with_token

PROFILE = {"profile_name": "Shared iPads", "url": "https://portal.example/enroll", "is_supervised": True}


@live
class ProfileTests:
    def client(self, dep_server, organization, version: int = 7) -> DepClient:
        _, token = server_with_token(organization, devices=4)
        client = DepClient(dep_server, token, version=version)
        client.authenticate()
        return client

    def serials(self) -> list[str]:
        return list(
            Device.objects.filter(mdm_server__isnull=False)
            .order_by("id")
            .values_list("serial_number", flat=True)
        )

    def test_it_defines_reads_and_assigns_with_post_and_put(self, dep_server, organization) -> None:
        client = self.client(dep_server, organization)
        serials = self.serials()
        response = client.call("POST", "/profile", {**PROFILE, "devices": [serials[0], "NOTMINE0001"]})
        assert response.status_code == 200
        body = response.json()
        assert_schema(body, "DefineProfileResponse.json")
        assert body["devices"] == {serials[0]: "SUCCESS", "NOTMINE0001": "NOT_ACCESSIBLE"}
        uuid = body["profile_uuid"]
        assert len(uuid) == 32 and uuid == uuid.upper() and int(uuid, 16) >= 0
        read = client.call("GET", f"/profile?profile_uuid={uuid}").json()
        assert_schema(read, "Profile.json")
        assert read["profile_name"] == "Shared iPads" and read["is_mdm_removable"] is True
        for method, serial in (("POST", serials[1]), ("PUT", serials[2])):
            response = client.call(method, "/profile/devices", {"profile_uuid": uuid, "devices": [serial]})
            assert response.status_code == 200
            assert_schema(response.json(), "AssignProfileResponse.json")
            assert response.json() == {"profile_uuid": uuid, "devices": {serial: "SUCCESS"}}
            device = Device.objects.get(serial_number=serial)
            assert (device.profile_uuid, device.profile_status) == (uuid, "assigned")
            assert device.profile_assign_time is not None
        assert DeviceEvent.objects.filter(op_type="modified").count() == 3

    def test_it_removes_profiles_with_a_delete_body(self, dep_server, organization) -> None:
        client = self.client(dep_server, organization)
        serials = self.serials()
        uuid = client.call("POST", "/profile", {**PROFILE, "devices": serials[:2]}).json()["profile_uuid"]
        response = client.call(
            "DELETE", "/profile/devices", {"profile_uuid": uuid, "devices": [serials[0], "NOPE"]}
        )
        assert_schema(response.json(), "ClearProfileResponse.json")
        assert response.json() == {"devices": {serials[0]: "SUCCESS", "NOPE": "NOT_ACCESSIBLE"}}
        device = Device.objects.get(serial_number=serials[0])
        assert (device.profile_uuid, device.profile_status) == ("", "removed")
        assert client.call("DELETE", "/profile/devices", {}).text == "DEVICE_ID_REQUIRED"

    @pytest.mark.parametrize(
        ("change", "code"),
        [
            ({"profile_name": None}, "CONFIG_NAME_REQUIRED"),
            ({"profile_name": "x" * 126}, "CONFIG_NAME_INVALID"),
            ({"url": None}, "CONFIG_URL_REQUIRED"),
            ({"url": "not a url"}, "CONFIG_URL_INVALID"),
            ({"url": "ftp://portal.example/x"}, "CONFIG_URL_INVALID"),
            ({"department": "d" * 126}, "DEPARTMENT_INVALID"),
            ({"support_phone_number": "1" * 51}, "SUPPORT_PHONE_INVALID"),
            ({"support_email_address": "x" * 245 + "@a.example"}, "SUPPORT_EMAIL_INVALID"),
            ({"support_email_address": "not-an-email"}, "SUPPORT_EMAIL_INVALID"),
            ({"org_magic": "m" * 257}, "MAGIC_INVALID"),
            ({"is_mdm_removable": False, "is_supervised": False}, "FLAGS_INVALID"),
            ({"is_supervised": "yes"}, "FLAGS_INVALID"),
            ({"language": "french"}, "LOCALE_INVALID"),
            ({"language": "fr", "region": "france"}, "LOCALE_INVALID"),
        ],
    )
    def test_it_refuses_each_bad_field_with_apples_code(self, dep_server, organization, change, code) -> None:
        client = self.client(dep_server, organization)
        body = {key: value for key, value in {**PROFILE, **change}.items() if value is not None}
        response = client.call("POST", "/profile", body)
        assert (response.status_code, response.text) == (400, code)

    def test_limits_that_still_pass(self, dep_server, organization) -> None:
        client = self.client(dep_server, organization)
        body = {
            **PROFILE,
            "profile_name": "n" * 125,
            "department": "d" * 125,
            "support_phone_number": "1" * 50,
            "org_magic": "m" * 256,
            "is_mdm_removable": False,
            "language": "fr",
            "region": "FR",
        }
        assert client.call("POST", "/profile", body).status_code == 200

    def test_profile_lookups_and_assignment_errors(self, dep_server, organization) -> None:
        client = self.client(dep_server, organization)
        assert client.call("GET", "/profile").text == "PROFILE_UUID_REQUIRED"
        response = client.call("GET", "/profile?profile_uuid=" + "A" * 32)
        assert (response.status_code, response.text) == (400, "PROFILE_NOT_FOUND")
        controls.config_update(profile_not_found_status=404)
        response = client.call("POST", "/profile/devices", {"profile_uuid": "B" * 32, "devices": ["X"]})
        assert (response.status_code, response.text) == (404, "PROFILE_NOT_FOUND")
        assert client.call("POST", "/profile/devices", {"devices": ["X"]}).text == "PROFILE_UUID_REQUIRED"
        uuid = client.call("POST", "/profile", PROFILE).json()["profile_uuid"]
        assert client.call("PUT", "/profile/devices", {"profile_uuid": uuid}).text == "DEVICE_ID_REQUIRED"
        assert client.call("POST", "/profile", None, data="{not json").text == "MALFORMED_REQUEST_BODY"

    def test_throttling_by_protocol_version(self, dep_server, organization) -> None:
        _, token = server_with_token(organization, devices=3)
        serials = self.serials()
        controls.config_update(
            throttle_serials=[serials[0]], failed_serials=[serials[1]], retry_after_seconds=600
        )
        answers = {}
        for version in (8, 9, 10):
            client = DepClient(dep_server, token, version=version)
            client.authenticate()
            uuid = client.call("POST", "/profile", PROFILE).json()["profile_uuid"]
            answers[version] = client.call(
                "POST", "/profile/devices", {"profile_uuid": uuid, "devices": serials}
            ).json()
            assert_schema(answers[version], "AssignProfileResponse.json")
        assert answers[8]["devices"] == {serials[0]: "FAILED", serials[1]: "FAILED", serials[2]: "SUCCESS"}
        assert answers[9]["devices"][serials[0]] == "THROTTLED"
        assert "retry_after_seconds" not in answers[9]
        assert answers[10]["retry_after_seconds"] == 600
        assert Device.objects.get(serial_number=serials[0]).profile_status == "empty"

    def test_a_profile_of_another_server_is_not_found(self, dep_server, organization) -> None:
        client = self.client(dep_server, organization)
        uuid = client.call("POST", "/profile", PROFILE).json()["profile_uuid"]
        _, token = server_with_token(organization, name="Other", devices=0)
        other = DepClient(dep_server, token)
        other.authenticate()
        assert other.call("GET", f"/profile?profile_uuid={uuid}").text == "PROFILE_NOT_FOUND"
        assert MdmServer.objects.count() == 2
