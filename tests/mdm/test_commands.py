"""The command queue's services (mdm/commands.py): enqueue, cancel, inventory, next command and
the replies' effects on the device and on the action the commands carry out."""

from __future__ import annotations

import uuid

import pytest

from asm_portal import clock
from asm_portal.models import Tenant
from asm_portal.tenancy import require_tenant, tenant_scope
from mdm import commands, tasks
from mdm.models import (
    CommandStatus,
    DeviceAction,
    DeviceActionState,
    DeviceCommand,
    ManagedDevice,
    ManagementState,
)

pytestmark = pytest.mark.django_db


def managed_device(udid: str = "UDID-1", serial: str = "DMPX0001") -> ManagedDevice:
    return ManagedDevice.objects.create(
        tenant=require_tenant(),
        udid=udid,
        serial_number=serial,
        enrolled_at=clock.now(),
        push_token="ab" * 32,
        push_magic="MAGIC-" + udid,
        push_topic="com.apple.mgmt.External.test",
    )


def action_for(device: ManagedDevice, kind: str = "rename") -> DeviceAction:
    return DeviceAction.objects.create(
        tenant=device.tenant, device=device, kind=kind, requested_at=clock.now()
    )


@pytest.fixture
def pushed(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    calls: list[list[int]] = []

    def record(*, device_ids: list[int], final_attempt: bool = False) -> list[object]:
        calls.append(device_ids)
        return []

    monkeypatch.setattr(tasks, "devices_push", record)
    return calls


def send(device: ManagedDevice, include_not_now: bool = True) -> DeviceCommand | None:
    return commands.command_next(device=device, include_not_now=include_not_now)


def test_enqueue_queues_and_pushes_once_committed(pushed, django_capture_on_commit_callbacks) -> None:
    device = managed_device()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        command = commands.command_enqueue(device=device, request_type="RestartDevice")
    assert pushed == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert pushed == [[device.pk]]
    assert command.status == CommandStatus.QUEUED
    assert command.request_type == "RestartDevice" and command.payload == {}
    assert command.tenant_id == device.tenant_id


def test_inventory_refresh_queues_the_four_queries_with_one_push(
    pushed, django_capture_on_commit_callbacks
) -> None:
    device = managed_device()
    with django_capture_on_commit_callbacks(execute=True):
        queued = commands.inventory_refresh_enqueue(device=device)
    assert [command.request_type for command in queued] == [
        "DeviceInformation",
        "SecurityInfo",
        "ProfileList",
        "InstalledApplicationList",
    ]
    assert "SerialNumber" in queued[0].payload["Queries"]
    assert pushed == [[device.pk]]


def test_cancel_pending_cancels_unfinished_commands_and_their_actions(pushed) -> None:
    device = managed_device()
    action = action_for(device, "remote_lock")
    done = commands.command_enqueue(device=device, request_type="ProfileList")
    assert send(device) == done
    commands.command_reply_record(
        device=device, status="Acknowledged", command_uuid=str(done.command_uuid), reply={}
    )
    lock = commands.command_enqueue(device=device, request_type="DeviceLock", action=action)
    assert send(device) == lock
    later = commands.command_enqueue(device=device, request_type="RestartDevice")
    assert commands.commands_cancel_pending(device=device) == 2
    statuses = dict(DeviceCommand.objects.values_list("pk", "status"))
    assert statuses == {
        lock.pk: CommandStatus.CANCELLED,
        done.pk: CommandStatus.ACKNOWLEDGED,
        later.pk: CommandStatus.CANCELLED,
    }
    action.refresh_from_db()
    assert action.state == DeviceActionState.CANCELLED and action.finished_at is not None
    # A late reply to the cancelled command changes nothing.
    assert not commands.command_reply_record(
        device=device, status="Acknowledged", command_uuid=str(lock.command_uuid), reply={}
    )
    assert DeviceCommand.objects.get(pk=lock.pk).status == CommandStatus.CANCELLED


def test_next_command_oldest_first_and_not_now_waits_for_the_next_idle(pushed) -> None:
    device = managed_device()
    first = commands.command_enqueue(device=device, request_type="DeviceInformation")
    second = commands.command_enqueue(device=device, request_type="SecurityInfo")
    given = send(device)
    assert given is not None and given.pk == first.pk and given.attempts == 1 and given.sent_at
    commands.command_reply_record(
        device=device, status="NotNow", command_uuid=str(first.command_uuid), reply={}
    )
    # After a NotNow reply the same connection goes on with the next command…
    following = send(device, include_not_now=False)
    assert following is not None and following.pk == second.pk
    commands.command_reply_record(
        device=device, status="Acknowledged", command_uuid=str(second.command_uuid), reply={}
    )
    assert send(device, include_not_now=False) is None
    # …and the NotNow one is given again at the next Idle.
    again = send(device)
    assert again is not None and again.pk == first.pk and again.attempts == 2
    assert send(device) is not None  # sent, unanswered: the device asks again, it gets it again


def test_reply_records_inventory_and_is_idempotent(pushed) -> None:
    device = managed_device()
    command = commands.command_enqueue(device=device, request_type="DeviceInformation")
    send(device)
    reply = {
        "UDID": device.udid,
        "QueryResponses": {
            "DeviceName": "Cart 3 iPad",
            "OSVersion": "18.1",
            "ModelName": "iPad",
            "IsMultiUser": True,
        },
    }
    assert commands.command_reply_record(
        device=device, status="Acknowledged", command_uuid=str(command.command_uuid), reply=reply
    )
    device.refresh_from_db()
    assert device.device_name == "Cart 3 iPad" and device.os_version == "18.1" and device.is_shared_ipad
    assert device.inventory["DeviceName"] == "Cart 3 iPad"
    command.refresh_from_db()
    assert command.status == CommandStatus.ACKNOWLEDGED and command.finished_at is not None
    assert command.reply == {"QueryResponses": reply["QueryResponses"]}
    # The same reply again (a retried request) changes nothing.
    device.device_name = "Renamed since"
    device.save()
    assert not commands.command_reply_record(
        device=device, status="Acknowledged", command_uuid=str(command.command_uuid), reply=reply
    )
    device.refresh_from_db()
    assert device.device_name == "Renamed since"


@pytest.mark.parametrize(
    ("request_type", "payload", "field", "expected"),
    [
        (
            "Settings",
            {"Settings": [{"Item": "DeviceName", "DeviceName": "New name"}]},
            "device_name",
            "New name",
        ),
        ("EraseDevice", {}, "management_state", ManagementState.WIPED),
        (
            "RemoveProfile",
            {"Identifier": commands.MDM_PROFILE_IDENTIFIER},
            "management_state",
            ManagementState.RETIRED,
        ),
        ("EnableLostMode", {"Message": "Lost"}, "lost_mode_enabled", True),
        ("DeviceConfigured", {}, "awaiting_configuration", False),
    ],
)
def test_acknowledged_commands_change_the_device(pushed, request_type, payload, field, expected) -> None:
    device = managed_device()
    device.awaiting_configuration = True
    device.save()
    action = action_for(device)
    command = commands.command_enqueue(
        device=device, request_type=request_type, payload=payload, action=action
    )
    send(device)
    commands.command_reply_record(
        device=device, status="Acknowledged", command_uuid=str(command.command_uuid), reply={}
    )
    device.refresh_from_db()
    assert getattr(device, field) == expected
    action.refresh_from_db()
    assert action.state == DeviceActionState.DONE and action.finished_at is not None


def test_action_pending_until_every_command_answers_and_failed_on_an_error(pushed) -> None:
    device = managed_device()
    action = action_for(device, "sync")
    queued = commands.inventory_refresh_enqueue(device=device, action=action)
    for command in queued[:2]:
        send(device)
        commands.command_reply_record(
            device=device, status="Acknowledged", command_uuid=str(command.command_uuid), reply={}
        )
    action.refresh_from_db()
    assert action.state == DeviceActionState.PENDING
    send(device)
    commands.command_reply_record(
        device=device, status="NotNow", command_uuid=str(queued[2].command_uuid), reply={}
    )
    action.refresh_from_db()
    assert action.state == DeviceActionState.PENDING  # NotNow keeps it pending
    send(device, include_not_now=False)
    chain = [
        {
            "ErrorCode": 12021,
            "ErrorDomain": "MCMDMErrorDomain",
            "LocalizedDescription": "The device is locked.",
        }
    ]
    commands.command_reply_record(
        device=device, status="Error", command_uuid=str(queued[3].command_uuid), reply={"ErrorChain": chain}
    )
    action.refresh_from_db()
    assert action.state == DeviceActionState.FAILED
    assert action.failure_reason == "The device is locked."
    assert DeviceCommand.objects.get(pk=queued[3].pk).error_chain == chain


def test_reply_to_a_command_not_given_raises_and_changes_nothing(pushed) -> None:
    device = managed_device()
    other = managed_device("UDID-2", "DMPX0002")
    never_sent = commands.command_enqueue(device=device, request_type="ProfileList")
    others = commands.command_enqueue(device=other, request_type="ProfileList")
    send(other)
    for unknown in (str(never_sent.command_uuid), str(others.command_uuid), str(uuid.uuid4()), "not-a-uuid"):
        with pytest.raises(commands.UnknownCommand):
            commands.command_reply_record(
                device=device, status="Acknowledged", command_uuid=unknown, reply={}
            )
    assert DeviceCommand.objects.get(pk=others.pk).status == CommandStatus.SENT
    assert DeviceCommand.objects.get(pk=never_sent.pk).status == CommandStatus.QUEUED


def test_another_tenants_commands_are_not_seen(pushed) -> None:
    device = managed_device()
    commands.command_enqueue(device=device, request_type="ProfileList")
    fabrikam = Tenant.objects.create(initial_domain="fabrikam.onmicrosoft.com", display_name="Fabrikam")
    with tenant_scope(fabrikam):
        assert DeviceCommand.objects.count() == 0
        assert ManagedDevice.objects.count() == 0


def test_bytes_round_trip_through_the_payload() -> None:
    stored = commands.data(b"\x00\x01profile")
    assert commands.plist_value({"Payload": stored, "List": [stored]}) == {
        "Payload": b"\x00\x01profile",
        "List": [b"\x00\x01profile"],
    }
    assert commands.json_value({"Token": b"\x00\x01profile"}) == {"Token": stored}
