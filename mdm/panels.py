"""What the mdm app shows on the devices app's blades (registered by MdmConfig.ready).

The device blade shows who uses the device, but `devices` may not import `mdm`: it asks
`blade_extra_context` and this provider answers.
"""

from __future__ import annotations

from typing import Any

from asm_portal.blades import register_blade_context
from devices.models import Device
from mdm.directory import directory_user_of


def device_detail_context(*, device: Device) -> dict[str, Any]:
    return {"device_user": directory_user_of(device)}


def register() -> None:
    register_blade_context("devices:detail", device_detail_context)
