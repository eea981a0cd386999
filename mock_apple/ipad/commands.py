"""The commands a supervised iPad answers, with Apple's response shapes ([ADM] mdm/commands).

`command_run` takes the plist the server sent and returns the reply to PUT, and what the device
does once the reply is sent (an erase, a restart, a shut-down happen after the answer, as on an
iPad). Anything unknown gets the Error an iPad sends: 12021 in MCMDMErrorDomain.
"""

from __future__ import annotations

import base64
import hashlib
import plistlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.x509.oid import NameOID
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from mock_apple import clock
from mock_apple.db import DB
from mock_apple.ipad import hardware, profiles
from mock_apple.ipad.keys import certificate
from mock_apple.models import InstalledProfile, SharedIPadUser, VirtualDevice
from mock_apple.setup_panes import OS_VERSION

After = Callable[[], object]

# The apps the mock knows by identifier or App Store id: their names and glyphs on the home screen.
APP_CATALOGUE: dict[str, dict[str, str]] = {
    "com.microsoft.CompanyPortal": {
        "name": "Company Portal",
        "store_id": "719171358",
        "icon": "CP",
        "color": "#0078d4",
    },
    "com.microsoft.Office.Outlook": {
        "name": "Outlook",
        "store_id": "951937596",
        "icon": "O",
        "color": "#0a64ad",
    },
    "com.microsoft.Office.Word": {"name": "Word", "store_id": "586447913", "icon": "W", "color": "#185abd"},
    "com.microsoft.skype.teams": {"name": "Teams", "store_id": "1113153706", "icon": "T", "color": "#5059c9"},
    "com.apple.Keynote": {"name": "Keynote", "store_id": "361285480", "icon": "K", "color": "#1d7bf2"},
    "com.apple.Pages": {"name": "Pages", "store_id": "361309726", "icon": "P", "color": "#f59b00"},
    "com.apple.classroom": {"name": "Schoolwork", "store_id": "1354142892", "icon": "S", "color": "#0fb5ee"},
}
MULTI_USER_ONLY = ("LogOutUser", "DeleteUser", "UserList")
# Access rights a command needs ([ADM] com.apple.mdm AccessRights bits).
RIGHTS = {
    "ProfileList": 1,
    "InstallProfile": 2,
    "RemoveProfile": 2,
    "DeviceLock": 4,
    "ClearPasscode": 4,
    "EraseDevice": 8,
    "DeviceInformation": 16,
    "InstalledApplicationList": 256,
    "SecurityInfo": 1024,
    "Settings": 2048,
    "InstallApplication": 4096,
    "ManagedApplicationList": 4096,
}


class CommandError(Exception):
    """An Error reply: the ErrorChain's first item."""

    def __init__(self, code: int, domain: str, description: str) -> None:
        super().__init__(description)
        self.code, self.domain, self.description = code, domain, description

    def chain(self) -> list[dict[str, Any]]:
        return [
            {
                "ErrorCode": self.code,
                "ErrorDomain": self.domain,
                "LocalizedDescription": self.description,
                "USEnglishDescription": self.description,
            }
        ]


class FormatError(Exception):
    """CommandFormatError: the command's keys are not what the request type takes."""


@dataclass
class CommandOutcome:
    reply: dict[str, Any]
    after: After | None = None

    @property
    def status(self) -> str:
        return str(self.reply.get("Status", ""))


Handler = Callable[[VirtualDevice, dict[str, Any]], "dict[str, Any] | tuple[dict[str, Any], After]"]


def _multi_user(virtual: VirtualDevice) -> bool:
    return bool((virtual.activation or {}).get("is_multi_user"))


def _save(virtual: VirtualDevice, *fields: str) -> None:
    virtual.save(update_fields=list(fields))


# --- Information ----------------------------------------------------------------------------


