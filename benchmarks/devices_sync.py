"""Benchmark of the device sync, the devices grid and profile assignment at 200,000 devices.

Everything runs as in production, in a scratch environment (never your databases): the mock
Apple service and the portal served by gunicorn (2 workers each, DEBUG=False), a real Celery
worker process (prefork, concurrency 1) fed through the broker, and this script as the client.

Measured:
- full sync of N devices (Intune's per-token maximum is 200,000), end to end: from the request
  (a token upload's first sync) to the run's success, and the worker's peak memory (RSS of the
  process that ran the task, and of the whole worker);
- a delta sync of 1,000 changes (500 new devices, 500 released in Apple School Manager);
- the devices grid over HTTP, median and p95: first page (full blade and htmx grid), serial-number
  search, filter pills, a sort, across tokens;
- a profile assignment of 1,000 devices (defined on Apple, one POST /profile/devices), end to end.

    .venv/bin/python benchmarks/devices_sync.py                                   # SQLite, SQLite broker
    .venv/bin/python benchmarks/devices_sync.py \\
        --database-url postgres://postgres@127.0.0.1:5432/asm_devices_bench \\
        --redis-url redis://127.0.0.1:6379/8                                      # PostgreSQL, Redis

`--redis-url` takes a Redis database number for the cache (flushed); the broker uses the next one,
with a queue of this run's own.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import (  # noqa: E402
    PASSWORD,
    REPO,
    act_for_default_tenant,
    manage,
    percentile,
    scratch_environment,
    serve,
)


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class MemoryWatch:
    """Samples the worker's memory every 50 ms: the task's process and the whole worker."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_child = 0
        self.peak_total = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            kids = children(self.pid)
            child = max((rss_kib(k) for k in kids), default=0)
            self.peak_child = max(self.peak_child, child, *(rss_kib(k, "VmHWM") for k in kids))
            self.peak_total = max(self.peak_total, rss_kib(self.pid) + sum(rss_kib(k) for k in kids))
            time.sleep(0.05)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def wait_finished(model: Any, pk: int, active: tuple[str, ...], timeout: float = 300) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = model.objects.get(pk=pk)
        if row.state not in active:
            return row
        time.sleep(0.02)
    raise TimeoutError(f"{model.__name__} {pk} did not finish in {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=200_000)
    parser.add_argument(
        "--database-url", default="", help="A scratch PostgreSQL database (dropped and re-created)."
    )
    parser.add_argument(
        "--redis-url", default="", help="A Redis database number for the cache (broker: the next)."
    )
    parser.add_argument("--portal-port", type=int, default=8140)
    parser.add_argument("--apple-port", type=int, default=8141)
    parser.add_argument("--runs", type=int, default=40, help="Requests per grid measure.")
    parser.add_argument(
        "--explain", action="store_true", help="Print PostgreSQL's plans of the grid queries."
    )
    parser.add_argument(
        "--profile-sync",
        action="store_true",
        help="Run the full sync in this process under cProfile, and stop.",
    )
    options = parser.parse_args()

    scratch_environment(
        "devices-bench-",
        database_url=options.database_url,
        apple_port=options.apple_port,
        PORTAL_BASE_URL=f"http://127.0.0.1:{options.portal_port}",
    )
    if options.redis_url:
        os.environ["REDIS_URL"] = options.redis_url
        import redis

        client = redis.Redis.from_url(options.redis_url)
        client.flushdb()
        # The broker (the next database) may be shared: this run's tasks go to a queue of its own
        # instead of flushing it.
        os.environ["CELERY_TASK_DEFAULT_QUEUE"] = f"devices-bench-{os.getpid()}"
    backend = ("PostgreSQL" if options.database_url else "SQLite") + (
        " + Redis broker" if options.redis_url else " + SQLite broker"
    )

    started = time.perf_counter()
    manage("migrate_all", "-v0")
    manage("collectstatic", "--noinput", "-v0")
    extra = 1_000
    manage("seed_apple", "--devices", str(options.devices + extra), "--password", PASSWORD, "--seed", "1")
    credentials = json.loads(
        manage("mock_apple_token", "Lycée Jean Moulin - Intune", "--assign", str(options.devices), "--json")
    )
    print(
        f"Scratch environment ready in {time.perf_counter() - started:.0f} s ({backend}, {os.cpu_count()} cores)"
    )

    import django

    django.setup()
    from django.db import connections, transaction

    from asm_portal import demo
    from asm_portal.tenancy import default_tenant
    from devices import selectors, sync_requests, tasks
    from devices.assignment import profile_assign
    from devices.models import Device, EnrollmentState, ProfileAssignment, SyncRun
    from profiles.models import EnrollmentProfile
    from tests.profiles.conftest import profile_create, token_create

    act_for_default_tenant()
    demo.users_seed(password=PASSWORD, tenant=default_tenant())
    from django.contrib.auth.models import User

    admin = User.objects.get(username="admin@contoso.onmicrosoft.com")
    token = token_create("Lycée Jean Moulin - Intune", credentials=credentials)

    processes: list[subprocess.Popen[bytes]] = []
    results: list[str] = []
    try:
        processes.append(serve(options.apple_port, "apple"))
        worker = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "celery"),
                "-A",
                "asm_portal",
                "worker",
                "--loglevel=WARNING",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=REPO,
            env=dict(os.environ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        processes.append(worker)
        processes.append(serve(options.portal_port, "portal"))
        if options.profile_sync:
            profile_sync(token, tasks, SyncRun)
            return
        time.sleep(3)  # the worker connects to the broker
        # --- Full sync ---------------------------------------------------------------
        with MemoryWatch(worker.pid) as memory:
            t0 = time.perf_counter()
            with transaction.atomic():
                run = sync_requests.sync_queue(token=token, trigger=SyncRun.Trigger.TOKEN_UPLOAD)
            assert run is not None
            run = wait_finished(SyncRun, run.pk, SyncRun.ACTIVE_STATES, timeout=600)
            full = time.perf_counter() - t0
        assert run.state == "succeeded", run.error_code
        assert Device.objects.count() == options.devices, Device.objects.count()
        in_worker = (run.finished_at - run.started_at).total_seconds()
        results.append(
            f"| Full sync of {options.devices:,} devices, end to end (request → success) | **{full:.1f} s** "
            f"({in_worker:.1f} s in the worker, {run.pages} pages, {options.devices / full * 60:,.0f} devices/min) |"
        )
        results.append(
            f"| Worker peak memory during the full sync | **{memory.peak_child / 1024:.0f} MB** (the task's process), "
            f"{memory.peak_total / 1024:.0f} MB (the whole worker) |"
        )

        # --- Delta sync of 1,000 changes -------------------------------------------------
        from mock_apple.models import Device as AppleDevice
        from mock_apple.models import MdmServer
        from mock_apple.services import assignments

        server = MdmServer.objects.get(name="Lycée Jean Moulin - Intune")
        assignments.devices_assign_unassigned(server=server, count=500)
        released = list(
            AppleDevice.objects.filter(mdm_server=server).order_by("id").values_list("pk", flat=True)[:500]
        )
        assignments.devices_unassign(actor=None, organization=server.organization, device_ids=released)
        t0 = time.perf_counter()
        with transaction.atomic():
            delta = sync_requests.sync_queue(token=token, trigger=SyncRun.Trigger.AUTOMATIC)
        assert delta is not None and delta.kind == "delta"
        delta = wait_finished(SyncRun, delta.pk, SyncRun.ACTIVE_STATES)
        elapsed = time.perf_counter() - t0
        assert (delta.added, delta.removed) == (500, 500), (delta.added, delta.removed, delta.error_code)
        in_worker = (delta.finished_at - delta.started_at).total_seconds()
        results.append(
            f"| Delta sync of 1,000 changes (500 added, 500 released), end to end | **{elapsed * 1000:.0f} ms** "
            f"({in_worker * 1000:.0f} ms in the worker) |"
        )

        # --- The grid ---------------------------------------------------------------------
        varied(token, Device, EnrollmentState, EnrollmentProfile, profile_create)
        results += grid(options, token, admin)
        if options.explain and options.database_url:
            explain(token, selectors)

        # --- Assignment of 1,000 devices ------------------------------------------------------
        profile = profile_create(token, name="Chariot CM2")
        serials = list(
            Device.objects.filter(token=token, assigned_profile__isnull=True, removed_by_apple=False)
            .order_by("serial_number")
            .values_list("serial_number", flat=True)[:1000]
        )
        t0 = time.perf_counter()
        with transaction.atomic():
            assignment = profile_assign(actor=admin, profile=profile, serials=serials)
        assignment = wait_finished(ProfileAssignment, assignment.pk, ProfileAssignment.ACTIVE_STATES)
        elapsed = time.perf_counter() - t0
        assert assignment.state == "succeeded" and assignment.succeeded == 1000, assignment.error_code
        results.append(
            f"| Assignment of 1,000 devices (profile defined on Apple, one POST /profile/devices), end to end "
            f"| **{elapsed * 1000:.0f} ms** |"
        )
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        connections.close_all()

    print(f"\n## Devices benchmark: {options.devices:,} devices, {backend}, {os.cpu_count()} cores\n")
    print("| Measure | Result |\n| --- | --- |")
    for line in results:
        print(line)


def profile_sync(token: Any, tasks: Any, SyncRun: Any) -> None:
    import cProfile
    import pstats

    from django.db import transaction

    with transaction.atomic():
        run = SyncRun.objects.create(
            token=token,
            kind="full",
            trigger="manual",
            requested_at=__import__("asm_portal").clock.now(),
            deadline_at=__import__("asm_portal").clock.now() + __import__("datetime").timedelta(hours=1),
        )
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    profiler.enable()
    tasks.sync_run(run_id=run.pk)
    profiler.disable()
    print(f"in-process full sync: {time.perf_counter() - t0:.1f} s", SyncRun.objects.get(pk=run.pk).state)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def varied(
    token: Any, Device: Any, EnrollmentState: Any, EnrollmentProfile: Any, profile_create: Any
) -> None:
    """A realistic mix for the filters: a third assigned a profile, one in seven enrolled."""
    from django.db import connection

    profile = profile_create(token, name="Élèves")
    table = Device._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET assigned_profile_id = %s, profile_status = 'assigned' WHERE id %% 3 = 0",
            [profile.pk],
        )
        cursor.execute(
            f"UPDATE {table} SET enrollment_state = %s WHERE id %% 7 = 0", [EnrollmentState.ENROLLED]
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"VACUUM ANALYZE {table}")
        else:
            cursor.execute("ANALYZE")


