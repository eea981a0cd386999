"""The virtual iPad's hardware identity: its UDID, and its key and certificate from the mock
Apple iPhone Device CA (it signs the device's MachineInfo)."""

from __future__ import annotations

import secrets

from django.db import transaction

from mock_apple import clock, crypto
from mock_apple.db import DB
from mock_apple.models import (
    CertificateAuthority,
    Device,
    VirtualDevice,
)
from mock_apple.services import push


class DeviceIdentityError(ValueError):
    """A device request whose certificate or signature does not hold."""


def _udid() -> str:
    # The modern UDID format: 8 hex digits (the chip), a dash, 16 hex digits (the ECID).
    return f"{secrets.token_hex(4).upper()}-{secrets.token_hex(8).upper()}"


def virtual_device_of(device: Device) -> VirtualDevice:
    """The device's hardware: made at first power-on with a UDID and a key and certificate from
    the Apple iPhone Device CA; they survive an erase."""
    existing = VirtualDevice.objects.filter(device=device).select_related("device").first()
    if existing:
        return existing
    authority = push.certificate_authority(CertificateAuthority.Purpose.DEVICE)
    udid = _udid()
    certificate_pem, key_pem = crypto.device_identity_issue(
        udid=udid,
        serial_number=device.serial_number,
        ca_certificate_pem=authority.certificate_pem,
        ca_key_pem=authority.private_key,
        now=clock.now(),
    )
    with transaction.atomic(using=DB):
        made, _ = VirtualDevice.objects.get_or_create(
            device=device,
            defaults={
                "udid": udid,
                "certificate_pem": certificate_pem,
                "private_key": key_pem,
                "created_at": clock.now(),
            },
        )
    return made