def _queries(virtual: VirtualDevice) -> dict[str, Callable[[], Any]]:
    device = virtual.device
    settings = virtual.mdm_settings or {}
    shared = settings.get("SharedDeviceConfiguration") or {}
    organization = settings.get("OrganizationInfo") or {}
    answers: dict[str, Callable[[], Any]] = {
        "UDID": lambda: virtual.udid,
        "DeviceName": lambda: virtual.device_name or "iPad",
        "OSVersion": lambda: OS_VERSION,
        "BuildVersion": lambda: hardware.BUILD_VERSION,
        "ModelName": lambda: "iPad" if device.device_family == "iPad" else "iPhone",
        "Model": lambda: device.model or "MK2K3LL/A",
        "ModelNumber": lambda: (device.model or "MK2K3")[:5],
        "ProductName": lambda: hardware.product_name(virtual),
        "SerialNumber": lambda: device.serial_number,
        "DeviceCapacity": lambda: hardware.CAPACITY_GB,
        "AvailableDeviceCapacity": lambda: hardware.CAPACITY_GB - 9.5 - 0.25 * len(virtual.apps or []),
        "BatteryLevel": lambda: 0.87,
        "IsSupervised": lambda: True,
        "IsMultiUser": lambda: _multi_user(virtual),
        "AwaitingConfiguration": lambda: virtual.awaiting_configuration,
        "IsMDMLostModeEnabled": lambda: virtual.lost_mode,
        "IsDeviceLocatorServiceEnabled": lambda: False,
        "IsActivationLockEnabled": lambda: False,
        "IsDoNotDisturbInEffect": lambda: False,
        "IsCloudBackupEnabled": lambda: False,
        "DiagnosticSubmissionEnabled": lambda: False,
        "AppAnalyticsEnabled": lambda: False,
        "iTunesStoreAccountIsActive": lambda: False,
        "TimeZone": lambda: str(settings.get("TimeZone") or "Europe/Paris"),
        "WiFiMAC": lambda: hardware.wifi_mac(virtual),
        "BluetoothMAC": lambda: hardware.bluetooth_mac(virtual),
        "EASDeviceIdentifier": lambda: hashlib.sha256(virtual.udid.encode()).hexdigest()[:32].upper(),
        "SoftwareUpdateDeviceID": lambda: "J308AP",
        "PushToken": lambda: bytes.fromhex(virtual.push_token) if virtual.push_token else b"",
        "MDMOptions": lambda: dict(settings.get("MDMOptions") or {}),
        "OrganizationInfo": lambda: {k: str(v) for k, v in organization.items() if isinstance(v, str)},
    }
    if hardware.cellular(virtual):
        answers |= {
            "IMEI": lambda: hardware.imei(virtual),
            "MEID": lambda: hardware.meid(virtual),
            "ModemFirmwareVersion": lambda: "3.02.01",
            "CellularTechnology": lambda: 3,
            "DataRoamingEnabled": lambda: False,
            "IsRoaming": lambda: False,
        }
    if _multi_user(virtual):
        # Shared iPad ([ADM] information.device.yaml; MaximumResidentUsers is 32 since 13.4).
        answers |= {
            "MaximumResidentUsers": lambda: 32,
            "EstimatedResidentUsers": lambda: int(shared.get("ResidentUsers") or 8),
            "ResidentUsers": lambda: int(shared.get("ResidentUsers") or 8),
            "QuotaSize": lambda: int(shared.get("QuotaSize") or 4096),
            "UserSessionTimeout": lambda: int(shared.get("UserSessionTimeout") or 0),
            "TemporarySessionTimeout": lambda: int(shared.get("TemporarySessionTimeout") or 0),
            "TemporarySessionOnly": lambda: bool(shared.get("TemporarySessionOnly")),
            "ManagedAppleIDDefaultDomains": lambda: list(shared.get("ManagedAppleIDDefaultDomains") or []),
            "OnlineAuthenticationGracePeriod": lambda: int(
                shared.get("OnlineAuthenticationGracePeriod") or 0
            ),
            "SkipLanguageAndLocaleSetupForNewUsers": lambda: bool(
                shared.get("SkipLanguageAndLocaleSetupForNewUsers")
            ),
        }
    return answers


def _device_information(virtual: VirtualDevice, params: dict[str, Any]) -> dict[str, Any]:
    queries = params.get("Queries")
    if queries is not None and not isinstance(queries, list):
        raise FormatError
    answers = _queries(virtual)
    wanted = queries if queries else list(answers)
    # An iPad answers the queries it knows and leaves the others out.
    return {"QueryResponses": {name: answers[name]() for name in wanted if name in answers}}


