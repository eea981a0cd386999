"""Headless fleets of virtual iPads enrolling at once (load tests of MDM servers, the benchmark)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.db import connections

from mock_apple.db import DB
from mock_apple.ipad.device import setup_unattended
from mock_apple.ipad.identity import virtual_device_of
from mock_apple.models import CertificateAuthority, Device, Organization, VirtualDevice
from mock_apple.services.push import certificate_authority


@dataclass
class FleetResult:
    """Per device: serial → seconds the enrollment took (power-on to home screen), and the
    failures (serial → FailureCode)."""

    durations: dict[str, float] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    def percentile(self, share: float) -> float:
        values = sorted(self.durations.values())
        if not values:
            return 0.0
        return values[min(len(values) - 1, int(round(share * (len(values) - 1))))]


def fleet_devices(organization: Organization, *, count: int) -> list[Device]:
    """Devices of the organisation assigned a DEP profile and never enrolled (nor powered on)."""
    return list(
        Device.objects.filter(organization=organization, mdm_server__isnull=False, disowned_at__isnull=True)
        .exclude(profile_uuid="")
        .exclude(virtual__enrolled=True)
        .order_by("serial_number")[:count]
    )


def _one(device_pk: int, language: str) -> tuple[str, float, str]:
    try:
        virtual = virtual_device_of(Device.objects.get(pk=device_pk))
        started = time.monotonic()
        outcome = setup_unattended(virtual, language=language)
        elapsed = time.monotonic() - started
        failure = outcome.failure or ("awaiting_configuration" if outcome.awaiting_configuration else "")
        if failure and outcome.detail:
            failure = f"{failure}: {outcome.detail}"
        return virtual.device.serial_number, elapsed, failure
    finally:
        connections[DB].close()


def _identity(device_pk: int) -> None:
    try:
        virtual_device_of(Device.objects.get(pk=device_pk))
    finally:
        connections[DB].close()


def fleet_enroll(
    organization: Organization,
    *,
    count: int,
    workers: int = 16,
    serials: list[str] | None = None,
    language: str = "en",
) -> FleetResult:
    """Power on `count` assigned devices of the organisation (or `serials`) and run Setup
    Assistant unattended on each, `workers` at a time; see device.setup_unattended. The
    hardware identities are made first (an RSA key each), so the durations are enrollments."""
    if serials is not None:
        devices = list(Device.objects.filter(organization=organization, serial_number__in=serials))
    else:
        devices = fleet_devices(organization, count=count)
    pks = [device.pk for device in devices]
    result = FleetResult()
    # The device CA first: made on first use, it must not be made by N threads at once.
    certificate_authority(CertificateAuthority.Purpose.DEVICE)
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="ipad-fleet") as pool:
        list(pool.map(_identity, pks))
        for serial, elapsed, failure in pool.map(lambda pk: _one(pk, language), pks):
            if failure:
                result.failures[serial] = failure
            else:
                result.durations[serial] = elapsed
    return result


def fleet_virtual_devices(result: FleetResult) -> list[VirtualDevice]:
    return list(VirtualDevice.objects.filter(device__serial_number__in=list(result.durations)))
