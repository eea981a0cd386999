"""Intune's remote actions on a managed iPad: the catalogue, its rules, and the MDM commands.

Each action an administrator asks for is one `DeviceAction` row (Monitor › Device actions) and
the MDM commands that carry it out, queued on the device (mdm/commands.py pushes it). Intune's
rules hold here, whoever calls: read-only operators are refused; an action needs the device it
applies to (supervised, Shared iPad, Lost Mode on); Retire, Wipe and Delete take precedence over
every pending action (the others are cancelled, and nothing else is accepted while one of them is
pending); Wipe, Retire and Delete count against the tenant's daily limits (500, 1,000, 1,000:
single, bulk and Graph together). Facts: Microsoft's "Device actions" articles.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from asm_portal import clock
from asm_portal.models import AuditEvent
from asm_portal.refusals import Refusal
from asm_portal.roles import Actor, require_change_permission
from asm_portal.services import audit_record
from mdm.commands import (
    MDM_PROFILE_IDENTIFIER,
    command_enqueue,
    commands_cancel_pending,
    inventory_refresh_enqueue,
)
from mdm.models import DeviceAction, DeviceActionState, ManagedDevice, ManagementState


class DeviceActionRefused(Refusal):
    """A remote action turned down before anything was queued."""


@dataclass(frozen=True)
class ActionKind:
    kind: str
    label: Promise  # Intune's label (the button and the Device actions monitor)
    graph: str  # Graph's action name (managedDevice/<graph>)
    icon: str
    supervised: bool = False  # only on a supervised device
    shared_ipad: bool = False  # only on a Shared iPad
    takes_precedence: bool = False  # Retire, Wipe, Delete
    daily_cap: int = 0  # per tenant and day; 0: none
    bulk: bool = False  # in Devices › Bulk device actions


ACTIONS: dict[str, ActionKind] = {
    a.kind: a
    for a in (
        ActionKind(
            "retire", _("Retire"), "retire", "arrow_exit", takes_precedence=True, daily_cap=1000, bulk=True
        ),
        ActionKind("wipe", _("Wipe"), "wipe", "eraser", takes_precedence=True, daily_cap=500, bulk=True),
        ActionKind(
            "delete", _("Delete"), "delete", "delete", takes_precedence=True, daily_cap=1000, bulk=True
        ),
        ActionKind("remote_lock", _("Remote lock"), "remoteLock", "lock_closed"),
        ActionKind("sync", _("Sync"), "syncDevice", "arrow_sync", bulk=True),
        ActionKind("reset_passcode", _("Reset passcode"), "resetPasscode", "key_reset"),
        ActionKind(
            "restart", _("Restart"), "rebootNow", "arrow_counterclockwise", supervised=True, bulk=True
        ),
        ActionKind("shutdown", _("Shut down"), "shutDown", "power", supervised=True),
        ActionKind(
            "lost_mode_enable", _("Enable lost mode"), "enableLostMode", "lock_shield", supervised=True
        ),
        ActionKind(
            "lost_mode_disable", _("Disable lost mode"), "disableLostMode", "lock_open", supervised=True
        ),
        ActionKind("locate", _("Locate device"), "locateDevice", "location", supervised=True),
        ActionKind(
            "play_sound",
            _("Play lost mode sound"),
            "playLostModeSound",
            "alert",
            supervised=True,
        ),
        ActionKind(
            "activation_lock_bypass",
            _("Disable Activation Lock"),
            "bypassActivationLock",
            "key",
            supervised=True,
        ),
        ActionKind("rename", _("Rename device"), "setDeviceName", "rename", supervised=True),
        ActionKind(
            "logout_user",
            _("Logout current user"),
            "logoutSharedAppleDeviceActiveUser",
            "sign_out",
            shared_ipad=True,
        ),
        ActionKind(
            "delete_user",
            _("Remove user"),
            "deleteUserFromSharedAppleDevice",
            "person_delete",
            shared_ipad=True,
        ),
    )
}
PRECEDENCE = frozenset(kind for kind, action in ACTIONS.items() if action.takes_precedence)
# Intune: "at most 100 devices per bulk run".
BULK_MAX = 100
# What a device is in once each of those is asked (Graph's managementState).
_PENDING_STATE = {
    "retire": ManagementState.RETIRE_PENDING,
    "wipe": ManagementState.WIPE_PENDING,
    "delete": ManagementState.DELETE_PENDING,
}
# Devices that are gone (or going) from the list accept no action but Delete (Intune's fix for a
# wipe pending forever: delete the record).
_GONE = frozenset({ManagementState.RETIRED, ManagementState.WIPED, ManagementState.DELETE_PENDING})
# Rename: letters, digits and hyphens, at least one letter or hyphen (Intune's rule).
_DEVICE_NAME = re.compile(r"^(?=.*[A-Za-z-])[A-Za-z0-9-]{1,63}$")
_PHONE = re.compile(r"^[0-9+()\- .]{0,32}$")
# Play lost mode sound: the durations Intune's dialog offers, in minutes. Apple's
# PlayLostModeSound takes no duration (the device plays until someone taps it); the choice is
# kept with the action, as Intune records it.
SOUND_DURATIONS = (1, 2, 5, 10)


def action_kind(kind: str) -> ActionKind:
    try:
        return ACTIONS[kind]
    except KeyError:
        raise DeviceActionRefused(_("This action does not exist.")) from None


def action_label(kind: str) -> str:
    action = ACTIONS.get(kind)
    return str(action.label) if action else kind


def actions_available(device: ManagedDevice) -> list[ActionKind]:
    """The actions Intune shows on this device's Overview: only those that apply to it."""
    return [a for a in ACTIONS.values() if _inapplicable(device, a) is None]


