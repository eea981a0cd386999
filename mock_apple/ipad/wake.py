"""Waking virtual iPads: what a push from the mock APNs does, and the periodic check-in.

A push (mock_apple.apns, status 200) is stored undelivered (ApnsPush.delivered_at is null). A
small pool of worker threads inside the mock process (`start`) runs the session of each
powered-on enrolled device whose token has an undelivered push, then marks the pushes
delivered. A push wakes the runner for its token alone (most pushes address devices that are
not virtual iPads: one indexed look-up, no sweep); the runner also sweeps the table every
second, so a restart of the mock loses no wake, and a device powered on later gets its last
push (`power_on_wake`).
The runner also checks devices in every MOCK_APPLE_IPAD_CHECKIN_SECONDS for MDM servers that
cannot push to the mock. Its threads keep their database connections between sessions
(CONN_MAX_AGE), as request threads do; `stop` closes them.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import OperationalError, close_old_connections, connections
from django.db.models import Exists, OuterRef
from psycopg.errors import LockNotAvailable

from mock_apple import clock
from mock_apple.db import DB
from mock_apple.ipad.session import check_in_now
from mock_apple.models import ApnsPush, VirtualDevice

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 1.0
WORKERS = 8

_wake = threading.Event()
_started = threading.Lock()
_runner: threading.Thread | None = None
_pool: ThreadPoolExecutor | None = None
_in_flight: set[int] = set()
_in_flight_guard = threading.Lock()
# What woke the runner since its last look: the tokens pushed, or a finished session (sweep all).
_woken: set[str] = set()
_sweep_all = False
_woken_guard = threading.Lock()


def checkin_interval() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "MOCK_APPLE_IPAD_CHECKIN_SECONDS", 900)))


def push_received(token: str) -> None:
    """Called by mock_apple.apns after recording a 200 push: wake the runner at once, for this
    token."""
    with _woken_guard:
        _woken.add(token)
    _wake.set()


def _wake_all() -> None:
    """Wake the runner for a sweep of every device (a push may have come during a session)."""
    global _sweep_all
    with _woken_guard:
        _sweep_all = True
    _wake.set()


def _take_woken() -> tuple[set[str], bool]:
    global _sweep_all
    with _woken_guard:
        tokens, everything = set(_woken), _sweep_all
        _woken.clear()
        _sweep_all = False
    return tokens, everything


def _pending_devices(tokens: set[str] | None = None) -> list[int]:
    """Powered-on enrolled devices (among those with `tokens`, if given) whose token has an
    undelivered push. Looked up from the devices: the undelivered pushes to tokens of no
    virtual iPad (a real MDM's fleet) are never read."""
    devices = VirtualDevice.objects.filter(enrolled=True).exclude(state=VirtualDevice.State.OFF)
    if tokens is not None:
        devices = devices.filter(push_token__in=tokens)
    undelivered = ApnsPush.objects.filter(token=OuterRef("push_token"), delivered_at__isnull=True, status=200)
    return list(devices.filter(Exists(undelivered)).values_list("pk", flat=True))


def _due_devices() -> list[int]:
    """Enrolled, powered-on devices that have not checked in for the periodic interval."""
    before = clock.now() - checkin_interval()
    return list(
        VirtualDevice.objects.filter(enrolled=True, last_session_at__lt=before)
        .exclude(state=VirtualDevice.State.OFF)
        .values_list("pk", flat=True)[:200]
    )


def deliver(pk: int, *, pushed_only: bool = False) -> None:
    """Mark the device's pushes delivered, then run its session (a push that arrives during the
    session stays undelivered and runs another). `pushed_only`: only when this call claimed an
    undelivered push (several runner processes, e.g. gunicorn workers, share the table)."""
    virtual = VirtualDevice.objects.select_related("device").filter(pk=pk).first()
    if virtual is None:
        return
    claimed = 0
    if virtual.push_token:
        claimed = ApnsPush.objects.filter(
            token=virtual.push_token, delivered_at__isnull=True, status=200
        ).update(delivered_at=clock.now())
    if pushed_only and not claimed:
        return
    check_in_now(virtual)


def _deliver_in_pool(pk: int, pushed_only: bool) -> None:
    # Each pool thread keeps its database connection between sessions, as a served request
    # thread does (CONN_MAX_AGE): opening one per session (a PostgreSQL backend forked) was
    # paid inside every push's round trip. An obsolete or broken one is replaced.
    close_old_connections()
    try:
        deliver(pk, pushed_only=pushed_only)
    except Exception:
        logger.exception("the session of virtual iPad %s failed", pk)
    finally:
        with _in_flight_guard:
            _in_flight.discard(pk)
        close_old_connections()
        _wake_all()  # a push that came during the session


def deliver_pending() -> int:
    """Run, in this thread, the sessions of every powered-on device with an undelivered push;
    returns how many devices checked in (tests and the benchmark call it)."""
    devices = _pending_devices()
    for pk in devices:
        deliver(pk, pushed_only=True)
    return len(devices)


def power_on_wake(virtual: VirtualDevice) -> None:
    """A device just powered on: run its pending push (or its start-up check-in) in the
    background."""
    if not virtual.enrolled:
        return
    if _pool is None:
        deliver(virtual.pk)
        return
    _submit(virtual.pk)


def _submit(pk: int, *, pushed_only: bool = False) -> None:
    assert _pool is not None
    with _in_flight_guard:
        if pk in _in_flight:
            return
        _in_flight.add(pk)
    _pool.submit(_deliver_in_pool, pk, pushed_only)


_stopping = threading.Event()


def _looks_never_wait() -> None:
    """The runner's look-ups give up on a lock rather than wait for it (PostgreSQL). A look reads
    the devices and their pushes in one statement, taking the two tables' locks one after the
    other; a TRUNCATE of both (a test's flush, a reset) takes them in the other order, and each
    would wait for the other until the deadlock detector killed one. Given up, the look comes
    again a second later."""
    connection = connections[DB]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")


def _loop() -> None:
    swept = time.monotonic()
    while not _stopping.is_set():
        _wake.wait(SWEEP_SECONDS)
        _wake.clear()
        if _stopping.is_set():
            break
        tokens, everything = _take_woken()
        if time.monotonic() - swept >= SWEEP_SECONDS:
            everything = True
        try:
            _looks_never_wait()
            if everything:
                swept = time.monotonic()
                for pk in _pending_devices():
                    _submit(pk, pushed_only=True)
                for pk in _due_devices():
                    _submit(pk)
            elif tokens:
                for pk in _pending_devices(tokens):
                    _submit(pk, pushed_only=True)
        except OperationalError as error:
            if not isinstance(error.__cause__, LockNotAvailable):
                logger.exception("the virtual iPads' wake sweep failed")
            # Else a table is being locked whole (a TRUNCATE): the next look, a second later.
        except Exception:
            logger.exception("the virtual iPads' wake sweep failed")
        close_old_connections()  # kept between looks (CONN_MAX_AGE), replaced when broken
    connections.close_all()


def _close_pool_connections(pool: ThreadPoolExecutor) -> None:
    """Each pool thread closes the connections it keeps (a test database can then be dropped):
    one task per thread, held at a barrier until every thread has taken one."""
    barrier = threading.Barrier(WORKERS)

    def close() -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=10)
        connections.close_all()

    for _ in range(WORKERS):
        pool.submit(close)


def start() -> None:
    """Start the runner threads of this process (idempotent; the served mock starts it)."""
    global _runner, _pool
    with _started:
        if _runner is not None:
            return
        _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="ipad-session")
        _runner = threading.Thread(target=_loop, name="ipad-wake", daemon=True)
        _runner.start()


def stop() -> None:
    """Stop the runner threads (tests; a served mock just exits)."""
    global _runner, _pool
    with _started:
        if _runner is None or _pool is None:
            return
        _stopping.set()
        _wake.set()
        _runner.join(timeout=10)
        _close_pool_connections(_pool)
        _pool.shutdown(wait=True)
        _runner, _pool = None, None
        _stopping.clear()