def _security_info(virtual: VirtualDevice, _params: dict[str, Any]) -> dict[str, Any]:
    return {
        "SecurityInfo": {
            "HardwareEncryptionCaps": 3,
            "PasscodePresent": virtual.passcode_present,
            "PasscodeCompliant": True,
            "PasscodeCompliantWithProfiles": True,
            "PasscodeLockGracePeriodEnforced": 0,
            "ManagementStatus": {
                "EnrolledViaDEP": True,
                "IsUserEnrollment": False,
                "IsActivationLockManageable": True,
            },
        }
    }


# --- Profiles -------------------------------------------------------------------------------


def _profile_item(installed: InstalledProfile) -> dict[str, Any]:
    item: dict[str, Any] = {
        "PayloadUUID": installed.uuid,
        "PayloadIdentifier": installed.identifier,
        "PayloadVersion": installed.version,
        "PayloadDisplayName": installed.display_name,
        "PayloadRemovalDisallowed": installed.removal_disallowed,
        "HasRemovalPasscode": False,
        "IsEncrypted": False,
        "IsManaged": installed.is_managed,
        "PayloadContent": [
            {
                "PayloadType": each["type"],
                "PayloadIdentifier": each["identifier"],
                "PayloadUUID": each["uuid"],
                "PayloadVersion": 1,
                "PayloadDisplayName": each["display_name"],
            }
            for each in installed.payloads
        ],
    }
    if installed.organization:
        item["PayloadOrganization"] = installed.organization
    if installed.description:
        item["PayloadDescription"] = installed.description
    if installed.signer_certificates:
        item["SignerCertificates"] = [base64.b64decode(each) for each in installed.signer_certificates]
    return item


def _profile_list(virtual: VirtualDevice, params: dict[str, Any]) -> dict[str, Any]:
    installed = InstalledProfile.objects.filter(virtual_device=virtual)
    if params.get("ManagedOnly"):
        installed = installed.filter(is_managed=True)
    return {"ProfileList": [_profile_item(each) for each in installed]}


def _install_profile(virtual: VirtualDevice, params: dict[str, Any]) -> dict[str, Any]:
    payload = params.get("Payload")
    if not isinstance(payload, bytes):
        raise FormatError
    try:
        profile = profiles.profile_parse(payload)
    except profiles.InvalidProfile as exc:
        raise CommandError(1000, "MCProfileErrorDomain", f"The profile is invalid: {exc}") from None
    if profile.payloads_of(profiles.MDM_PAYLOAD):
        raise CommandError(4001, "MCMDMErrorDomain", "A device can be enrolled in only one MDM server.")
    enrollment = InstalledProfile.objects.filter(virtual_device=virtual, is_enrollment=True).first()
    if enrollment is not None and enrollment.identifier == profile.identifier:
        raise CommandError(1000, "MCProfileErrorDomain", "The profile replaces the enrollment profile.")
    with transaction.atomic(using=DB):
        profiles.profile_record(virtual, profile, is_enrollment=False)
    return {}


def _remove_profile(
    virtual: VirtualDevice, params: dict[str, Any]
) -> dict[str, Any] | tuple[dict[str, Any], After]:
    identifier = params.get("Identifier")
    if not isinstance(identifier, str):
        raise FormatError
    installed = InstalledProfile.objects.filter(virtual_device=virtual, identifier=identifier).first()
    if installed is None:
        raise CommandError(1001, "MCProfileErrorDomain", f"The profile “{identifier}” is not installed.")
    if installed.is_enrollment:
        # Removing the MDM profile unenrolls: done after the reply (CheckOut if asked).
        from mock_apple.ipad import enrollment  # the enrollment module runs sessions: a cycle

        return {}, lambda: enrollment.unenroll(virtual, check_out=True)
    installed.delete()
    return {}


# --- Apps -----------------------------------------------------------------------------------