def _inapplicable(device: ManagedDevice, action: ActionKind) -> str | None:
    """Why `action` does not apply to `device` at all (the action bar leaves it out), or None."""
    if action.supervised and not device.is_supervised:
        return str(_("This action needs a supervised device."))
    if action.shared_ipad and not device.is_shared_ipad:
        return str(_("This action is for Shared iPad only."))
    return None


def _refusal_for_state(device: ManagedDevice, action: ActionKind, pending: set[str]) -> str | None:
    if device.management_state in _GONE and action.kind != "delete":
        return str(_("This device is no longer managed: only Delete remains."))
    if action.kind in pending and action.takes_precedence:
        return str(_("%(action)s is already pending on this device.") % {"action": action.label})
    if not action.takes_precedence and pending & PRECEDENCE:
        first = sorted(pending & PRECEDENCE)[0]
        return str(
            _("%(action)s is pending on this device: it takes precedence over every other action.")
            % {"action": ACTIONS[first].label}
        )
    if action.kind == "locate" and not device.lost_mode_enabled:
        return str(_("Locate device works only while the device is in lost mode."))
    if action.kind == "play_sound" and not device.lost_mode_enabled:
        return str(_("Play lost mode sound works only while the device is in lost mode."))
    if action.kind == "lost_mode_enable" and device.lost_mode_enabled:
        return str(_("Lost mode is already enabled on this device."))
    if action.kind == "lost_mode_disable" and not device.lost_mode_enabled:
        return str(_("Lost mode is not enabled on this device."))
    if action.kind == "reset_passcode" and not device.unlock_token:
        return str(
            _(
                "Intune has no unlock token for this device: its passcode cannot be reset. Only a wipe recovers it."
            )
        )
    return None


