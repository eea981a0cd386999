"""Waking virtual iPads: what a push from the mock APNs does, and the periodic check-in.

A push (mock_apple.apns, status 200) is stored undelivered (ApnsPush.delivered_at is null). A
small pool of worker threads inside the mock process (`start`) runs the session of each
powered-on enrolled device whose token has an undelivered push, then marks the pushes
delivered. The same runner sweeps the table at start and every second, so a restart of the
mock loses no wake, and a device powered on later gets its last push (`power_on_wake`).
The runner also checks devices in every MOCK_APPLE_IPAD_CHECKIN_SECONDS for MDM servers that
cannot push to the mock.
"""

from __future__ import annotations

from mock_apple.models import VirtualDevice


def push_received(token: str) -> None:
    """Called by mock_apple.apns after recording a 200 push: wake the runner at once."""
    raise NotImplementedError


def power_on_wake(virtual: VirtualDevice) -> None:
    """A device just powered on: run its pending push (or its start-up check-in) in the
    background."""
    raise NotImplementedError


def start() -> None:
    """Start the runner threads of this process (idempotent; the served mock starts it)."""
    raise NotImplementedError


def deliver_pending() -> int:
    """Run, in this thread, the sessions of every powered-on device with an undelivered push;
    returns how many devices checked in (tests and the benchmark call it)."""
    raise NotImplementedError