def _app_for(params: dict[str, Any]) -> dict[str, Any]:
    identifier = params.get("Identifier")
    store_id = params.get("iTunesStoreID")
    manifest = params.get("ManifestURL")
    if isinstance(identifier, str) and identifier:
        known = APP_CATALOGUE.get(identifier, {})
        return {"bundle_id": identifier, "name": known.get("name") or identifier.rsplit(".", 1)[-1], **known}
    if isinstance(store_id, int) and not isinstance(store_id, bool):
        for bundle_id, known in APP_CATALOGUE.items():
            if known["store_id"] == str(store_id):
                return {"bundle_id": bundle_id, **known}
        return {"bundle_id": f"store.{store_id}", "name": f"App {store_id}", "store_id": str(store_id)}
    if isinstance(manifest, str) and manifest:
        name = manifest.rstrip("/").rsplit("/", 1)[-1].removesuffix(".plist") or "App"
        return {"bundle_id": f"enterprise.{name}", "name": name}
    raise FormatError


def _home_app(app: dict[str, Any], flags: int) -> dict[str, Any]:
    return {
        "bundle_id": str(app["bundle_id"])[:200],
        "name": str(app.get("name") or "")[:100],
        "icon": str(app.get("icon") or str(app.get("name") or "?")[:1])[:2],
        "color": str(app.get("color") or ""),
        "version": "1.0",
        "store_id": str(app.get("store_id") or ""),
        "managed": True,
        "management_flags": flags,
    }


def _install_application(virtual: VirtualDevice, params: dict[str, Any]) -> dict[str, Any]:
    app = _app_for(params)
    flags = params.get("ManagementFlags", 0)
    apps = list(virtual.apps or [])
    if any(each.get("bundle_id") == app["bundle_id"] for each in apps):
        return {"Identifier": app["bundle_id"], "State": "Managed", "RejectionReason": "AppAlreadyInstalled"}
    apps.append(_home_app(app, flags if isinstance(flags, int) else 0))
    virtual.apps = apps
    _save(virtual, "apps")
    # The App Store download of a real iPad is immediate here: the app is on the home screen.
    return {"Identifier": app["bundle_id"], "State": "Managed"}


def _installed_application_list(virtual: VirtualDevice, params: dict[str, Any]) -> dict[str, Any]:
    wanted = params.get("Identifiers")
    apps = [
        app for app in virtual.apps or [] if not isinstance(wanted, list) or app.get("bundle_id") in wanted
    ]
    return {
        "InstalledApplicationList": [
            {
                "Identifier": str(app.get("bundle_id")),
                "Name": str(app.get("name")),
                "Version": str(app.get("version") or "1.0"),
                "ShortVersion": str(app.get("version") or "1.0"),
                "BundleSize": 52_428_800,
                "DynamicSize": 1_048_576,
                "IsValidated": True,
                "Installing": False,
                "AppStoreVendable": True,
                "DeviceBasedVPP": False,
                "BetaApp": False,
                "AdHocCodeSigned": False,
                "HasUpdateAvailable": False,
            }
            for app in apps
        ]
    }


def _managed_application_list(virtual: VirtualDevice, params: dict[str, Any]) -> dict[str, Any]:
    wanted = params.get("Identifiers")
    return {
        "ManagedApplicationList": {
            str(app.get("bundle_id")): {
                "Status": "Managed",
                "ManagementFlags": int(app.get("management_flags") or 0),
                "UnusedRedemptionCode": "",
                "HasConfiguration": False,
                "HasFeedback": False,
                "IsValidated": True,
                "ExternalVersionIdentifier": 0,
            }
            for app in virtual.apps or []
            if app.get("managed", True) and (not isinstance(wanted, list) or app.get("bundle_id") in wanted)
        }
    }


# --- Settings -------------------------------------------------------------------------------

# Settings an iPad takes ([ADM] settings.yaml, iOS); each stored under its Item.
SETTINGS_ITEMS = frozenset(
    {
        "DeviceName",
        "TimeZone",
        "OrganizationInfo",
        "MDMOptions",
        "SharedDeviceConfiguration",
        "ApplicationConfiguration",
        "ApplicationAttributes",
        "Wallpaper",
        "DataRoaming",
        "VoiceRoaming",
        "PersonalHotspot",
        "Bluetooth",
        "DiagnosticSubmission",
        "AppAnalytics",
        "AccessibilitySettings",
        "SoftwareUpdateSettings",
        "HostName",
    }
)


