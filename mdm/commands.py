"""The command queue of the MDM server: enqueue, cancel, and the replies' effects.

Each `DeviceCommand` is one MDM command in a device's durable queue (PostgreSQL). The ServerURL
endpoint (mdm/checkin.py) hands out the oldest command still to run; the device's reply is
recorded here (`command_reply_record`) with its side effects, and the `DeviceAction` the command
carries out follows its commands' states. Enqueueing wakes the device through APNs once the
caller's transaction commits.
"""

from __future__ import annotations

import base64
import binascii
import plistlib
import uuid
from collections.abc import Iterable
from datetime import datetime
from functools import partial
from typing import Any
from xml.parsers.expat import ExpatError

from django.db import connection, transaction
from django.utils.translation import gettext as _

from asm_portal import clock
from devices.models import Device, EnrollmentState
from mdm.configuration import CONFIGURATION_PROFILE_IDENTIFIER, configuration_for, has_company_portal
from mdm.models import (
    CommandStatus,
    DeviceAction,
    DeviceActionState,
    DeviceAppInstall,
    DeviceCommand,
    ManagedDevice,
    ManagementState,
)
from profiles.choices import AuthMethod

# The four queries of Intune's inventory cadence (after enrollment and on Sync).
INVENTORY_REQUESTS = ("DeviceInformation", "SecurityInfo", "ProfileList", "InstalledApplicationList")

# What DeviceInformation asks for (Apple's DeviceInformation.Queries).
DEVICE_INFORMATION_QUERIES = (
    "UDID",
    "DeviceName",
    "OSVersion",
    "BuildVersion",
    "ModelName",
    "Model",
    "ProductName",
    "SerialNumber",
    "DeviceCapacity",
    "AvailableDeviceCapacity",
    "BatteryLevel",
    "WiFiMAC",
    "BluetoothMAC",
    "IsSupervised",
    "IsMultiUser",
    "IsDeviceLocatorServiceEnabled",
    "IsActivationLockEnabled",
    "IsMDMLostModeEnabled",
    "IsCloudBackupEnabled",
    "iTunesStoreAccountIsActive",
    "EASDeviceIdentifier",
)

# What plistlib raises on a body that is not a property list (expat's error included).
PLIST_ERRORS = (
    plistlib.InvalidFileException,
    ExpatError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    OverflowError,
    AttributeError,
    RecursionError,
)

PENDING_STATUSES = (CommandStatus.QUEUED, CommandStatus.SENT, CommandStatus.NOT_NOW)
FINISHED_STATUSES = (CommandStatus.ACKNOWLEDGED, CommandStatus.ERROR, CommandStatus.CANCELLED)


def data(value: bytes) -> dict[str, str]:
    """Bytes in a command payload (JSON): {"$data": base64}, turned back into plist <data>."""
    return {"$data": base64.b64encode(value).decode("ascii")}


def plist_value(value: Any) -> Any:
    """A stored payload value as the plist takes it ({"$data": …} → bytes)."""
    if isinstance(value, dict):
        if set(value) == {"$data"}:
            return base64.b64decode(value["$data"])
        return {key: plist_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plist_value(item) for item in value]
    return value


