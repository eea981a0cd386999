"""Microsoft Graph's managedDevices (beta), called as the Graph docs describe them: the list with
$filter, $select, $top, $count and @odata.nextLink paging; one device; the remote actions and
DELETE, each through the blade's service (rules, audit with the app as actor) and answering as
Graph does (204, 400 with Graph's error shape, 403, 404)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from asm_portal.models import AuditEvent, Tenant
from asm_portal.tenancy import tenant_scope
from graph.models import (
    DEVICES_PRIVILEGED_ROLE,
    DEVICES_READ_ROLE,
    DEVICES_READ_WRITE_ROLE,
    Permission,
)
from mdm import device_actions
from mdm.models import DeviceAction, DeviceCommand, ManagementState
from tests.graph.conftest import GraphClient, app_create
from tests.graph.test_api import graph_error
from tests.mdm.managed import device_answers, managed_device_create, managed_devices_create

pytestmark = pytest.mark.django_db
MANAGED = "managedDevices"


@pytest.fixture
def devices_reader(db: None) -> GraphClient:
    return GraphClient(app_create(Permission.READ, name="Inventory", device_permissions=(DEVICES_READ_ROLE,)))


@pytest.fixture
def operator_app(db: None) -> GraphClient:
    """An app of the help desk: reads and runs the remote actions, may not delete."""
    return GraphClient(
        app_create(
            Permission.READ,
            name="Help desk",
            device_permissions=(DEVICES_READ_ROLE, DEVICES_PRIVILEGED_ROLE),
        )
    )


@pytest.fixture
def devices_writer(db: None) -> GraphClient:
    return GraphClient(
        app_create(Permission.READ, name="Cleanup", device_permissions=(DEVICES_READ_WRITE_ROLE,))
    )


def _commands(device: Any) -> list[tuple[str, dict[str, Any]]]:
    return list(
        DeviceCommand.objects.filter(device=device)
        .order_by("queued_at", "id")
        .values_list("request_type", "payload")
    )


class ListTests:
    def test_the_list_in_graph_s_shape(self, devices_reader: GraphClient) -> None:
        device = managed_device_create(is_shared_ipad=True)
        answer = devices_reader.get(MANAGED)
        assert answer.status_code == 200, answer.content
        assert answer["OData-Version"] == "4.0"
        body = answer.json()
        assert body["@odata.context"].endswith("/beta/$metadata#deviceManagement/managedDevices")
        [item] = body["value"]
        assert item["@odata.type"] == "#microsoft.graph.managedDevice"
        assert item["id"] == str(device.pk)
        assert item["deviceName"] == "IPAD-001" and item["serialNumber"] == "DMPQ000001"
        assert item["operatingSystem"] == "iOS" and item["deviceType"] == "iPad"
        assert item["managementAgent"] == "mdm" and item["managedDeviceOwnerType"] == "company"
        assert item["managementState"] == "managed" and item["lostModeState"] == "disabled"
        assert item["isSupervised"] is True and item["sharedDevice"] is True
        assert item["deviceEnrollmentType"] == "appleBulkWithUser"
        assert item["totalStorageSpaceInBytes"] == 64_000_000_000
        assert item["wiFiMacAddress"] == "f0:18:98:00:00:01"
        assert item["enrolledDateTime"].endswith("Z")
        # Non-default properties are null in a list.
        assert item["udid"] is None and item["activationLockBypassCode"] is None
        assert "@odata.nextLink" not in body

    def test_filters_as_graph_reads_them(self, devices_reader: GraphClient) -> None:
        managed_devices_create(5)
        managed_device_create("ZZPQ000009", name="lab-ipad")
        for expression, expected in (
            ("serialNumber eq 'dmpq000002'", ["DMPQ000002"]),
            ("startswith(deviceName,'LAB')", ["ZZPQ000009"]),
            (
                "startswith(serialNumber,'DMPQ00000') and userPrincipalName eq 'student3@contoso.edu'",
                ["DMPQ000003"],
            ),
            ("managementState eq 'wipePending'", []),
        ):
            answer = devices_reader.get(f"{MANAGED}?$filter={expression}")
            assert answer.status_code == 200, (expression, answer.content)
            assert [item["serialNumber"] for item in answer.json()["value"]] == expected, expression

    def test_select_keeps_the_asked_properties(self, devices_reader: GraphClient) -> None:
        managed_device_create()
        answer = devices_reader.get(f"{MANAGED}?$select=id,deviceName,serialNumber")
        [item] = answer.json()["value"]
        assert set(item) == {"@odata.type", "id", "deviceName", "serialNumber"}

    def test_paging_follows_next_links_to_every_device_once(self, devices_reader: GraphClient) -> None:
        managed_devices_create(7)
        seen: list[str] = []
        url = f"{MANAGED}?$top=3&$orderby=serialNumber desc"
        pages = 0
        while url:
            body = devices_reader.get(url).json()
            seen.extend(item["serialNumber"] for item in body["value"])
            url = body.get("@odata.nextLink", "").split("/beta/deviceManagement/", 1)[-1]
            pages += 1
        assert pages == 3
        assert seen == sorted(seen, reverse=True) and len(set(seen)) == 7
        # Without $orderby: in the order of their ids, the skip token the last id.
        ids: list[int] = []
        url = f"{MANAGED}?$top=3&$select=id"
        while url:
            body = devices_reader.get(url).json()
            ids.extend(int(item["id"]) for item in body["value"])
            url = body.get("@odata.nextLink", "").split("/beta/deviceManagement/", 1)[-1]
        assert ids == sorted(ids) and len(ids) == 7

    def test_count_needs_consistency_level(self, devices_reader: GraphClient) -> None:
        managed_devices_create(4)
        managed_device_create("GONE000001", management_state=ManagementState.DELETE_PENDING)
        graph_error(devices_reader.get(f"{MANAGED}?$count=true"), 400, "BadRequest")
        answer = devices_reader.get(f"{MANAGED}?$count=true&$top=1", ConsistencyLevel="eventual")
        body = answer.json()
        assert body["@odata.count"] == 4 and len(body["value"]) == 1

    @pytest.mark.parametrize(
        "query",
        [
            "$filter=complianceState eq 'compliant'",
            "$filter=startswith(model,'i')",
            "$select=nothing",
            "$top=0",
            "$skiptoken=!!",
        ],
    )
    def test_what_graph_refuses_is_a_400(self, devices_reader: GraphClient, query: str) -> None:
        graph_error(devices_reader.get(f"{MANAGED}?{query}"), 400, "BadRequest")

    def test_an_app_without_a_managed_device_permission_is_denied(self, writer: GraphClient) -> None:
        managed_device_create()
        graph_error(writer.get(MANAGED), 403, "Authorization_RequestDenied")


class DeviceTests:
    def test_one_device_and_its_non_default_properties(self, devices_reader: GraphClient) -> None:
        device = managed_device_create(activation_lock_bypass_code="ABCDE-FGHIJ-KLMNO-PQRST-UVWXY")
        body = devices_reader.get(f"{MANAGED}/{device.pk}").json()
        assert body["@odata.context"].endswith("#deviceManagement/managedDevices/$entity")
        assert body["serialNumber"] == "DMPQ000001" and body["udid"] is None
        assert body["activationLockBypassCode"] is None
        body = devices_reader.get(f"{MANAGED}('{device.pk}')?$select=id,udid,activationLockBypassCode").json()
        assert body["udid"] == device.udid
        assert body["activationLockBypassCode"] == "ABCDE-FGHIJ-KLMNO-PQRST-UVWXY"

    def test_unknown_deleted_and_other_tenant_devices_are_404(self, devices_reader: GraphClient) -> None:
        gone = managed_device_create("GONE000001", management_state=ManagementState.DELETE_PENDING)
        other = Tenant.objects.create(display_name="Fabrikam", initial_domain="fabrikam.onmicrosoft.com")
        with tenant_scope(other):
            theirs = managed_device_create("FABR000001")
        for device_id in ("999999", "abc", str(gone.pk), str(theirs.pk)):
            graph_error(devices_reader.get(f"{MANAGED}/{device_id}"), 404, "ResourceNotFound")

    def test_action_results_follow_the_device_s_replies(self, operator_app: GraphClient) -> None:
        device = managed_device_create()
        assert operator_app.post(f"{MANAGED}/{device.pk}/remoteLock").status_code == 204
        [result] = operator_app.get(f"{MANAGED}/{device.pk}").json()["deviceActionResults"]
        assert result["actionName"] == "remoteLock" and result["actionState"] == "pending"
        device_answers(device)
        [result] = operator_app.get(f"{MANAGED}/{device.pk}").json()["deviceActionResults"]
        assert result["actionState"] == "done"


class ActionTests:
    @pytest.mark.parametrize(
        ("action", "body", "request_type", "payload"),
        [
            ("syncDevice", None, "DeviceInformation", None),
            ("rebootNow", None, "RestartDevice", {}),
            ("shutDown", None, "ShutDownDevice", {}),
            ("remoteLock", None, "DeviceLock", {}),
            ("resetPasscode", None, "ClearPasscode", {"UnlockToken": {"$data": "dW5sb2Nr"}}),
            (
                "setDeviceName",
                {"deviceName": "Lab-7"},
                "Settings",
                {"Settings": [{"Item": "DeviceName", "DeviceName": "Lab-7"}]},
            ),
            (
                "enableLostMode",
                {"message": "Return to room 12", "phoneNumber": "+33 1 23", "footer": "Contoso"},
                "EnableLostMode",
                {"Message": "Return to room 12", "PhoneNumber": "+33 1 23", "Footnote": "Contoso"},
            ),
            ("wipe", {"persistEsimDataPlan": True}, "EraseDevice", {"PreserveDataPlan": True}),
            ("wipe", {}, "EraseDevice", {"PreserveDataPlan": False}),
            ("retire", None, "RemoveProfile", {"Identifier": "com.microsoft.intune.mdm.enrollment"}),
            ("bypassActivationLock", None, "ActivationLockBypassCode", {}),
        ],
    )
    def test_each_action_queues_the_blade_s_command(
        self, operator_app: GraphClient, action: str, body: Any, request_type: str, payload: Any
    ) -> None:
        device = managed_device_create()
        answer = operator_app.post(f"{MANAGED}/{device.pk}/{action}", body)
        assert answer.status_code == 204, answer.content
        assert answer.content == b""
        first = _commands(device)[0]
        assert first[0] == request_type
        if payload is not None:
            assert first[1] == payload
        event = AuditEvent.objects.get(category=AuditEvent.Category.DEVICE)
        assert event.actor_name.startswith("Help desk (app ") and event.actor is None
        assert event.action.endswith(" ManagedDevice")

    def test_lost_mode_actions_and_their_rules(self, operator_app: GraphClient) -> None:
        device = managed_device_create()
        error = graph_error(operator_app.post(f"{MANAGED}/{device.pk}/locateDevice"), 400, "BadRequest")
        assert "lost mode" in error["message"]
        error = graph_error(
            operator_app.post(f"{MANAGED}/{device.pk}/playLostModeSound", {"durationInMinutes": "2"}),
            400,
            "BadRequest",
        )
        assert "lost mode" in error["message"]
        error = graph_error(operator_app.post(f"{MANAGED}/{device.pk}/enableLostMode", {}), 400, "BadRequest")
        assert error["details"][0]["target"] == "message"
        assert (
            operator_app.post(f"{MANAGED}/{device.pk}/enableLostMode", {"message": "Lost"}).status_code == 204
        )
        device_answers(device)
        assert operator_app.post(f"{MANAGED}/{device.pk}/locateDevice").status_code == 204
        answer = operator_app.post(f"{MANAGED}/{device.pk}/playLostModeSound", {"durationInMinutes": "2"})
        assert answer.status_code == 204, answer.content
        assert [c[0] for c in _commands(device)][-2:] == ["DeviceLocation", "PlayLostModeSound"]
        assert DeviceAction.objects.get(kind="play_sound").parameters == {"duration_minutes": 2}
        assert operator_app.post(f"{MANAGED}/{device.pk}/disableLostMode").status_code == 204

    def test_a_bad_body_is_a_400_and_changes_nothing(self, operator_app: GraphClient) -> None:
        device = managed_device_create()
        for action, body in (
            ("setDeviceName", {"deviceName": "Lab 7"}),
            ("setDeviceName", {"deviceName": 7}),
            ("wipe", {"persistEsimDataPlan": "yes"}),
            ("playLostModeSound", {"durationInMinutes": 2}),
        ):
            graph_error(operator_app.post(f"{MANAGED}/{device.pk}/{action}", body), 400, "BadRequest")
        assert not DeviceCommand.objects.exists()
        assert not AuditEvent.objects.filter(category=AuditEvent.Category.DEVICE).exists()

    def test_shared_ipad_user_actions(self, operator_app: GraphClient) -> None:
        device = managed_device_create(is_shared_ipad=True)
        assert (
            operator_app.post(f"{MANAGED}/{device.pk}/logoutSharedAppleDeviceActiveUser").status_code == 204
        )
        answer = operator_app.post(
            f"{MANAGED}/{device.pk}/deleteUserFromSharedAppleDevice", {"userPrincipalName": "ada@contoso.edu"}
        )
        assert answer.status_code == 204
        assert [c[0] for c in _commands(device)] == ["LogOutUser", "DeleteUser"]
        single = managed_device_create("DMPQ000002", name="IPAD-002")
        graph_error(
            operator_app.post(f"{MANAGED}/{single.pk}/logoutSharedAppleDeviceActiveUser"), 400, "BadRequest"
        )

    def test_permissions_as_graph_lists_them(
        self, devices_reader: GraphClient, operator_app: GraphClient, devices_writer: GraphClient
    ) -> None:
        device = managed_device_create()
        graph_error(
            devices_reader.post(f"{MANAGED}/{device.pk}/rebootNow"), 403, "Authorization_RequestDenied"
        )
        graph_error(
            devices_writer.post(f"{MANAGED}/{device.pk}/rebootNow"), 403, "Authorization_RequestDenied"
        )
        graph_error(operator_app.call("DELETE", f"{MANAGED}/{device.pk}"), 403, "Authorization_RequestDenied")
        assert not DeviceCommand.objects.exists()
        # ReadWrite.All may retire (and wipe) and delete.
        assert devices_writer.post(f"{MANAGED}/{device.pk}/retire").status_code == 204

    def test_delete_hides_the_device_and_retires_it(self, devices_writer: GraphClient) -> None:
        device = managed_device_create()
        answer = devices_writer.call("DELETE", f"{MANAGED}/{device.pk}")
        assert answer.status_code == 204
        device.refresh_from_db()
        assert device.management_state == ManagementState.DELETE_PENDING
        assert _commands(device) == [("RemoveProfile", {"Identifier": "com.microsoft.intune.mdm.enrollment"})]
        graph_error(devices_writer.get(f"{MANAGED}/{device.pk}"), 404, "ResourceNotFound")
        assert devices_writer.get(MANAGED).json()["value"] == []

    def test_wipe_takes_precedence_and_the_daily_cap_holds(
        self, operator_app: GraphClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        device = managed_device_create()
        assert operator_app.post(f"{MANAGED}/{device.pk}/wipe", {}).status_code == 204
        error = graph_error(operator_app.post(f"{MANAGED}/{device.pk}/rebootNow"), 400, "BadRequest")
        assert "precedence" in error["message"]
        retire = device_actions.ACTIONS["retire"]
        monkeypatch.setitem(device_actions.ACTIONS, "retire", dataclasses.replace(retire, daily_cap=1))
        other = managed_device_create("DMPQ000002", name="IPAD-002")
        third = managed_device_create("DMPQ000003", name="IPAD-003")
        assert operator_app.post(f"{MANAGED}/{other.pk}/retire").status_code == 204
        error = graph_error(operator_app.post(f"{MANAGED}/{third.pk}/retire"), 400, "BadRequest")
        assert "daily limit" in error["message"]

    def test_wrong_methods_and_unknown_actions(self, operator_app: GraphClient) -> None:
        device = managed_device_create()
        assert operator_app.get(f"{MANAGED}/{device.pk}/rebootNow").status_code == 405
        assert operator_app.post(MANAGED).status_code == 405
        graph_error(operator_app.post(f"{MANAGED}/{device.pk}/selfDestruct"), 400, "BadRequest")