def _settings(virtual: VirtualDevice, params: dict[str, Any]) -> dict[str, Any]:
    items = params.get("Settings")
    if not isinstance(items, list):
        raise FormatError
    results: list[dict[str, Any]] = []
    stored = dict(virtual.mdm_settings or {})
    for item in items:
        name = item.get("Item") if isinstance(item, dict) else None
        if name not in SETTINGS_ITEMS:
            error = CommandError(12070, "MCMDMErrorDomain", f"The setting “{name}” is not supported.")
            results.append({"Status": "Error", "ErrorChain": error.chain()})
            continue
        assert isinstance(item, dict)
        if name == "DeviceName":
            value = item.get("DeviceName")
            if not isinstance(value, str) or not value.strip():
                error = CommandError(12071, "MCMDMErrorDomain", "The device name is empty.")
                results.append({"Status": "Error", "ErrorChain": error.chain()})
                continue
            virtual.device_name = value.strip()[:100]
        else:
            value = {k: v for k, v in item.items() if k != "Item"}
            stored[name] = _jsonable(value.get(name, value) if len(value) == 1 else value)
        results.append({"Status": "Acknowledged"})
    virtual.mdm_settings = stored
    _save(virtual, "device_name", "mdm_settings")
    # Apple's YAML types the response as a dictionary; devices send an array, one per item.
    return {"Settings": results}


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


# --- Setup, lock, Lost Mode -----------------------------------------------------------------


def _device_configured(virtual: VirtualDevice, _params: dict[str, Any]) -> dict[str, Any]:
    if not virtual.awaiting_configuration:
        raise CommandError(101, "MDMDeviceEnrollment", "Device is not AwaitingConfiguration")
    virtual.awaiting_configuration = False
    _save(virtual, "awaiting_configuration")
    return {}


def _device_lock(virtual: VirtualDevice, params: dict[str, Any]) -> dict[str, Any]:
    message, phone = params.get("Message", ""), params.get("PhoneNumber", "")
    if not isinstance(message, str) or not isinstance(phone, str):
        raise FormatError
    virtual.locked = True
    # A Shared iPad ignores the message and phone number ([ADM] device.lock.yaml).
    shared = _multi_user(virtual)
    virtual.lock_message = "" if shared else message[:500]
    virtual.lock_phone_number = "" if shared else phone[:64]
    _save(virtual, "locked", "lock_message", "lock_phone_number")
    return {"MessageResult": "DeviceInLostMode" if virtual.lost_mode else "Success"}


def _clear_passcode(virtual: VirtualDevice, params: dict[str, Any]) -> dict[str, Any]:
    if not _multi_user(virtual) and not isinstance(params.get("UnlockToken"), bytes):
        raise FormatError
    virtual.passcode_present = False
    _save(virtual, "passcode_present")
    return {}


def _enable_lost_mode(virtual: VirtualDevice, params: dict[str, Any]) -> dict[str, Any]:
    message, phone = params.get("Message"), params.get("PhoneNumber")
    footnote = params.get("Footnote", "")
    if not (isinstance(message, str) and message) and not (isinstance(phone, str) and phone):
        raise CommandError(12067, "MCMDMErrorDomain", "Lost Mode needs a message or a phone number.")
    virtual.lost_mode = True
    virtual.lost_mode_message = str(message or "")[:500]
    virtual.lost_mode_phone_number = str(phone or "")[:64]
    virtual.lost_mode_footnote = str(footnote or "")[:500]
    _save(virtual, "lost_mode", "lost_mode_message", "lost_mode_phone_number", "lost_mode_footnote")
    return {}


def _disable_lost_mode(virtual: VirtualDevice, _params: dict[str, Any]) -> dict[str, Any]:
    if not virtual.lost_mode:
        raise CommandError(12068, "MCMDMErrorDomain", "The device is not in Lost Mode.")
    virtual.lost_mode = False
    virtual.lost_mode_message = virtual.lost_mode_phone_number = virtual.lost_mode_footnote = ""
    _save(virtual, "lost_mode", "lost_mode_message", "lost_mode_phone_number", "lost_mode_footnote")
    return {}


