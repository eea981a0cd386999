"""A check-in session with the MDM's ServerURL (issue 23): PUT Idle, then run each command
the server answers with and PUT its reply, until the server answers an empty 200."""

from __future__ import annotations

from dataclasses import dataclass

from mock_apple.models import VirtualDevice


@dataclass(frozen=True)
class SessionResult:
    """`commands`: how many commands ran; `http_status` of the last answer (0: unreachable);
    `error`: "" or why the session stopped early (the device tries again at the next wake)."""

    commands: int
    http_status: int
    error: str = ""


def check_in_now(virtual: VirtualDevice) -> SessionResult:
    """Run one ServerURL session now, in this thread (the *Check in now* control, a push, the
    periodic check-in, power-on). A device that is off, not enrolled, erasing or whose MDM
    profile is gone does nothing (commands=0). One session at a time per device (a row lock)."""
    raise NotImplementedError
