"""What every benchmark shares: a scratch environment, manage.py and gunicorn in child processes,
percentiles. Never your databases: SQLite in a temporary folder, or a PostgreSQL database that
is dropped and re-created."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "Bench-pass-123!"
T = TypeVar("T")


def postgres_create(url: str) -> None:
    """Drop and re-create the portal's database and the mock Apple's (`<name>_apple`)."""
    import psycopg  # only the PostgreSQL runs need it

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as connection:
        for database in (name, f"{name}_apple"):
            connection.execute(f'DROP DATABASE IF EXISTS "{database}"')
            connection.execute(f'CREATE DATABASE "{database}"')


def scratch_environment(
    prefix: str, *, database_url: str = "", apple_port: int | None = None, **extra: str
) -> dict[str, str]:
    """Point this process, and the manage.py and gunicorn children it starts, at a scratch
    environment: a temporary var folder (SQLite there), or the given PostgreSQL database
    dropped and re-created; a new encryption key; no Redis. `extra`: more settings of the
    benchmark; `apple_port`: where the portal finds the mock Apple service. Returns the
    environment, also applied to os.environ."""
    from cryptography.fernet import Fernet

    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.update(
        {
            "ASM_VAR_DIR": str(scratch),
            "DEBUG": "False",
            "SECRET_KEY": "benchmark-" + "x" * 40,
            "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "False",
            "SESSION_COOKIE_SECURE": "False",
            "CSRF_COOKIE_SECURE": "False",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "asm_portal.settings",
            **(
                {
                    "MOCK_APPLE_CONTROL_TOKEN": "bench-control",
                    "APPLE_BASE_URL": f"http://127.0.0.1:{apple_port}",
                }
                if apple_port
                else {}
            ),
            **extra,
        }
    )
    for name in ("APPLE_DATABASE_URL", "CELERY_BROKER_URL", "DATABASE_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    if database_url:
        postgres_create(database_url)
        os.environ["DATABASE_URL"] = database_url
    return dict(os.environ)


def manage(*args: str) -> str:
    """Run a manage.py command in a child process, in this process's environment."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=dict(os.environ),
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def migrate_scratch() -> None:
    """Migrate the scratch databases (the portal's and the mock Apple's) and collect the static
    files (DEBUG=False serves the manifest)."""
    manage("migrate_all", "-v0")
    manage("collectstatic", "--noinput", "-v0")


def serve(
    port: int, service: str, *, workers: int = 2, threads: int = 1, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """The portal or the mock Apple service under gunicorn, once it answers (`threads` > 1: the
    gthread worker, as a production portal would run; `log`: where its output goes)."""
    import requests

    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "asm_portal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            # Idle keep-alive connections live longer than a person's pause between two pages
            # (gunicorn's 2 s default races the clients' next request: a reset, not our error;
            # a deployment's proxy holds them longer still).
            "--keep-alive",
            "10",
        ],
        cwd=REPO,
        env={**os.environ, "ASM_SERVICE": service},
        stdout=log.open("ab") if log else subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
        start_new_session=True,
    )
    probe = f"http://127.0.0.1:{port}/health" if service == "apple" else f"http://127.0.0.1:{port}/signin/"
    for _ in range(150):
        try:
            if requests.get(probe, timeout=10).status_code < 500:
                return process
        except (requests.ConnectionError, requests.Timeout):  # not up yet, or a loaded machine
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"{service} did not start on port {port}")


def processes_stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Stop the servers and workers started in their own sessions: SIGTERM to each group, then
    SIGKILL to a group still there 30 s later (one already gone is stopped)."""
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(label: str, action: Callable[[], T]) -> T:
    started = time.perf_counter()
    value = action()
    print(f"  {label:<70} {time.perf_counter() - started:7.2f} s", flush=True)
    return value


__all__ = [
    "PASSWORD",
    "REPO",
    "manage",
    "migrate_scratch",
    "percentile",
    "postgres_create",
    "processes_stop",
    "scratch_environment",
    "serve",
    "timed",
]


_HELD_SCOPES: list[Any] = []


def act_for_default_tenant() -> None:
    """Benchmarks act for the demo's tenant, Contoso, for the rest of the run (after django.setup()
    and the migrations): they measure one tenant and span none."""
    from asm_portal.tenancy import default_tenant, tenant_scope

    # Kept referenced: a context manager left to the garbage collector would close the scope.
    _HELD_SCOPES.append(tenant_scope(default_tenant()))
    _HELD_SCOPES[-1].__enter__()


def measure(label: str, runs: int, action: Callable[[], object]) -> None:
    """Time `action` `runs` times after one warm-up; print its median and p95 in milliseconds."""
    import statistics

    action()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    print(f"{label:<58} median {statistics.median(timings):7.1f} ms   p95 {p95:7.1f} ms")


def django_scratch(prefix: str, database_url: str) -> None:
    """Django in this process over a scratch database, migrated: SQLite in a temporary folder, or
    the given PostgreSQL database dropped and re-created (`django_scratch_drop` drops it); the
    test client's host allowed. For benchmarks that time views with Django's test client."""
    os.environ["ASM_VAR_DIR"] = tempfile.mkdtemp(prefix=prefix)
    os.environ["DJANGO_SETTINGS_MODULE"] = "asm_portal.settings"
    os.environ.setdefault("DEBUG", "True")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    if database_url:
        connection = connections["default"]
        name = connection.settings_dict["NAME"]
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)


def django_scratch_drop() -> None:
    from django.db import connections

    connections.close_all()
    with connections["default"]._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{connections["default"].settings_dict["NAME"]}"')