def json_value(value: Any) -> Any:
    """A device's reply value as JSON keeps it (bytes → {"$data": …}, dates → ISO 8601)."""
    if isinstance(value, bytes):
        return data(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    return value


def _push_on_commit(device_ids: Iterable[int]) -> None:
    from mdm.tasks import devices_push_enqueue  # the tasks module imports the services

    ids = sorted(set(device_ids))
    if ids:
        transaction.on_commit(partial(devices_push_enqueue, device_ids=ids))


def command_enqueue(
    *,
    device: ManagedDevice,
    request_type: str,
    payload: dict[str, Any] | None = None,
    action: DeviceAction | None = None,
    push: bool = True,
) -> DeviceCommand:
    """Queue one command for `device` (in the caller's transaction); the device is woken through
    APNs once the transaction commits."""
    command = DeviceCommand.objects.create(
        tenant_id=device.tenant_id,
        device=device,
        action=action,
        command_uuid=uuid.uuid4(),
        request_type=request_type,
        payload=payload or {},
        queued_at=clock.now(),
    )
    if push:
        _push_on_commit([device.pk])
    return command


def commands_enqueue_bulk(
    *, devices: Iterable[ManagedDevice], request_type: str, payload: dict[str, Any] | None = None
) -> int:
    """The same command for many devices in one insert (bulk actions); one push each."""
    now = clock.now()
    rows = [
        DeviceCommand(
            tenant_id=device.tenant_id,
            device=device,
            command_uuid=uuid.uuid4(),
            request_type=request_type,
            payload=payload or {},
            queued_at=now,
        )
        for device in devices
    ]
    DeviceCommand.objects.bulk_create(rows, batch_size=1000)
    _push_on_commit(row.device_id for row in rows)
    return len(rows)


def commands_cancel_pending(*, device: ManagedDevice) -> int:
    """Cancel what the device has not finished (queued, sent, not now); their actions too.

    A sent command is cancelled as well: a reply that comes later for it is still recorded
    as an answer to a command the device was given, but it changes nothing.
    """
    now = clock.now()
    with transaction.atomic():
        pending = DeviceCommand.objects.select_for_update().filter(device=device, status__in=PENDING_STATUSES)
        action_ids = set(pending.exclude(action=None).values_list("action_id", flat=True))
        cancelled = pending.update(status=CommandStatus.CANCELLED, finished_at=now)
        DeviceAction.objects.filter(pk__in=action_ids, state=DeviceActionState.PENDING).update(
            state=DeviceActionState.CANCELLED, finished_at=now
        )
    return cancelled


def inventory_refresh_enqueue(
    *, device: ManagedDevice, action: DeviceAction | None = None
) -> list[DeviceCommand]:
    """Intune's inventory cadence: DeviceInformation, SecurityInfo, ProfileList,
    InstalledApplicationList (one push for the four)."""
    payloads: dict[str, dict[str, Any]] = {
        "DeviceInformation": {"Queries": list(DEVICE_INFORMATION_QUERIES)},
        "InstalledApplicationList": {"ManagedAppsOnly": False},
    }
    commands = [
        command_enqueue(
            device=device, request_type=kind, payload=payloads.get(kind, {}), action=action, push=False
        )
        for kind in INVENTORY_REQUESTS
    ]
    _push_on_commit([device.pk])
    return commands


# --- Replies --------------------------------------------------------------------------------------


def _error_text(error_chain: list[Any] | None) -> str:
    for error in error_chain or []:
        if isinstance(error, dict):
            text = error.get("LocalizedDescription") or error.get("USEnglishDescription")
            if text:
                return str(text)[:300]
    return _("The device answered with an error.")


def _action_follow(action_id: int) -> None:
    action = DeviceAction.objects.select_for_update().filter(pk=action_id).first()
    if action is None or action.state != DeviceActionState.PENDING:
        return
    statuses = list(DeviceCommand.objects.filter(action_id=action_id).values_list("status", "error_chain"))
    errors = [chain for status, chain in statuses if status == CommandStatus.ERROR]
    if errors:
        action.state = DeviceActionState.FAILED
        action.failure_reason = _error_text(errors[0])
        action.finished_at = clock.now()
    elif statuses and all(status == CommandStatus.ACKNOWLEDGED for status, _chain in statuses):
        action.state = DeviceActionState.DONE
        action.finished_at = clock.now()
    else:
        return
    action.save(update_fields=["state", "failure_reason", "finished_at"])


def asm_device_unenrolled(device: ManagedDevice) -> None:
    """The device's row of the devices grid after it left management (CheckOut, an erase by
    command): « Not contacted », as before its enrollment."""
    if device.device_id is not None:
        Device.objects.filter(pk=device.device_id).update(
            enrollment_state=EnrollmentState.NOT_CONTACTED, last_contacted_at=clock.now()
        )


def _apply_acknowledged(device: ManagedDevice, command: DeviceCommand, reply: dict[str, Any]) -> list[str]:
    """The side effects of an acknowledged command on the device row; the fields changed."""
    kind = command.request_type
    if kind == "DeviceInformation":
        responses = reply.get("QueryResponses") or {}
        if isinstance(responses, dict):
            device.inventory = {**device.inventory, **json_value(responses)}
            for field, key, length in (
                ("device_name", "DeviceName", 255),
                ("model_name", "ModelName", 100),
                ("product_name", "ProductName", 32),
                ("os_version", "OSVersion", 16),
                ("build_version", "BuildVersion", 16),
            ):
                if isinstance(responses.get(key), str):
                    setattr(device, field, responses[key][:length])
            if isinstance(responses.get("IsSupervised"), bool):
                device.is_supervised = responses["IsSupervised"]
            if isinstance(responses.get("IsMultiUser"), bool):
                device.is_shared_ipad = responses["IsMultiUser"]
            if isinstance(responses.get("IsMDMLostModeEnabled"), bool):
                device.lost_mode_enabled = responses["IsMDMLostModeEnabled"]
            return [
                "inventory",
                "device_name",
                "model_name",
                "product_name",
                "os_version",
                "build_version",
                "is_supervised",
                "is_shared_ipad",
                "lost_mode_enabled",
            ]
    if kind == "SecurityInfo" and isinstance(reply.get("SecurityInfo"), dict):
        device.security_info = json_value(reply["SecurityInfo"])
        return ["security_info"]
    if kind == "ProfileList" and isinstance(reply.get("ProfileList"), list):
        device.installed_profiles = json_value(reply["ProfileList"])
        return ["installed_profiles"]
    if kind == "InstalledApplicationList" and isinstance(reply.get("InstalledApplicationList"), list):
        device.installed_apps = json_value(reply["InstalledApplicationList"])
        return ["installed_apps"]
    if kind == "Settings":
        for setting in command.payload.get("Settings", []):
            if (
                isinstance(setting, dict)
                and setting.get("Item") == "DeviceName"
                and setting.get("DeviceName")
            ):
                device.device_name = str(setting["DeviceName"])[:255]
                return ["device_name"]
    if kind == "EraseDevice":
        # Erased by the portal's command: no longer enrolled, in the devices grid too, until it
        # enrolls again (an erase on the device itself tells the MDM nothing).
        device.management_state = ManagementState.WIPED
        asm_device_unenrolled(device)
        return ["management_state"]
    if kind == "RemoveProfile" and command.payload.get("Identifier") == MDM_PROFILE_IDENTIFIER:
        device.management_state = ManagementState.RETIRED
        return ["management_state"]
    if kind == "EnableLostMode":
        device.lost_mode_enabled = True
        return ["lost_mode_enabled"]
    if kind == "DisableLostMode":
        device.lost_mode_enabled = False
        return ["lost_mode_enabled"]
    if kind == "ActivationLockBypassCode" and isinstance(reply.get("ActivationLockBypassCode"), str):
        device.activation_lock_bypass_code = reply["ActivationLockBypassCode"][:64]
        device.activation_lock_bypass_code_at = clock.now()
        return ["activation_lock_bypass_code", "activation_lock_bypass_code_at"]
    if kind == "DeleteUser" and isinstance(command.payload.get("UserName"), str):
        # The user's partition is gone from the Shared iPad, and their channel with it.
        name = command.payload["UserName"].lower()
        device.user_channels = {
            key: channel for key, channel in (device.user_channels or {}).items() if key.lower() != name
        }
        return ["user_channels"]
    if kind == "DeviceConfigured":
        device.awaiting_configuration = False
        if device.device_id is not None:
            _asm_device_configured(device.device_id)
        # Intune installs apps once the device has left Setup Assistant, never before.
        apps_enqueue(device=device)
        return ["awaiting_configuration"]
    if (
        kind == "InstallProfile"
        and device.device_id is not None
        and not device.awaiting_configuration
        and _profile_identifier(command) == CONFIGURATION_PROFILE_IDENTIFIER
    ):
        # A device that does not await: its configuration is in place once installed.
        _asm_device_configured(device.device_id)
    return []


# --- Apps ---------------------------------------------------------------------------------------

# The Intune Company Portal in the App Store.
COMPANY_PORTAL_BUNDLE_ID = "com.microsoft.CompanyPortal"
COMPANY_PORTAL_STORE_ID = 719171358


def install_application_payload(*, bundle_id: str, store_id: int | None = None) -> dict[str, Any]:
    """InstallApplication of a store app, installed as managed (removed with the MDM profile),
    licensed to the device (Volume Purchase: no Apple Account needed on the iPad)."""
    payload: dict[str, Any] = {
        "Identifier": bundle_id,
        "ManagementFlags": 1,
        "InstallAsManaged": True,
        "Options": {"PurchaseMethod": 1},
    }
    if store_id is not None:
        payload["iTunesStoreID"] = store_id
    return payload


def apps_enqueue(*, device: ManagedDevice) -> list[DeviceCommand]:
    """The apps a device gets once configured (after DeviceConfigured when it awaited): the
    Company Portal when its enrollment profile installs it (user affinity, « Install Company
    Portal »), then the apps its user installed from the Company Portal before an erase."""
    asm_device = (
        Device.objects.select_related("enrolled_profile").filter(pk=device.device_id).first()
        if device.device_id is not None
        else None
    )
    if asm_device is None:
        return []
    queued = []
    profile = asm_device.enrolled_profile
    if (
        profile is not None
        and has_company_portal(profile)
        and (profile.install_company_portal or profile.authentication_method == AuthMethod.MODERN)
    ):
        # Legacy Setup Assistant authentication installs it when the profile says so; with modern
        # authentication Intune always installs it (the user signs in to it afterwards).
        queued.append(
            command_enqueue(
                device=device,
                request_type="InstallApplication",
                payload=install_application_payload(
                    bundle_id=COMPANY_PORTAL_BUNDLE_ID, store_id=COMPANY_PORTAL_STORE_ID
                ),
                push=False,
            )
        )
    for bundle_id in DeviceAppInstall.objects.filter(device=asm_device).values_list("bundle_id", flat=True):
        queued.append(
            command_enqueue(
                device=device,
                request_type="InstallApplication",
                payload=install_application_payload(bundle_id=bundle_id),
                push=False,
            )
        )
    _push_on_commit([device.pk])
    return queued


def _profile_identifier(command: DeviceCommand) -> str:
    """The PayloadIdentifier of the profile an InstallProfile command carried (unsigned)."""
    try:
        profile = plistlib.loads(plist_value(command.payload.get("Payload")))
    except (*PLIST_ERRORS, binascii.Error):
        return ""
    return str(profile.get("PayloadIdentifier", "")) if isinstance(profile, dict) else ""


def _asm_device_configured(device_id: int) -> None:
    """The ASM device row shows the configuration in place once the device is released."""
    asm_device = Device.objects.select_related("enrolled_profile").filter(pk=device_id).first()
    if asm_device is not None and asm_device.configured_at is None:
        asm_device.configuration = configuration_for(asm_device.enrolled_profile)
        asm_device.configured_at = clock.now()
        asm_device.save(update_fields=["configuration", "configured_at"])


# The PayloadIdentifier of the enrollment profile (its removal is a retire).
MDM_PROFILE_IDENTIFIER = "com.microsoft.intune.mdm.enrollment"

REPLY_STATUSES = {
    "Acknowledged": CommandStatus.ACKNOWLEDGED,
    "Error": CommandStatus.ERROR,
    "CommandFormatError": CommandStatus.ERROR,
    "NotNow": CommandStatus.NOT_NOW,
}


# Reply keys not kept with the command: the device's identifiers, and the Activation Lock bypass
# code (a secret, kept encrypted on the device row).
_NOT_KEPT = frozenset({"UDID", "UserID", "ActivationLockBypassCode"})


class UnknownCommand(Exception):
    """A reply names a command this device was not given."""


def command_reply_record(
    *,
    device: ManagedDevice,
    status: str,
    command_uuid: str,
    reply: dict[str, Any],
    now: datetime | None = None,
) -> bool:
    """Record the device's reply to one of its commands; False when it changed nothing (a
    retried reply, or one to a cancelled command). Raises UnknownCommand for a command that is
    not this device's or was never sent. `now`: the request's clock reading, if it has one."""
    new_status = REPLY_STATUSES[status]
    try:
        wanted = uuid.UUID(command_uuid)
    except ValueError:
        raise UnknownCommand(command_uuid) from None
    # No savepoint inside the ServerURL's transaction (two round trips fewer per request); an
    # exception leaving such a block would break the caller's transaction, so the refusal is
    # raised once the block is left (it changed nothing).
    with transaction.atomic(savepoint=False):
        command = DeviceCommand.objects.select_for_update().filter(device=device, command_uuid=wanted).first()
        if command is None or command.sent_at is None:
            command = None
        elif command.status != CommandStatus.SENT:
            return False  # a retry of a reply already recorded, or a cancelled command
        else:
            _reply_apply(device, command, new_status, reply, clock.now() if now is None else now)
    if command is None:
        raise UnknownCommand(command_uuid)
    return True


def _reply_apply(
    device: ManagedDevice,
    command: DeviceCommand,
    new_status: CommandStatus,
    reply: dict[str, Any],
    now: datetime,
) -> None:
    kept = {key: json_value(value) for key, value in reply.items() if key not in _NOT_KEPT}
    command.status = new_status
    command.reply = kept
    fields = ["status", "reply"]
    if new_status == CommandStatus.ERROR:
        command.error_chain = json_value(reply.get("ErrorChain") or [])
        fields.append("error_chain")
    if new_status != CommandStatus.NOT_NOW:
        command.finished_at = now
        fields.append("finished_at")
    command.save(update_fields=fields)
    if new_status == CommandStatus.ACKNOWLEDGED:
        changed = _apply_acknowledged(device, command, reply)
        if changed:
            device.save(update_fields=changed)
        if "device_name" in changed and device.device_id is not None and device.device_name:
            # The name the device now has (the profile's template, or what it reports) is the
            # one the devices grid and blade show.
            Device.objects.filter(pk=device.device_id).update(device_name=device.device_name)
    if command.action_id is not None:
        _action_follow(command.action_id)


def command_next(
    *, device: ManagedDevice, include_not_now: bool, now: datetime | None = None
) -> DeviceCommand | None:
    """The command to hand the device now, oldest first: queued ones, ones sent and never
    answered (the device asks again: it did not get it), and — on Idle only — the ones it
    answered NotNow (NanoMDM's rule: after a NotNow reply the same connection goes on with the
    next command instead of asking again at once)."""
    statuses = [CommandStatus.QUEUED, CommandStatus.SENT]
    if include_not_now:
        statuses.append(CommandStatus.NOT_NOW)
    if now is None:
        now = clock.now()
    if connection.vendor == "postgresql":
        return _command_take(device, statuses, now)
    with transaction.atomic(savepoint=False):
        command = (
            DeviceCommand.objects.select_for_update()
            .filter(device=device, status__in=statuses)
            .order_by("queued_at", "id")
            .first()
        )
        if command is None:
            return None
        command.status = CommandStatus.SENT
        command.attempts += 1
        command.sent_at = now
        command.save(update_fields=["status", "attempts", "sent_at"])
    return command


# The same in one round trip (PostgreSQL): the oldest pending command, read in the order of the
# mdm_command_pending index and locked, marked sent and returned. Raw SQL bypasses the tenant
# scope: it filters on the tenant itself (the device is the caller's, already in its scope). The
# statuses are written in the statement (our constants), so the planner proves the partial
# index's condition whatever the driver's parameter binding.
_TAKE_SQL = """
UPDATE mdm_devicecommand SET status = %s, attempts = attempts + 1, sent_at = %s
WHERE id = (
    SELECT id FROM mdm_devicecommand
    WHERE tenant_id = %s AND device_id = %s AND status IN ({statuses})
    ORDER BY queued_at, id LIMIT 1 FOR UPDATE
)
RETURNING id, tenant_id, device_id, action_id, command_uuid, request_type, payload, status, attempts,
    queued_at, sent_at
"""


def _command_take(
    device: ManagedDevice, statuses: list[CommandStatus], now: datetime
) -> DeviceCommand | None:
    listed = ", ".join(f"'{status.value}'" for status in statuses)  # CommandStatus values only
    sql = _TAKE_SQL.format(statuses=listed)
    taken = list(DeviceCommand.objects.raw(sql, [CommandStatus.SENT.value, now, device.tenant_id, device.pk]))
    return taken[0] if taken else None
