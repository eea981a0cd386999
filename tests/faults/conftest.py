"""The fault suite's machinery: each test gets its own Redis server (a free port, no
persistence: a restart loses every message, as an unconfigured Redis does) as broker and
cache, and its own Celery worker processes on it; the mock Apple service is served over HTTP.
Each test prints how long recovery took (the README's reliability table comes from these)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from kombu import pools as kombu_pools

from asm_portal.celery import app as celery_app
from devices.models import Device
from mock_apple.models import Device as AppleDevice
from tests.conftest import ARTIFACTS, REPO, free_port, subprocess_env, workers_stop
from tests.devices.conftest import AppleToken, dep_server, worker_env  # noqa: F401

TIMINGS = ARTIFACTS / "fault-timings.txt"


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def broker_url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/1"

    @property
    def cache_url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_timeout=0.5).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # as a crash: nothing saved, every message gone
            self.process.wait(timeout=10)
        self.process = None


def _point_the_portal_at(broker_url: str) -> None:
    """The test process sends its tasks to `broker_url` (the web side of the portal)."""
    celery_app.conf.broker_url = broker_url  # type: ignore[misc]
    # Celery keeps its connection and producer pools: drop them (kombu's registry too), the
    # next send opens new ones on the new URL.
    kombu_pools.reset()
    celery_app._pool = None  # type: ignore[attr-defined]
    celery_app.amqp._producer_pool = None  # type: ignore[attr-defined]


@pytest.fixture
def redis_server(monkeypatch) -> Iterator[RedisServer]:
    server = RedisServer(free_port())
    server.start()
    previous = celery_app.conf.broker_url
    _point_the_portal_at(server.broker_url)
    try:
        yield server
    finally:
        server.stop()
        _point_the_portal_at(previous)


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:] if self.log.exists() else "(no log)"

    def kill(self) -> None:
        """SIGKILL to the whole worker (its process group): no warm shutdown, no ack."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def _worker_as_deployed(queue: str, log_path: Path, *, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A worker started as the Procfile starts it (two pool children, no --without-gossip nor
    the other flags the other tests' workers have: the portal's own consumer must do without
    them), on `queue`, in its own process group; returns once it is ready."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "celery"), "-A", "asm_portal", "worker", "--loglevel=INFO"]
            + ["--concurrency=2", "-Q", queue],
            cwd=REPO,
            env={**env, "CELERY_TASK_DEFAULT_QUEUE": queue},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while b" ready." not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the worker did not start:\n{log_path.read_text(errors='replace')[-4000:]}")
        time.sleep(0.2)
    return process


@pytest.fixture
def fault_workers(
    transactional_db: None,
    redis_server: RedisServer,
    worker_env: str,  # noqa: F811
    monkeypatch,
) -> Iterator[Callable[..., Worker]]:
    """Real worker processes on the test's own Redis (broker and cache), on a private queue."""
    queue = f"asm-faults-{uuid.uuid4().hex[:8]}"
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    monkeypatch.setenv("CELERY_BROKER_URL", redis_server.broker_url)
    monkeypatch.setenv("REDIS_URL", redis_server.cache_url)
    started: list[Worker] = []
    ARTIFACTS.mkdir(exist_ok=True)

    def start(**env: str) -> Worker:
        log = ARTIFACTS / f"worker-{queue}-{len(started)}.log"
        process = _worker_as_deployed(queue, log, env=subprocess_env(**env))
        worker = Worker(process, log)
        started.append(worker)
        return worker

    yield start
    workers_stop(started)
    celery_app.conf.task_default_queue = "celery"


def timing(name: str, seconds: float, bound: float) -> None:
    """Print and keep how long a recovery took (pytest -s shows it; the file keeps it)."""
    line = f"{name}: {seconds:.1f} s (bound {bound:.0f} s)"
    print(line)
    ARTIFACTS.mkdir(exist_ok=True)
    with TIMINGS.open("a") as out:
        out.write(line + "\n")
    assert seconds <= bound, line


def devices_equal_apple(apple: AppleToken) -> None:
    """The portal's devices of the token and their profiles are Apple's (both databases)."""
    portal = {
        serial: (status, uuid_)
        for serial, status, uuid_ in Device.objects.filter(
            token=apple.token, removed_by_apple=False
        ).values_list("serial_number", "profile_status", "apple_profile_uuid")
    }
    at_apple = {
        serial: (status or "empty", uuid_ or "")
        for serial, status, uuid_ in AppleDevice.objects.filter(mdm_server=apple.server).values_list(
            "serial_number", "profile_status", "profile_uuid"
        )
    }
    assert portal == at_apple
