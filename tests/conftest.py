"""Shared fixtures: the cast of users, htmx headers, and real processes for integration tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connections
from django.test import Client

from asm_portal import demo, roles
from asm_portal.celery import app as celery_app
from asm_portal.models import Tenant
from asm_portal.tenancy import default_tenant, tenant_join, tenant_scope

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
PASSWORD = "Correct-Horse-42!"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _eager_celery() -> Iterator[None]:
    """Unit tests run tasks inline; integration tests switch this off (see `celery_worker`)."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the default language: a French request activates French for the
    rest of the thread (LocaleMiddleware never deactivates), which leaked into later tests."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _tenant_scope(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that uses the database acts for the default tenant, Contoso, as the demo does:
    rows it creates belong to it and its queries see only it. Tests of isolation open other
    tenants' scopes themselves."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is not None and marker.kwargs.get("transaction") or "transactional_db" in names:
        request.getfixturevalue("transactional_db")
    elif marker is not None or "db" in names:
        request.getfixturevalue("db")
        with tenant_scope(default_tenant()):
            yield
        _device_tallies_check()
        return
    else:
        yield
        return
    with tenant_scope(default_tenant()):
        yield


def _device_tallies_check() -> None:
    """After every test in a rolled-back transaction: the device totals the triggers keep
    (devices.counts) equal a recount, whatever the test wrote and however. One small query;
    it makes every writer of devices in the suite a test of the totals."""
    from django.db import connection

    from devices.counts import tally_differences

    if connection.needs_rollback or not connection.in_atomic_block:
        return  # a test that broke its transaction on purpose: nothing readable to compare
    assert not tally_differences(), "the device tallies differ from a recount"


def make_user(username: str, *role_names: str, tenant: Tenant | None = None) -> User:
    groups = demo.roles_seed()
    user = User.objects.create_user(username=username, email=username, password=PASSWORD)
    user.groups.set([groups[name] for name in role_names])
    tenant_join(user=user, tenant=tenant or default_tenant())
    return user


@pytest.fixture
def admin_user(db: None) -> User:
    return make_user("admin@contoso.onmicrosoft.com", roles.ADMINISTRATOR)


@pytest.fixture
def operator_user(db: None) -> User:
    return make_user("operator@contoso.onmicrosoft.com", roles.READ_ONLY_OPERATOR)


@pytest.fixture
def admin_client(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def operator_client(operator_user: User) -> Client:
    client = Client()
    client.force_login(operator_user)
    return client


# --- Real processes -----------------------------------------------------------------------


def database_url(alias: str) -> str:
    """The URL of the (test) database behind `alias`, for a subprocess to use the same rows."""
    conf = connections[alias].settings_dict
    if conf["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{conf['NAME']}"
    auth = conf["USER"] or ""
    if conf.get("PASSWORD"):
        auth += f":{conf['PASSWORD']}"
    host = conf["HOST"] or "127.0.0.1"
    port = conf["PORT"] or 5432
    return f"postgres://{auth}@{host}:{port}/{conf['NAME']}"


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": database_url("default"),
        "APPLE_DATABASE_URL": database_url("apple"),
        "DJANGO_SETTINGS_MODULE": "asm_portal.settings",
        "PYTHONUNBUFFERED": "1",
        # A served process closes its connection after each request: the threaded development
        # server would otherwise keep one per request thread, and a long suite runs out of them.
        "DATABASE_CONN_MAX_AGE": "0",
    }
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def apple_service(
    port: int, *, host: str = "127.0.0.1", threading: bool = True, quiet: bool = True, **env: str
) -> Iterator[str]:
    """The mock Apple service in its own process on `port`, over the test databases; yields its
    base URL (on `host`) once it answers, stops it afterwards. `env` adds to its environment."""
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "runserver",
            f"127.0.0.1:{port}",
            "--noreload",
            *([] if threading else ["--nothreading"]),
        ],
        cwd=REPO,
        env=subprocess_env(ASM_SERVICE="apple", **env),
        stdout=subprocess.DEVNULL if quiet else None,
        stderr=subprocess.DEVNULL if quiet else None,
    )
    base_url = f"http://{host}:{port}"
    try:
        wait_for_http(f"{base_url}/health", process)
        yield base_url
    finally:
        stop(process)


@pytest.fixture
def apple_server(transactional_db: None, django_db_blocker: Any) -> Iterator[str]:
    """The mock Apple service in its own process, on its own port, over the test databases."""
    with apple_service(free_port(), threading=False, quiet=False) as base_url:
        yield base_url


def worker_log(queue: str) -> str:
    """The output of the worker fixture's process, for assertion messages."""
    path = ARTIFACTS / f"worker-{queue}.log"
    return path.read_text(errors="replace")[-4000:] if path.exists() else "(no worker log)"


def celery_worker_start(
    queue: str, log_path: Path, *, env: dict[str, str], own_session: bool = False
) -> subprocess.Popen[bytes]:
    """A real worker process consuming `queue`, its output in `log_path`; returns once it is
    ready. `own_session` puts it in a process group of its own (so a test can kill it whole)."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery",
                "-A",
                "asm_portal",
                "worker",
                "--loglevel=INFO",
                "--concurrency=1",
                "-Q",
                queue,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=REPO,
            # Tasks the worker itself queues (a sync after an import, a retry) stay on its queue.
            env={**env, "CELERY_TASK_DEFAULT_QUEUE": queue},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=own_session,
        )
    deadline = time.monotonic() + 60
    while b" ready." not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(
                f"the Celery worker did not start:\n{log_path.read_text(errors='replace')[-4000:]}"
            )
        time.sleep(0.2)
    return process


@pytest.fixture
def celery_worker(transactional_db: None) -> Iterator[str]:
    """A real worker process on the configured broker, on a queue of its own.

    Yields the queue name once the worker says it is ready; its output goes to
    test-artifacts/worker-<queue>.log (see `worker_log`).
    """
    queue = f"asm-test-{uuid.uuid4().hex[:8]}"
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    ARTIFACTS.mkdir(exist_ok=True)
    # The worker calls Apple where the test points the portal (a served mock, often).
    process = celery_worker_start(
        queue, ARTIFACTS / f"worker-{queue}.log", env=subprocess_env(APPLE_BASE_URL=settings.APPLE_BASE_URL)
    )
    try:
        yield queue
    finally:
        stop(process)
        celery_app.conf.task_default_queue = "celery"


def broker_is_redis() -> bool:
    return str(settings.CELERY_BROKER_URL).startswith("redis")


def workers_stop(workers: list[Any]) -> None:
    """Stop the worker processes a fixture started in their own process groups (TERM, then KILL)."""
    for worker in workers:
        if worker.process.poll() is None:
            os.killpg(worker.process.pid, signal.SIGTERM)
            try:
                worker.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()


def dead_owner() -> str:
    """A lease owner as `asm_portal.jobs.worker_id` writes it, of a process of this host that
    has ended (and been reaped): what a pool child killed mid-job leaves on its row."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    return f"{socket.gethostname()}:{gone.pid}:dead"


def live_owner() -> str:
    """A lease owner that is alive: this test process."""
    return f"{socket.gethostname()}:{os.getpid()}:live"
