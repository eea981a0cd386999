"""Fixtures of the device-facing server's tests: Apple's device CA (a local one), virtual
devices with their certificates, and a device set up for enrollment."""

from __future__ import annotations

import pytest

from mdm import identity
from tests.devices.conftest import EnrollmentSetup, _fast_password_hashing, enrollment_setup_create  # noqa: F401
from tests.mdm.virtual_device import DeviceCa, ca_create, device_issue

# --- Device identity ---------------------------------------------------------------


@pytest.fixture(scope="session")
def _session_device_ca() -> DeviceCa:
    return ca_create()


@pytest.fixture
def device_ca(_session_device_ca: DeviceCa, monkeypatch: pytest.MonkeyPatch) -> DeviceCa:
    """The Apple device CA the portal fetches: a local one, returned at the HTTP fetch."""
    _session_device_ca.fetches.clear()

    def fetch() -> bytes:
        _session_device_ca.fetches.append(1)
        return _session_device_ca.pem

    monkeypatch.setattr(identity, "ca_pem_fetch", fetch)
    return _session_device_ca


@pytest.fixture(scope="session")
def _device_keys():
    """Generating RSA keys is slow: tests share a few devices' keys, keyed by serial number."""
    return {}


@pytest.fixture
def virtual_device(device_ca, _device_keys):
    """A function that gives the virtual device of a serial number (same identity each time)."""

    def make(serial: str):
        if serial not in _device_keys:
            _device_keys[serial] = device_issue(device_ca, serial)
        return _device_keys[serial]

    return make


# --- Enrollment ------------------------------------------------------------------------------------


@pytest.fixture
def setup(db, settings) -> EnrollmentSetup:
    """Setup Assistant (legacy) authentication with user affinity: the portal's profile default."""
    settings.PORTAL_BASE_URL = "http://portal.test"
    settings.APPLE_PUBLIC_URL = "http://apple.test"
    return enrollment_setup_create()
