"""What the virtual iPad says about its hardware (MachineInfo, Authenticate, DeviceInformation):
derived from its serial and UDID, stable across erases."""

from __future__ import annotations

import hashlib
import plistlib
from typing import Any

from cryptography import x509

from mock_apple.ipad import cms
from mock_apple.ipad.keys import device_key
from mock_apple.models import VirtualDevice
from mock_apple.setup_panes import CELLULAR, OS_VERSION, hardware_capabilities

BUILD_VERSION = "22B83"  # iPadOS 18.1
CAPACITY_GB = 64.0


def _digits(seed: str, count: int) -> str:
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return "".join(str(int(char, 16) % 10) for char in digest)[:count]


def _mac(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, 12, 2))


def cellular(virtual: VirtualDevice) -> bool:
    device = virtual.device
    return CELLULAR in hardware_capabilities(
        model=device.model, description=device.description, family=device.device_family
    )


def product_name(virtual: VirtualDevice) -> str:
    return "iPad13,18" if virtual.device.device_family == "iPad" else "iPhone15,4"


def imei(virtual: VirtualDevice) -> str:
    return _digits(f"imei:{virtual.udid}", 15)


def meid(virtual: VirtualDevice) -> str:
    return _digits(f"meid:{virtual.udid}", 14)


def wifi_mac(virtual: VirtualDevice) -> str:
    return _mac(f"wifi:{virtual.udid}")


def bluetooth_mac(virtual: VirtualDevice) -> str:
    return _mac(f"bt:{virtual.udid}")


def machine_info(virtual: VirtualDevice) -> dict[str, Any]:
    """MachineInfo ([ADM] other/machineinfo.yaml)."""
    info: dict[str, Any] = {
        "UDID": virtual.udid,
        "SERIAL": virtual.device.serial_number,
        "PRODUCT": product_name(virtual),
        "VERSION": BUILD_VERSION,
        "OS_VERSION": OS_VERSION,
        "LANGUAGE": virtual.language or "en",
        "MDM_CAN_REQUEST_SOFTWARE_UPDATE": False,
    }
    if cellular(virtual):
        info["IMEI"] = imei(virtual)
        info["MEID"] = meid(virtual)
    return info


def machine_info_signed(virtual: VirtualDevice) -> bytes:
    """MachineInfo as an XML plist in an attached CMS SignedData by the device identity (the
    hardware's certificate from the mock Apple iPhone Device CA)."""
    certificate = x509.load_pem_x509_certificate(virtual.certificate_pem.encode())
    return cms.sign(plistlib.dumps(machine_info(virtual)), certificate, device_key(virtual))
