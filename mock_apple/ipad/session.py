"""A check-in session with the MDM's ServerURL (issue 23): PUT Idle, then run each command
the server answers with and PUT its reply, until the server answers an empty 200."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connections

from mock_apple import clock
from mock_apple.db import DB
from mock_apple.ipad import commands
from mock_apple.ipad.channel import mdm_put, plist_text
from mock_apple.ipad.transport import DeviceHttp, Unreachable
from mock_apple.models import MdmExchange, VirtualDevice

MAX_COMMANDS = 500  # per session: a server that never ends the queue does not hold the device
UNRECOGNIZED_DEVICE = b"com.apple.unrecognized.device"

_locks: defaultdict[int, threading.Lock] = defaultdict(threading.Lock)
_locks_guard = threading.Lock()
ADVISORY_CLASS = 23_0001  # the first key of pg_advisory_lock(int, int): the virtual iPads'


@contextmanager
def device_lock(pk: int) -> Iterator[None]:
    """One session per device at a time: a thread lock in this process, and on PostgreSQL an
    advisory lock, so that a script's process (ipad_fleet) and the served mock never run two
    sessions of one device at once."""
    with _locks_guard:
        lock = _locks[pk]
    with lock:
        connection = connections[DB]
        if connection.vendor != "postgresql":
            yield
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [ADVISORY_CLASS, pk])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_CLASS, pk])


@dataclass(frozen=True)
class SessionResult:
    """`commands`: how many commands ran; `http_status` of the last answer (0: unreachable);
    `error`: "" or why the session stopped early (the device tries again at the next wake)."""

    commands: int
    http_status: int
    error: str = ""


def can_check_in(virtual: VirtualDevice) -> bool:
    return (
        virtual.enrolled
        and bool(virtual.mdm_payload)
        and virtual.state != VirtualDevice.State.OFF
        and bool(virtual.mdm_certificate_pem)
    )


def check_in_now(virtual: VirtualDevice) -> SessionResult:
    """Run one ServerURL session now, in this thread (the *Check in now* control, a push, the
    periodic check-in, power-on). A device that is off, not enrolled, erasing or whose MDM
    profile is gone does nothing (commands=0). One session at a time per device (a row lock)."""
    with device_lock(virtual.pk):
        virtual.refresh_from_db()
        if not can_check_in(virtual):
            return SessionResult(0, 0, "not enrolled or off")
        with DeviceHttp() as http:
            result, after = _session(virtual, http)
        VirtualDevice.objects.filter(pk=virtual.pk).update(last_session_at=clock.now())
    # What the device does once the server heard the reply (erase, restart, shut down, unenroll).
    for action in after:
        action()
    virtual.refresh_from_db()
    return result


def _session(virtual: VirtualDevice, http: DeviceHttp) -> tuple[SessionResult, list[commands.After]]:
    message: dict[str, Any] = {"UDID": virtual.udid, "Status": "Idle"}
    pending: MdmExchange | None = None
    after: list[commands.After] = []
    ran = 0
    while True:
        try:
            response = mdm_put(virtual, http, message=message, checkin=False)
        except Unreachable as exc:
            _close(pending, 0)
            return SessionResult(ran, 0, f"unreachable: {exc}"), after
        _close(pending, response.status_code)
        pending = None
        if response.status_code != 200:
            if response.status_code == 401 or (
                response.status_code == 403 and UNRECOGNIZED_DEVICE in response.content
            ):
                # The server does not know this device any more: it unenrolls ([ADM] errors).
                from mock_apple.ipad import enrollment  # enrollment runs sessions: a cycle

                after.append(lambda: enrollment.unenroll(virtual, check_out=False))
            return SessionResult(ran, response.status_code, f"HTTP {response.status_code}"), after
        if not response.content:
            return SessionResult(ran, 200), after
        command = commands.command_parse(response.content)
        if command is None:
            return SessionResult(ran, 200, "the answer is not a command plist"), after
        received_at = clock.now()
        outcome = commands.command_run(virtual, command)
        body = command.get("Command")
        # Written once its reply has reached the server (`_close`): one insert, no update.
        pending = MdmExchange(
            virtual_device=virtual,
            kind=MdmExchange.Kind.COMMAND,
            request_type=str(body.get("RequestType", "") if isinstance(body, dict) else "")[:64],
            command_uuid=str(command.get("CommandUUID", ""))[:128],
            status=outcome.status[:32],
            request_plist=plist_text(command),
            reply_plist=plist_text(outcome.reply),
            received_at=received_at,
        )
        if outcome.after is not None:
            after.append(outcome.after)
        message = outcome.reply
        ran += 1
        if ran >= MAX_COMMANDS or after and _ends_session(outcome):
            # Send the last reply; an erase or a shut-down ends the conversation there.
            try:
                response = mdm_put(virtual, http, message=message, checkin=False)
            except Unreachable:
                _close(pending, 0)
                return SessionResult(ran, 0, "unreachable"), after
            _close(pending, response.status_code)
            return SessionResult(ran, response.status_code), after


def _ends_session(outcome: commands.CommandOutcome) -> bool:
    return outcome.after is not None


def _close(exchange: MdmExchange | None, http_status: int) -> None:
    """The reply of a command reached the server (or not): logged with its HTTP status and time."""
    if exchange is None:
        return
    exchange.http_status, exchange.replied_at = http_status, clock.now()
    exchange.save(force_insert=True)
