"""What the mdm app shows on the devices app's blades (registered by MdmConfig.ready).

The Apple MDM Push certificate blade (tokens) shows the pushes that failed recently. The device
blade shows who uses the device and the devices grid and blade link an enrolled device
to its managed device (Intune's device blade), but `devices` may not import `mdm`: it asks
`blade_extra_context` and this provider answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from asm_portal.blades import register_blade_context
from devices.models import Device
from mdm import selectors
from mdm.directory import directory_user_of
from tokens.models import ApplePushCertificate


def device_detail_context(*, device: Device) -> dict[str, Any]:
    managed = selectors.managed_ids_for_devices(device_ids=[device.pk])
    return {"device_user": directory_user_of(device), "managed_device_id": managed.get(device.pk)}


def device_grid_context(*, devices: Sequence[Device]) -> dict[str, Any]:
    # The enrolled rows of a grid page link to their managed device (one query for the page).
    return {"managed_ids": selectors.managed_ids_for_devices(device_ids=[d.pk for d in devices])}


def push_certificate_context(*, certificate: ApplePushCertificate | None) -> dict[str, Any]:
    # How many pushes failed recently and why (Intune's devices are reached through it).
    return {"push_failures": selectors.push_failures_recent() if certificate is not None else None}


def register() -> None:
    register_blade_context("tokens:push_certificate", push_certificate_context)
    register_blade_context("devices:detail", device_detail_context)
    register_blade_context("devices:grid", device_grid_context)
