"""Remote actions: Intune's rules (applicability, precedence, daily caps, roles), the MDM
commands each action queues, the audit, and the action's state following the device's replies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from asm_portal import clock
from asm_portal.models import AuditEvent
from mdm.device_actions import (
    DeviceActionRefused,
    actions_available,
    device_action_request,
    device_actions_bulk_request,
)
from mdm.models import CommandStatus, DeviceAction, DeviceActionState, DeviceCommand, ManagementState
from tests.mdm.managed import device_answers, managed_device_create, managed_devices_create

pytestmark = pytest.mark.django_db


def _commands(device):
    return list(
        DeviceCommand.objects.filter(device=device)
        .order_by("queued_at", "id")
        .values_list("request_type", "payload", "status")
    )


def test_rename_queues_settings_device_name_and_is_audited(admin_user):
    device = managed_device_create()
    action = device_action_request(
        device=device, kind="rename", user=admin_user, parameters={"device_name": "Lab-7"}
    )
    assert action.state == DeviceActionState.PENDING and action.requested_by == admin_user
    assert _commands(device) == [
        ("Settings", {"Settings": [{"Item": "DeviceName", "DeviceName": "Lab-7"}]}, CommandStatus.QUEUED)
    ]
    event = AuditEvent.objects.get(category=AuditEvent.Category.DEVICE)
    assert event.action == "setDeviceName ManagedDevice" and event.actor == admin_user
    assert event.details == {"kind": "rename", "device_name": "Lab-7", "restart": False}
    assert device_answers(device) == ["Settings"]
    action.refresh_from_db()
    device.refresh_from_db()
    assert action.state == DeviceActionState.DONE and device.device_name == "Lab-7"


def test_rename_with_restart_queues_a_restart_after_the_name(admin_user):
    device = managed_device_create()
    device_action_request(
        device=device, kind="rename", user=admin_user, parameters={"device_name": "Lab-7", "restart": "on"}
    )
    assert [c[0] for c in _commands(device)] == ["Settings", "RestartDevice"]


@pytest.mark.parametrize("name", ["", "   ", "1234", "Lab 7", "Lab_7", "x" * 64, "=cmd"])
def test_a_bad_name_is_refused_and_nothing_is_written(admin_user, name):
    device = managed_device_create()
    with pytest.raises(DeviceActionRefused) as refused:
        device_action_request(device=device, kind="rename", user=admin_user, parameters={"device_name": name})
    assert "device_name" in refused.value.errors
    assert not DeviceAction.objects.exists() and not DeviceCommand.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_read_only_operator_is_refused(operator_user):
    device = managed_device_create()
    with pytest.raises(PermissionDenied):
        device_action_request(device=device, kind="sync", user=operator_user, parameters={})
    assert not DeviceCommand.objects.exists()


@pytest.mark.parametrize(
    ("kind", "parameters", "request_type", "payload"),
    [
        ("restart", {}, "RestartDevice", {}),
        ("shutdown", {}, "ShutDownDevice", {}),
        ("remote_lock", {}, "DeviceLock", {}),
        ("reset_passcode", {}, "ClearPasscode", {"UnlockToken": {"$data": "dW5sb2Nr"}}),
        (
            "lost_mode_enable",
            {"message": "Return to room 12", "phone_number": "+33 1 23"},
            "EnableLostMode",
            {"Message": "Return to room 12", "PhoneNumber": "+33 1 23"},
        ),
        ("wipe", {}, "EraseDevice", {"PreserveDataPlan": True}),
        ("wipe", {"remove_data_plan": "on"}, "EraseDevice", {"PreserveDataPlan": False}),
        ("retire", {}, "RemoveProfile", {"Identifier": "com.microsoft.intune.mdm.enrollment"}),
        ("delete", {}, "RemoveProfile", {"Identifier": "com.microsoft.intune.mdm.enrollment"}),
    ],
)
def test_each_action_queues_the_command_the_reference_names(
    admin_user, kind, parameters, request_type, payload
):
    device = managed_device_create()
    device_action_request(device=device, kind=kind, user=admin_user, parameters=parameters)
    assert _commands(device) == [(request_type, payload, CommandStatus.QUEUED)]


def test_sync_queues_intunes_inventory_queries(admin_user):
    device = managed_device_create()
    action = device_action_request(device=device, kind="sync", user=admin_user)
    assert [c[0] for c in _commands(device)] == [
        "DeviceInformation",
        "SecurityInfo",
        "ProfileList",
        "InstalledApplicationList",
    ]
    assert set(action.commands.values_list("request_type", flat=True)) == {c[0] for c in _commands(device)}


def test_lost_mode_then_locate_then_disable(admin_user):
    device = managed_device_create()
    with pytest.raises(DeviceActionRefused, match="lost mode"):
        device_action_request(device=device, kind="locate", user=admin_user)
    with pytest.raises(DeviceActionRefused) as refused:
        device_action_request(
            device=device, kind="lost_mode_enable", user=admin_user, parameters={"message": " "}
        )
    assert "message" in refused.value.errors
    device_action_request(
        device=device, kind="lost_mode_enable", user=admin_user, parameters={"message": "Lost"}
    )
    device_answers(device)
    device.refresh_from_db()
    assert device.lost_mode_enabled
    device_action_request(device=device, kind="locate", user=admin_user)
    device_answers(device, Latitude=48.85, Longitude=2.35)
    device_action_request(device=device, kind="lost_mode_disable", user=admin_user)
    assert _commands(device)[-1][0] == "DisableLostMode"


def test_supervised_and_shared_ipad_actions_apply_only_to_such_devices(admin_user):
    plain = managed_device_create("DMPQ000002", is_supervised=False)
    kinds = {a.kind for a in actions_available(plain)}
    assert "restart" not in kinds and "rename" not in kinds and "logout_user" not in kinds
    assert {"sync", "remote_lock", "wipe", "retire", "delete"} <= kinds
    with pytest.raises(DeviceActionRefused, match="supervised"):
        device_action_request(device=plain, kind="restart", user=admin_user)
    shared = managed_device_create("DMPQ000003", is_shared_ipad=True)
    assert {"logout_user", "delete_user"} <= {a.kind for a in actions_available(shared)}
    device_action_request(
        device=shared,
        kind="delete_user",
        user=admin_user,
        parameters={"user_principal_name": "ada@contoso.edu"},
    )
    device_action_request(device=shared, kind="logout_user", user=admin_user)
    assert [c[0] for c in _commands(shared)] == ["DeleteUser", "LogOutUser"]
    assert _commands(shared)[0][1] == {"UserName": "ada@contoso.edu", "ForceDeletion": True}


def test_reset_passcode_needs_the_unlock_token(admin_user):
    device = managed_device_create(unlock_token="")
    with pytest.raises(DeviceActionRefused, match="unlock token"):
        device_action_request(device=device, kind="reset_passcode", user=admin_user)


def test_wipe_takes_precedence_over_pending_actions(admin_user):
    device = managed_device_create()
    sync = device_action_request(device=device, kind="sync", user=admin_user)
    lock = device_action_request(device=device, kind="remote_lock", user=admin_user)
    wipe = device_action_request(device=device, kind="wipe", user=admin_user)
    sync.refresh_from_db()
    lock.refresh_from_db()
    device.refresh_from_db()
    assert sync.state == lock.state == DeviceActionState.CANCELLED
    assert device.management_state == ManagementState.WIPE_PENDING
    assert (
        DeviceCommand.objects.filter(device=device, status=CommandStatus.QUEUED).get().request_type
        == "EraseDevice"
    )
    # While the wipe is pending: nothing else, not a second wipe; Delete still overrides it.
    with pytest.raises(DeviceActionRefused, match="precedence"):
        device_action_request(device=device, kind="restart", user=admin_user)
    with pytest.raises(DeviceActionRefused, match="already pending"):
        device_action_request(device=device, kind="wipe", user=admin_user)
    device_action_request(device=device, kind="delete", user=admin_user)
    wipe.refresh_from_db()
    device.refresh_from_db()
    assert wipe.state == DeviceActionState.CANCELLED
    assert device.management_state == ManagementState.DELETE_PENDING


def test_a_wipe_acknowledged_leaves_the_device_wiped_and_the_action_done(admin_user):
    device = managed_device_create()
    wipe = device_action_request(device=device, kind="wipe", user=admin_user)
    device_answers(device)
    wipe.refresh_from_db()
    device.refresh_from_db()
    assert wipe.state == DeviceActionState.DONE and device.management_state == ManagementState.WIPED
    with pytest.raises(DeviceActionRefused, match="no longer managed"):
        device_action_request(device=device, kind="sync", user=admin_user)


def test_an_error_reply_fails_the_action_with_the_devices_reason(admin_user):
    device = managed_device_create()
    lock = device_action_request(device=device, kind="remote_lock", user=admin_user)
    device_answers(device, "Error")
    lock.refresh_from_db()
    assert lock.state == DeviceActionState.FAILED and lock.failure_reason == "The device refused."


@pytest.mark.parametrize(("kind", "cap"), [("wipe", 500), ("retire", 1000), ("delete", 1000)])
def test_daily_caps_per_tenant(admin_user, kind, cap):
    device = managed_device_create()
    now = clock.now()
    # All today, whatever the hour the test runs at (seconds back from now could reach yesterday).
    DeviceAction.objects.bulk_create(
        DeviceAction(device=device, kind=kind, state=DeviceActionState.DONE, requested_at=now)
        for _ in range(cap)
    )
    with pytest.raises(DeviceActionRefused, match="daily limit"):
        device_action_request(device=device, kind=kind, user=admin_user)
    # Yesterday's do not count.
    DeviceAction.objects.filter(kind=kind).update(requested_at=now - timedelta(days=1, hours=1))
    device_action_request(device=device, kind=kind, user=admin_user)


def test_bulk_runs_on_the_devices_it_applies_to_and_counts_against_the_cap(admin_user):
    devices = managed_devices_create(3)
    devices.append(managed_device_create("DMPQ000009", is_supervised=False))
    result = device_actions_bulk_request(devices=devices, kind="restart", user=admin_user)
    assert len(result.requested) == 3
    assert [(d.pk, "supervised" in reason) for d, reason in result.skipped] == [(devices[3].pk, True)]
    assert DeviceCommand.objects.filter(request_type="RestartDevice").count() == 3
    with pytest.raises(DeviceActionRefused, match="bulk"):
        device_actions_bulk_request(devices=devices, kind="remote_lock", user=admin_user)
    many = managed_devices_create(101, prefix="BULK")
    with pytest.raises(DeviceActionRefused, match="100"):
        device_actions_bulk_request(devices=many, kind="sync", user=admin_user)
    now = clock.now()
    DeviceAction.objects.bulk_create(
        DeviceAction(device=devices[0], kind="wipe", requested_at=now, state=DeviceActionState.DONE)
        for _ in range(499)
    )
    with pytest.raises(DeviceActionRefused, match="daily limit"):
        device_actions_bulk_request(devices=devices[:2], kind="wipe", user=admin_user)
    assert not DeviceCommand.objects.filter(request_type="EraseDevice").exists()


def test_play_lost_mode_sound_needs_lost_mode_and_a_duration(admin_user):
    device = managed_device_create()
    with pytest.raises(DeviceActionRefused, match="lost mode"):
        device_action_request(
            device=device, kind="play_sound", user=admin_user, parameters={"duration_minutes": "2"}
        )
    device.lost_mode_enabled = True
    device.save()
    for duration in ("", "3", "-1", "two"):
        with pytest.raises(DeviceActionRefused) as refused:
            device_action_request(
                device=device, kind="play_sound", user=admin_user, parameters={"duration_minutes": duration}
            )
        assert "duration_minutes" in refused.value.errors
    action = device_action_request(
        device=device, kind="play_sound", user=admin_user, parameters={"duration_minutes": "5"}
    )
    assert action.parameters == {"duration_minutes": 5}
    assert _commands(device) == [("PlayLostModeSound", {}, CommandStatus.QUEUED)]
    event = AuditEvent.objects.get(category=AuditEvent.Category.DEVICE)
    assert event.action == "playLostModeSound ManagedDevice"
    assert device_answers(device) == ["PlayLostModeSound"]
    action.refresh_from_db()
    assert action.state == DeviceActionState.DONE


def test_activation_lock_bypass_code_is_kept_encrypted_and_out_of_the_reply(admin_user):
    from django.db import connection

    from mdm.selectors import activation_lock_bypass_code

    device = managed_device_create()
    device_action_request(device=device, kind="activation_lock_bypass", user=admin_user)
    assert _commands(device) == [("ActivationLockBypassCode", {}, CommandStatus.QUEUED)]
    code = "ABCDE-FGHIJ-KLMNO-PQRST-UVWXY"
    device_answers(device, ActivationLockBypassCode=code)
    device.refresh_from_db()
    assert activation_lock_bypass_code(device) == code
    command = DeviceCommand.objects.get(device=device)
    assert "ActivationLockBypassCode" not in (command.reply or {})
    with connection.cursor() as cursor:
        cursor.execute("SELECT activation_lock_bypass_code FROM mdm_manageddevice WHERE id = %s", [device.pk])
        row = cursor.fetchone()
        assert row is not None and code not in row[0]
    # Apple: the code is valid 15 days.
    device.activation_lock_bypass_code_at = clock.now() - timedelta(days=16)
    assert activation_lock_bypass_code(device) == ""


def test_unsupervised_devices_get_neither_sound_nor_bypass(admin_user):
    device = managed_device_create(is_supervised=False, lost_mode_enabled=True)
    kinds = {a.kind for a in actions_available(device)}
    assert not {"play_sound", "activation_lock_bypass"} & kinds
