"""POST /server/devices and POST /devices/sync: the walk, its end, the change feed, cursors."""

from __future__ import annotations

from typing import Any

from mock_apple import cursors
from mock_apple.models import Device, MdmServer, Organization
from mock_apple.services import assignments, controls, mdm_servers
from tests.mock_apple.conftest import DepClient, assert_schema, live, server_with_token
from tests.mock_apple.test_cursors import former_format


def walk(client: DepClient, limit: int) -> tuple[list[dict[str, Any]], str]:
    devices: list[dict[str, Any]] = []
    body: dict[str, Any] = {"limit": limit}
    while True:
        response = client.call("POST", "/server/devices", body)
        assert response.status_code == 200, response.text
        page = response.json()
        assert_schema(page, "FetchDeviceResponse.json")
        assert len(page["devices"]) <= limit
        devices += page["devices"]
        body = {"limit": limit, "cursor": page["cursor"]}
        if not page["more_to_follow"]:
            return devices, page["cursor"]


@live
class FetchSyncTests:
    def client(
        self, dep_server: str, organization: Organization, devices: int = 25, version: int = 7
    ) -> DepClient:
        _, token = server_with_token(organization, devices=devices)
        client = DepClient(dep_server, token, version=version)
        client.authenticate()
        return client

    def test_it_walks_fetch_then_exhausts_then_syncs(self, dep_server, organization) -> None:
        client = self.client(dep_server, organization)
        devices, cursor = walk(client, limit=10)
        server = MdmServer.objects.get()
        assert sorted(d["serial_number"] for d in devices) == sorted(
            Device.objects.filter(mdm_server=server).values_list("serial_number", flat=True)
        )
        assert all("op_type" not in d for d in devices)
        again = client.call("POST", "/server/devices", {"cursor": cursor})
        assert (again.status_code, again.text) == (400, "EXHAUSTED_CURSOR")
        sync = client.call("POST", "/devices/sync", {"cursor": cursor})
        assert sync.status_code == 200
        assert_schema(sync.json(), "FetchDeviceResponse.json")
        assert sync.json()["devices"] == []
        assert sync.json()["more_to_follow"] is False
        assert sync.json()["cursor"] != cursor  # always a new cursor

    def test_the_limit_defaults_to_100_and_is_clamped_to_1000(self, dep_server, organization) -> None:
        Device.objects.bulk_create(
            Device(
                organization=organization,
                order_id=Device.objects.all()[0].order_id,
                serial_number=f"BULK{i:06d}",
                model="iPad",
                description="IPAD",
                color="SILVER",
                device_family="iPad",
                os="iPadOS",
            )
            for i in range(1100)
        )
        client = self.client(dep_server, organization, devices=1105)
        assert len(client.call("POST", "/server/devices", {}).json()["devices"]) == 100
        page = client.call("POST", "/server/devices", {"limit": 5000}).json()
        assert len(page["devices"]) == 1000
        assert page["more_to_follow"] is True
        assert client.call("POST", "/server/devices", {"limit": "ten"}).text == "MALFORMED_REQUEST_BODY"

    def test_the_feed_reports_adds_moves_profiles_and_deletes(self, dep_server, organization) -> None:
        client = self.client(dep_server, organization, devices=5)
        server = MdmServer.objects.get()
        _, cursor = walk(client, limit=100)
        other = mdm_servers.mdm_server_create(actor=None, organization=organization, name="Jamf")
        fresh = list(Device.objects.filter(mdm_server__isnull=True).values_list("id", flat=True)[:2])
        assignments.devices_assign(actor=None, organization=organization, server=server, device_ids=fresh)
        moved = Device.objects.filter(mdm_server=server).order_by("id")[0]
        assignments.devices_assign(actor=None, organization=organization, server=other, device_ids=[moved.pk])
        gone = Device.objects.filter(mdm_server=server).order_by("-id")[0]
        assignments.devices_unassign(actor=None, organization=organization, device_ids=[gone.pk])
        response = client.call("POST", "/devices/sync", {"cursor": cursor, "limit": 2})
        assert response.json()["more_to_follow"] is True
        lines = response.json()["devices"]
        while response.json()["more_to_follow"]:
            response = client.call("POST", "/devices/sync", {"cursor": response.json()["cursor"], "limit": 2})
            assert_schema(response.json(), "FetchDeviceResponse.json")
            lines += response.json()["devices"]
        ops = [(line["serial_number"], line["op_type"]) for line in lines]
        added = set(Device.objects.filter(id__in=fresh).values_list("serial_number", flat=True))
        assert {serial for serial, op in ops if op == "added"} == added
        assert (moved.serial_number, "deleted") in ops
        assert (gone.serial_number, "deleted") in ops
        assert all(line["op_date"].endswith("Z") for line in lines)

    def test_a_move_shows_as_modified_on_the_new_server_as_apple_does(self, dep_server, organization) -> None:
        mdm_servers.mdm_server_create(actor=None, organization=organization, name="Old")
        old = MdmServer.objects.get(name="Old")
        assignments.devices_assign_unassigned(server=old, count=1)
        client = self.client(dep_server, organization, devices=0)
        _, cursor = walk(client, limit=100)
        new = MdmServer.objects.get(name="Intune")
        assignments.devices_assign(
            actor=None,
            organization=organization,
            server=new,
            device_ids=[Device.objects.get(mdm_server=old).pk],
        )
        lines = client.call("POST", "/devices/sync", {"cursor": cursor}).json()["devices"]
        assert [line["op_type"] for line in lines] == ["modified"]
        assert lines[0]["profile_status"] == "empty"

    def test_the_fetch_snapshot_leaves_later_devices_to_sync(self, dep_server, organization) -> None:
        client = self.client(dep_server, organization, devices=4)
        first = client.call("POST", "/server/devices", {"limit": 2}).json()
        server = MdmServer.objects.get()
        assignments.devices_assign_unassigned(server=server, count=3)
        rest = client.call("POST", "/server/devices", {"limit": 100, "cursor": first["cursor"]}).json()
        assert len(first["devices"]) + len(rest["devices"]) == 4
        lines = client.call("POST", "/devices/sync", {"cursor": rest["cursor"]}).json()["devices"]
        assert [line["op_type"] for line in lines] == ["added"] * 3

    def test_cursor_errors(self, dep_server, organization) -> None:
        client = self.client(dep_server, organization)
        assert client.call("POST", "/devices/sync", {}).text == "CURSOR_REQUIRED"
        # A cursor of the former hand-made format fails as INVALID_CURSOR, and the client walks again.
        for garbage in ("nonsense", "MToyOjM", "A" * 40, former_format("S:1:0:0:1772353815250:0")):
            for path in ("/devices/sync", "/server/devices"):
                response = client.call("POST", path, {"cursor": garbage})
                assert (response.status_code, response.text) == (400, "INVALID_CURSOR")
        _, cursor = walk(client, limit=100)
        controls.clock_set_offset(seconds=7 * 86_400 + 60)
        client.authenticate()
        response = client.call("POST", "/devices/sync", {"cursor": cursor})
        assert (response.status_code, response.text) == (400, "EXPIRED_CURSOR")

    def test_a_cursor_of_another_server_is_invalid(self, dep_server, organization) -> None:
        client = self.client(dep_server, organization)
        _, cursor = walk(client, limit=100)
        _, token = server_with_token(organization, name="Other", devices=1)
        other = DepClient(dep_server, token)
        other.authenticate()
        assert other.call("POST", "/devices/sync", {"cursor": cursor}).text == "INVALID_CURSOR"
        decoded = cursors.decode(cursor)
        assert decoded.server_id == MdmServer.objects.get(name="Intune").pk

    def test_a_sync_cursor_on_fetch_is_exhausted(self, dep_server, organization) -> None:
        client = self.client(dep_server, organization)
        _, cursor = walk(client, limit=100)
        sync_cursor = client.call("POST", "/devices/sync", {"cursor": cursor}).json()["cursor"]
        assert client.call("POST", "/server/devices", {"cursor": sync_cursor}).text == "EXHAUSTED_CURSOR"

    def test_the_protocol_version_gates_device_fields(self, dep_server, organization) -> None:
        _, token = server_with_token(organization, devices=6)
        for version, ipad_os in (
            (None, None),
            (1, None),
            (2, "iOS"),
            (6, "iOS"),
            (7, "iPadOS"),
            (10, "iPadOS"),
        ):
            client = DepClient(dep_server, token, version=version)
            client.authenticate()
            devices = client.call("POST", "/server/devices", {}).json()["devices"]
            ipad = next(d for d in devices if d["model"].startswith("iPad"))
            assert ipad.get("os") == ipad_os
            assert ("device_family" in ipad) == (ipad_os is not None)

    def test_apples_echoed_cursor_bug_can_be_injected(self, dep_server, organization) -> None:
        client = self.client(dep_server, organization)
        _, cursor = walk(client, limit=100)
        controls.config_update(echoed_cursor_remaining=2)
        for _ in range(2):
            page = client.call("POST", "/devices/sync", {"cursor": cursor}).json()
            assert page["cursor"] == cursor
            assert page["more_to_follow"] is True
            assert page["devices"] == []
        page = client.call("POST", "/devices/sync", {"cursor": cursor}).json()
        assert page["cursor"] != cursor
        assert page["more_to_follow"] is False
