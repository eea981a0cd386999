"""Headless fleets of virtual iPads enrolling at once (load tests of MDM servers, the benchmark)."""

from __future__ import annotations

from dataclasses import dataclass, field

from mock_apple.models import Organization


@dataclass
class FleetResult:
    """Per device: serial → seconds the enrollment took (power-on to home screen), and the
    failures (serial → FailureCode)."""

    durations: dict[str, float] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)


def fleet_enroll(
    organization: Organization, *, count: int, workers: int = 16, serials: list[str] | None = None
) -> FleetResult:
    """Power on `count` assigned devices of the organisation (or `serials`) and run Setup
    Assistant unattended on each, `workers` at a time; see device.setup_unattended."""
    raise NotImplementedError
