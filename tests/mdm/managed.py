"""Managed devices as an enrolled iPad leaves them (for the blades' and actions' tests), and the
device's side of a command: hand it out as the ServerURL endpoint does, then answer it."""

from __future__ import annotations

from typing import Any

from asm_portal import clock
from mdm.commands import command_reply_record
from mdm.models import CommandStatus, DeviceCommand, ManagedDevice

INVENTORY = {
    "DeviceName": "IPAD-001",
    "ModelName": "iPad",
    "Model": "MK2K3LL/A",
    "ProductName": "iPad13,18",
    "OSVersion": "17.5",
    "DeviceCapacity": 64.0,
    "AvailableDeviceCapacity": 40.5,
    "BatteryLevel": 0.82,
    "WiFiMAC": "f0:18:98:00:00:01",
    "IsSupervised": True,
}
PROFILES = [
    {
        "PayloadIdentifier": "com.microsoft.intune.mdm.enrollment",
        "PayloadDisplayName": "Management Profile",
        "PayloadOrganization": "Contoso",
        "IsManaged": False,
        "PayloadContent": [{"PayloadType": "com.apple.mdm"}, {"PayloadType": "com.apple.security.scep"}],
    },
    {
        "PayloadIdentifier": "com.contoso.wifi",
        "PayloadDisplayName": "=cmd Wi-Fi",
        "IsManaged": True,
        "PayloadContent": [{"PayloadType": "com.apple.wifi.managed"}],
    },
]
APPS = [
    {"Name": "Company Portal", "Identifier": "com.microsoft.CompanyPortal", "ShortVersion": "5.2"},
    {"Name": "Keynote", "Identifier": "com.apple.Keynote", "ShortVersion": "14.0"},
]


def managed_device_create(
    serial: str = "DMPQ000001", *, name: str = "IPAD-001", **fields: Any
) -> ManagedDevice:
    now = clock.now()
    values: dict[str, Any] = {
        "udid": f"00008101-{serial}",
        "serial_number": serial,
        "device_name": name,
        "model_name": "iPad",
        "product_name": "iPad13,18",
        "os_version": "17.5",
        "is_supervised": True,
        "user_principal_name": "ada@contoso.edu",
        "enrolled_at": now,
        "last_checkin_at": now,
        "push_token": "ab" * 32,
        "push_magic": "magic",
        "push_topic": "com.apple.mgmt.External.test",
        "unlock_token": "dW5sb2Nr",
        "inventory": {**INVENTORY, "DeviceName": name},
        "installed_profiles": PROFILES,
        "installed_apps": APPS,
        **fields,
    }
    return ManagedDevice.objects.create(**values)


def managed_devices_create(count: int, *, prefix: str = "DMPQ", **fields: Any) -> list[ManagedDevice]:
    now = clock.now()
    return ManagedDevice.objects.bulk_create(
        ManagedDevice(
            udid=f"UDID-{prefix}{index:06d}",
            serial_number=f"{prefix}{index:06d}",
            device_name=f"IPAD-{index:06d}",
            model_name="iPad",
            product_name="iPad13,18",
            os_version="17.5",
            user_principal_name=f"student{index}@contoso.edu",
            enrolled_at=now,
            last_checkin_at=now,
            **fields,
        )
        for index in range(count)
    )


def device_answers(device: ManagedDevice, status: str = "Acknowledged", **reply: Any) -> list[str]:
    """The device takes each of its queued commands (as the ServerURL endpoint hands them out)
    and answers it; the request types it answered, in order."""
    answered = []
    for command in DeviceCommand.objects.filter(device=device, status=CommandStatus.QUEUED).order_by(
        "queued_at", "id"
    ):
        DeviceCommand.objects.filter(pk=command.pk).update(
            status=CommandStatus.SENT, sent_at=clock.now(), attempts=1
        )
        body: dict[str, Any] = dict(reply)
        if status == "Error":
            body.setdefault(
                "ErrorChain",
                [
                    {
                        "ErrorCode": 12021,
                        "ErrorDomain": "MCMDMErrorDomain",
                        "LocalizedDescription": "The device refused.",
                    }
                ],
            )
        command_reply_record(device=device, status=status, command_uuid=str(command.command_uuid), reply=body)
        answered.append(command.request_type)
    return answered