def _clean_parameters(action: ActionKind, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The action's options, checked (Intune's dialog rules); unknown keys are dropped."""
    if action.kind == "rename":
        name = str(parameters.get("device_name", "")).strip()
        if not _DEVICE_NAME.match(name):
            raise DeviceActionRefused(
                errors={
                    "device_name": [
                        _("Use up to 63 letters, digits and hyphens, with at least one letter or hyphen.")
                    ]
                }
            )
        return {"device_name": name, "restart": bool(parameters.get("restart"))}
    if action.kind == "lost_mode_enable":
        message = str(parameters.get("message", "")).strip()
        phone = str(parameters.get("phone_number", "")).strip()
        footnote = str(parameters.get("footnote", "")).strip()
        errors: dict[str, list[Promise]] = {}
        if not message:
            errors["message"] = [_("Enter the message to display on the lock screen.")]
        elif len(message) > 500:
            errors["message"] = [_("The message can have at most 500 characters.")]
        if not _PHONE.match(phone):
            errors["phone_number"] = [_("Enter a phone number: digits, spaces, +, -, ( and ).")]
        if len(footnote) > 200:
            errors["footnote"] = [_("The footer can have at most 200 characters.")]
        if errors:
            raise DeviceActionRefused(errors=errors)
        return {"message": message, "phone_number": phone, "footnote": footnote}
    if action.kind == "wipe":
        return {"remove_data_plan": bool(parameters.get("remove_data_plan"))}
    if action.kind == "play_sound":
        duration = str(parameters.get("duration_minutes", "")).strip()
        if not duration.isdigit() or int(duration) not in SOUND_DURATIONS:
            raise DeviceActionRefused(
                errors={"duration_minutes": [_("Choose how long the device plays the sound.")]}
            )
        return {"duration_minutes": int(duration)}
    if action.kind == "delete_user":
        upn = str(parameters.get("user_principal_name", "")).strip()
        if not upn or len(upn) > 254:
            raise DeviceActionRefused(errors={"user_principal_name": [_("Choose the user to remove.")]})
        return {"user_principal_name": upn}
    return {}


def _day_start() -> datetime:
    now = clock.now()
    return datetime.combine(now.date(), time.min, tzinfo=now.tzinfo)


def daily_count(kind: str) -> int:
    """How many `kind` actions this tenant asked for today (cancelled ones count: they were sent)."""
    return DeviceAction.objects.filter(kind=kind, requested_at__gte=_day_start()).count()


def _check_daily_cap(action: ActionKind, count: int) -> None:
    if not action.daily_cap:
        return
    used = daily_count(action.kind)
    if used + count > action.daily_cap:
        raise DeviceActionRefused(
            ngettext(
                "The tenant's daily limit of %(cap)d %(action)s action is reached (%(used)d today). Try again tomorrow.",
                "The tenant's daily limit of %(cap)d %(action)s actions is reached (%(used)d today). Try again tomorrow.",
                action.daily_cap,
            )
            % {"cap": action.daily_cap, "action": str(action.label).lower(), "used": used}
        )


def _pending_kinds(device: ManagedDevice) -> set[str]:
    return set(device.actions.filter(state=DeviceActionState.PENDING).values_list("kind", flat=True))


def _enqueue_commands(device: ManagedDevice, action: DeviceAction) -> None:
    """The MDM commands the reference names for each action (Apple's request types)."""
    kind, params = action.kind, action.parameters

    def send(request_type: str, payload: dict[str, Any] | None = None) -> None:
        command_enqueue(device=device, request_type=request_type, payload=payload, action=action)

    if kind == "sync":
        inventory_refresh_enqueue(device=device, action=action)
    elif kind == "restart":
        send("RestartDevice")
    elif kind == "shutdown":
        send("ShutDownDevice")
    elif kind == "remote_lock":
        send("DeviceLock")
    elif kind == "reset_passcode":
        # The device's UnlockToken, kept (base64, encrypted at rest) from its TokenUpdate.
        send("ClearPasscode", {"UnlockToken": {"$data": device.unlock_token}})
    elif kind == "rename":
        send("Settings", {"Settings": [{"Item": "DeviceName", "DeviceName": params["device_name"]}]})
        if params.get("restart"):
            send("RestartDevice")
    elif kind == "lost_mode_enable":
        payload = {"Message": params["message"]}
        if params.get("phone_number"):
            payload["PhoneNumber"] = params["phone_number"]
        if params.get("footnote"):
            payload["Footnote"] = params["footnote"]
        send("EnableLostMode", payload)
    elif kind == "lost_mode_disable":
        send("DisableLostMode")
    elif kind == "locate":
        send("DeviceLocation")
    elif kind == "play_sound":
        send("PlayLostModeSound")
    elif kind == "activation_lock_bypass":
        # The device hands its bypass code to the MDM server; Intune shows it on Hardware, to be
        # typed at the Activation Lock screen after an erase (valid 15 days).
        send("ActivationLockBypassCode")
    elif kind == "wipe":
        # Intune keeps the eSIM data plan unless "Also remove the devices data plan" is ticked.
        send("EraseDevice", {"PreserveDataPlan": not params.get("remove_data_plan")})
    elif kind in ("retire", "delete"):
        # Removing the enrollment (MDM) profile retires the device: iOS removes with it every
        # profile and managed app it installed. Delete hides the device at once and retires it.
        send("RemoveProfile", {"Identifier": MDM_PROFILE_IDENTIFIER})
    elif kind == "logout_user":
        send("LogOutUser")
    elif kind == "delete_user":
        send("DeleteUser", {"UserName": params["user_principal_name"], "ForceDeletion": True})


def _request_one(
    *, device: ManagedDevice, action: ActionKind, user: Actor, parameters: dict[str, Any]
) -> DeviceAction:
    """One device's action, inside the caller's transaction, the device row locked."""
    device = ManagedDevice.objects.select_for_update().get(pk=device.pk)
    reason = _inapplicable(device, action) or _refusal_for_state(device, action, _pending_kinds(device))
    if reason:
        raise DeviceActionRefused(reason)
    if action.takes_precedence:
        commands_cancel_pending(device=device)
    requested = DeviceAction.objects.create(
        device=device,
        kind=action.kind,
        parameters=parameters,
        requested_by=user if isinstance(user, User) else None,
        requested_at=clock.now(),
    )
    _enqueue_commands(device, requested)
    if action.kind in _PENDING_STATE:
        device.management_state = _PENDING_STATE[action.kind]
        device.save(update_fields=["management_state"])
    audit_record(
        actor=user,
        category=AuditEvent.Category.DEVICE,
        action=f"{action.graph} ManagedDevice",
        target=device,
        target_type="ManagedDevice",
        details={"kind": action.kind, **{k: v for k, v in parameters.items() if k != "message"}},
    )
    return requested


def device_action_request(
    *, device: ManagedDevice, kind: str, user: Actor, parameters: Mapping[str, Any] | None = None
) -> DeviceAction:
    """Ask for one remote action on one device: checked, queued, audited; refused before anything
    changes (DeviceActionRefused, or PermissionDenied for a read-only operator)."""
    require_change_permission(user)
    action = action_kind(kind)
    cleaned = _clean_parameters(action, parameters or {})
    with transaction.atomic():
        _check_daily_cap(action, 1)
        return _request_one(device=device, action=action, user=user, parameters=cleaned)


@dataclass(frozen=True)
class BulkResult:
    requested: list[DeviceAction]
    skipped: list[tuple[ManagedDevice, str]]  # the device and why


def device_actions_bulk_request(
    *, devices: Sequence[ManagedDevice], kind: str, user: Actor, parameters: Mapping[str, Any] | None = None
) -> BulkResult:
    """Devices › Bulk device actions: one action on up to 100 devices. The devices it does not
    apply to are skipped (and said why); the daily limit counts the whole run up front."""
    require_change_permission(user)
    action = action_kind(kind)
    if not action.bulk:
        raise DeviceActionRefused(_("This action cannot run in bulk."))
    if not devices:
        raise DeviceActionRefused(_("Select at least one device."))
    if len(devices) > BULK_MAX:
        raise DeviceActionRefused(_("A bulk action takes at most %(max)d devices.") % {"max": BULK_MAX})
    cleaned = _clean_parameters(action, parameters or {})
    requested: list[DeviceAction] = []
    skipped: list[tuple[ManagedDevice, str]] = []
    with transaction.atomic():
        _check_daily_cap(action, len(devices))
        for device in devices:
            try:
                with transaction.atomic():
                    requested.append(
                        _request_one(device=device, action=action, user=user, parameters=cleaned)
                    )
            except DeviceActionRefused as refused:
                skipped.append((device, str(refused)))
    return BulkResult(requested, skipped)