def _require_lost_mode(virtual: VirtualDevice) -> None:
    if not virtual.lost_mode:
        raise CommandError(12068, "MCMDMErrorDomain", "The device is not in Lost Mode.")


def _device_location(virtual: VirtualDevice, _params: dict[str, Any]) -> dict[str, Any]:
    _require_lost_mode(virtual)
    # A fixed spot per device near Paris, a few hundred metres apart.
    seed = int(hashlib.sha256(virtual.udid.encode()).hexdigest()[:8], 16)
    return {
        "Latitude": 48.8566 + (seed % 1000) / 100_000,
        "Longitude": 2.3522 + (seed // 1000 % 1000) / 100_000,
        "HorizontalAccuracy": 12.0,
        "VerticalAccuracy": 8.0,
        "Altitude": 35.0,
        "Speed": 0.0,
        "Course": -1.0,
        "Timestamp": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _play_lost_mode_sound(virtual: VirtualDevice, _params: dict[str, Any]) -> dict[str, Any]:
    _require_lost_mode(virtual)
    virtual.lost_mode_sound_at = clock.now()
    _save(virtual, "lost_mode_sound_at")
    return {}


def _activation_lock_bypass_code(virtual: VirtualDevice, _params: dict[str, Any]) -> dict[str, Any]:
    # Apple's format: 30 characters in six groups of five (no ambiguous letters).
    alphabet = "0123456789ACDEFGHJKLMNPQRTUVWXYZ"
    digest = hashlib.sha256(f"bypass:{virtual.udid}".encode()).digest()
    code = "".join(alphabet[byte % len(alphabet)] for byte in digest[:30])
    return {"ActivationLockBypassCode": "-".join(code[i : i + 5] for i in range(0, 30, 5))}


# --- Shared iPad users ----------------------------------------------------------------------


def _log_out_user(virtual: VirtualDevice, _params: dict[str, Any]) -> dict[str, Any]:
    virtual.session_kind, virtual.session_user = VirtualDevice.Session.NONE, None
    virtual.open_app = ""
    _save(virtual, "session_kind", "session_user", "open_app")
    return {}


def _user_name(user: SharedIPadUser) -> str:
    return str(user.person.managed_apple_id)


def _delete_user(virtual: VirtualDevice, params: dict[str, Any]) -> dict[str, Any]:
    users = list(SharedIPadUser.objects.filter(virtual_device=virtual).select_related("person"))
    if params.get("DeleteAllUsers"):
        doomed = [user for user in users if user.pk != virtual.session_user_id]
    else:
        name = params.get("UserName")
        if not isinstance(name, str):
            raise FormatError
        doomed = [user for user in users if _user_name(user).lower() == name.lower()]
        if not doomed:
            raise CommandError(12080, "MCMDMErrorDomain", f"The user “{name}” is not on this iPad.")
        if doomed[0].pk == virtual.session_user_id:
            raise CommandError(12081, "MCMDMErrorDomain", "The user is signed in.")
    SharedIPadUser.objects.filter(pk__in=[user.pk for user in doomed]).delete()
    return {}


def _user_list(virtual: VirtualDevice, _params: dict[str, Any]) -> dict[str, Any]:
    users = SharedIPadUser.objects.filter(virtual_device=virtual).select_related("person")
    return {
        "Users": [
            {
                "UserName": _user_name(user),
                "IsLoggedIn": user.pk == virtual.session_user_id,
                "HasDataToSync": False,
                "DataQuota": 4096,
                "DataUsed": 120,
            }
            for user in users
        ]
    }


# --- Power and erase ------------------------------------------------------------------------


def _restart(virtual: VirtualDevice, _params: dict[str, Any]) -> tuple[dict[str, Any], After]:
    from mock_apple.ipad import device  # device runs sessions (Return to Service): a cycle

    return {}, lambda: device.restart(virtual)


def _shut_down(virtual: VirtualDevice, _params: dict[str, Any]) -> tuple[dict[str, Any], After]:
    from mock_apple.ipad import device

    return {}, lambda: device.shut_down(virtual)


def _erase(virtual: VirtualDevice, params: dict[str, Any]) -> tuple[dict[str, Any], After]:
    from mock_apple.ipad import device

    service = params.get("ReturnToService")
    if service is not None and not isinstance(service, dict):
        raise FormatError
    plan = None
    if service and service.get("Enabled"):
        wifi, mdm_profile = service.get("WiFiProfileData"), service.get("MDMProfileData")
        if (
            wifi is not None
            and not isinstance(wifi, bytes)
            or (mdm_profile is not None and not isinstance(mdm_profile, bytes))
        ):
            raise FormatError
        plan = {
            "wifi_profile": base64.b64encode(wifi).decode() if wifi else "",
            "mdm_profile": base64.b64encode(mdm_profile).decode() if mdm_profile else "",
            "language": virtual.language or "en",
            "region": virtual.region or "US",
        }
    return {}, lambda: device.erase_and_return(virtual, plan)


HANDLERS: dict[str, Handler] = {
    "DeviceInformation": _device_information,
    "SecurityInfo": _security_info,
    "ProfileList": _profile_list,
    "InstallProfile": _install_profile,
    "RemoveProfile": _remove_profile,
    "InstalledApplicationList": _installed_application_list,
    "ManagedApplicationList": _managed_application_list,
    "InstallApplication": _install_application,
    "Settings": _settings,
    "DeviceConfigured": _device_configured,
    "DeviceLock": _device_lock,
    "ClearPasscode": _clear_passcode,
    "RestartDevice": _restart,
    "ShutDownDevice": _shut_down,
    "EnableLostMode": _enable_lost_mode,
    "DisableLostMode": _disable_lost_mode,
    "DeviceLocation": _device_location,
    "PlayLostModeSound": _play_lost_mode_sound,
    "ActivationLockBypassCode": _activation_lock_bypass_code,
    "LogOutUser": _log_out_user,
    "DeleteUser": _delete_user,
    "UserList": _user_list,
    "EraseDevice": _erase,
}
KNOWN_COMMANDS = tuple(HANDLERS)


def command_run(virtual: VirtualDevice, command: dict[str, Any]) -> CommandOutcome:
    """The reply to one command plist ({CommandUUID, Command: {RequestType, …}})."""
    command_uuid = command.get("CommandUUID")
    body = command.get("Command")
    reply: dict[str, Any] = {"UDID": virtual.udid, "CommandUUID": str(command_uuid or "")}
    if not isinstance(command_uuid, str) or not isinstance(body, dict):
        return CommandOutcome({**reply, "Status": "CommandFormatError"})
    request_type = body.get("RequestType")
    handler = HANDLERS.get(str(request_type))
    needed = RIGHTS.get(str(request_type), 0)
    rights = (virtual.mdm_payload or {}).get("AccessRights")
    try:
        if handler is None or (str(request_type) in MULTI_USER_ONLY and not _multi_user(virtual)):
            raise CommandError(12021, "MCMDMErrorDomain", f"The command “{request_type}” is not supported.")
        if needed and isinstance(rights, int) and not rights & needed:
            raise CommandError(12003, "MCMDMErrorDomain", "The MDM server does not have the access rights.")
        params = {key: value for key, value in body.items() if key != "RequestType"}
        result = handler(virtual, params)
    except CommandError as error:
        return CommandOutcome({**reply, "Status": "Error", "ErrorChain": error.chain()})
    except FormatError:
        return CommandOutcome({**reply, "Status": "CommandFormatError"})
    keys, after = result if isinstance(result, tuple) else (result, None)
    return CommandOutcome({**reply, "Status": "Acknowledged", **keys}, after)


def command_parse(body: bytes) -> dict[str, Any] | None:
    """The command plist of a ServerURL answer, or None when it is not a dictionary plist."""
    try:
        value = plistlib.loads(body)
    except profiles.PLIST_ERRORS:
        return None
    return value if isinstance(value, dict) else None


# The words the screens show for the state the commands leave (kept here with the commands).
ACTIVITY_LABELS = {
    "erasing": _("Erasing…"),
    "restarting": _("Restarting…"),
    "shutting_down": _("Shutting down…"),
}


def identity_common_name(virtual: VirtualDevice) -> str:
    if not virtual.mdm_certificate_pem:
        return ""
    names = certificate(virtual.mdm_certificate_pem).subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""