def grid(options: Any, token: Any, admin: Any) -> list[str]:
    import requests

    base = f"http://127.0.0.1:{options.portal_port}"
    http = requests.Session()
    http.get(f"{base}/signin/", timeout=10)
    http.post(
        f"{base}/signin/",
        data={
            "username": admin.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": http.cookies.get("asm_portal_csrftoken", ""),
        },
        headers={"Referer": f"{base}/signin/"},
        timeout=10,
    )
    devices = f"/enrollment/apple/tokens/{token.pk}/devices/"
    htmx = {"HX-Request": "true"}
    cases = [
        ("Devices blade, first page (full page, with the total count)", devices, {}),
        ("Devices grid, first page (htmx fragment)", f"{devices}?fragment=grid", htmx),
        ("Search by serial number (prefix, htmx)", f"{devices}?fragment=grid&q=C7", htmx),
        ("Filter: state Enrolled (htmx)", f"{devices}?fragment=grid&state=enrolled", htmx),
        ("Filter: profile status Assigned (htmx)", f"{devices}?fragment=grid&profile_status=assigned", htmx),
        ("Filter: unassigned devices (htmx)", f"{devices}?fragment=grid&profile=none", htmx),
        (
            "Filter + search: enrolled, serial prefix (htmx)",
            f"{devices}?fragment=grid&state=enrolled&q=D",
            htmx,
        ),
        (
            "Sort by last contacted, descending (htmx)",
            f"{devices}?fragment=grid&sort=last_contacted&dir=desc",
            htmx,
        ),
        ("Across tokens (Enrollment program devices), first page", "/enrollment/apple/devices/", {}),
        ("A page far in (page 2,000)", f"{devices}?fragment=grid&page=2000", htmx),
    ]
    lines = []
    for name, path, headers in cases:
        for _ in range(3):  # warm up both gunicorn workers and the database's caches
            http.get(f"{base}{path}", headers=headers, timeout=30)
        samples = []
        for _ in range(options.runs):
            t0 = time.perf_counter()
            response = http.get(f"{base}{path}", headers=headers, timeout=30)
            samples.append(time.perf_counter() - t0)
            assert response.status_code == 200 and "Showing" in response.text, (path, response.status_code)
        lines.append(
            f"| {name} | median {statistics.median(samples) * 1000:.0f} ms, **p95 {percentile(samples, 0.95) * 1000:.0f} ms** |"
        )
    return lines


def explain(token: Any, selectors: Any) -> None:
    """PostgreSQL's plans of the grid's page and count queries (indexes, no sequential scans)."""
    from django.db import connection

    for query in (
        {},
        {"state": "enrolled"},
        {"profile": "none"},
        {"q": "C7"},
        {"profile_status": "assigned"},
    ):
        filters = selectors.DeviceFilters.from_query(query)
        queryset = selectors.devices_filtered(filters=filters, token=token)
        page = selectors.devices_for_grid(queryset, filters)[:50]
        for label, sql, params in (
            ("page", *page.query.sql_with_params()),
            ("count", *queryset.values("id").query.sql_with_params()),
        ):
            with connection.cursor() as cursor:
                if label == "count":
                    sql = f"SELECT COUNT(*) FROM ({sql}) AS counted"
                cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}", params)
                plan = "\n    ".join(row[0] for row in cursor.fetchall())
            print(f"\n-- {query or 'first page'} ({label}):\n    {plan}")


if __name__ == "__main__":
    main()
