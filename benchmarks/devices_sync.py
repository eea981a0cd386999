"""Benchmark of the device sync, the devices grid and profile assignment at 200,000 devices.

Everything runs as in production, in a scratch environment (never your databases): the mock
Apple service and the portal served by gunicorn (2 workers each, DEBUG=False), real Celery
worker processes (prefork, concurrency 1) fed through the broker, and this script as the client.

Measured (the default mode):
- the walk of the token's cursor (`POST /server/devices` page by page, then the change feed):
  what the sync cannot beat, with the same client and page size as the sync, writing nothing,
  before and after the sync; then `sync/walk ratio`, the sync's time over the walks' mean;
- full sync of N devices (Intune's per-token maximum is 200,000), end to end: from the request
  (a token upload's first sync) to the run's success, and the worker's peak memory (RSS of the
  process that ran the task, and of the whole worker);
- a delta sync of 1,000 changes (500 new devices, 500 released in Apple School Manager);
- the devices grid over HTTP, median and p95: first page (full blade and htmx grid), serial-number
  search, filter pills, a sort, across tokens;
- a profile assignment of 1,000 devices (defined on Apple, one POST /profile/devices), end to end.

`--scale` measures how the sync grows instead: full syncs of 10,000, 50,000 and 200,000 devices,
then 1,000,000 (five tokens of 200,000 in one tenant, one after another), time per device and the
worker's memory for each; then the five tokens again, all at once on two worker processes, every
run's task delivered twice: the wall time against one after another, and the runs per token.

    .venv/bin/python benchmarks/devices_sync.py                                   # SQLite, SQLite broker
    .venv/bin/python benchmarks/devices_sync.py \\
        --database-url postgres://postgres@127.0.0.1:5432/asm_devices_bench \\
        --redis-url redis://127.0.0.1:6379/8                                      # PostgreSQL, Redis
    .venv/bin/python benchmarks/devices_sync.py --scale --database-url … --redis-url …

`--redis-url` takes a Redis database number for the cache (flushed); the broker uses the next one,
with a queue of this run's own.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import (  # noqa: E402
    PASSWORD,
    REPO,
    act_for_default_tenant,
    manage,
    migrate_scratch,
    percentile,
    processes_stop,
    scratch_environment,
    serve,
)

MB = 1024  # KiB in a MiB: /proc says KiB

# The portal's gunicorn output (its tracebacks when DEBUG is off): a failed request says where.
PORTAL_LOG = Path(__file__).resolve().parent.parent / "var" / "devices_sync-portal.log"


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
    """Samples the workers' memory every 50 ms: the task processes (the largest) and the whole
    workers. Each task process's peak (VmHWM) is reset first, so that a measure after another
    one starts from the process's memory of now, not the earlier measure's peak."""

    def __init__(self, *pids: int) -> None:
        self.pids = pids
        self.peak_child = 0
        self.peak_total = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        for kid in self._kids():
            with contextlib.suppress(OSError):
                Path(f"/proc/{kid}/clear_refs").write_text("5")  # resets VmHWM to VmRSS

    def _kids(self) -> list[int]:
        return [kid for pid in self.pids for kid in children(pid)]

    def _run(self) -> None:
        while not self._stop.is_set():
            kids = self._kids()
            child = max((max(rss_kib(k), rss_kib(k, "VmHWM")) for k in kids), default=0)
            self.peak_child = max(self.peak_child, child)
            total = sum(rss_kib(pid) for pid in self.pids) + sum(rss_kib(k) for k in kids)
            self.peak_total = max(self.peak_total, total)
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


def worker_start(name: str) -> subprocess.Popen[bytes]:
    """A Celery worker as production runs it (prefork, one task process)."""
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "asm_portal",
            "worker",
            "--loglevel=WARNING",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            f"{name}@%h",
        ],
        cwd=REPO,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def walk(token: Any) -> float:
    """Walk the token's cursor as the sync does (the same client, the same page size, then the
    change feed from the walk's last cursor), writing nothing: the seconds it took."""
    from django.conf import settings

    from tokens.services import token_dep_client

    client = token_dep_client(token=token)
    started = time.perf_counter()
    cursor = ""
    while True:
        page = client.fetch_devices(cursor=cursor, limit=settings.SYNC_PAGE_SIZE)
        cursor = page.cursor
        if not page.more_to_follow:
            break
    client.sync_devices(cursor=cursor, limit=settings.SYNC_PAGE_SIZE)
    return time.perf_counter() - started


@dataclass
class Synced:
    seconds: float  # end to end: the request to the run's success
    in_worker: float  # the run's start to its end, in the worker
    pages: int
    peak_child_kib: int  # the task process's peak RSS
    peak_total_kib: int


def full_sync(token: Any, workers: list[subprocess.Popen[bytes]], devices: int) -> Synced:
    """The token's first sync (as a token upload asks for it), in the worker, to its success."""
    from django.db import transaction

    from devices import sync_requests
    from devices.models import Device, SyncRun

    with MemoryWatch(*(worker.pid for worker in workers)) as memory:
        started = time.perf_counter()
        with transaction.atomic():
            run = sync_requests.sync_queue(token=token, trigger=SyncRun.Trigger.TOKEN_UPLOAD)
        assert run is not None
        run = wait_finished(SyncRun, run.pk, SyncRun.ACTIVE_STATES, timeout=1200)
        seconds = time.perf_counter() - started
    assert run.state == "succeeded", run.error_code
    assert run.kind == SyncRun.Kind.FULL and run.added == devices, (run.kind, run.added)
    assert Device.objects.filter(token=token).count() == devices
    return Synced(
        seconds,
        (run.finished_at - run.started_at).total_seconds(),
        run.pages,
        memory.peak_child,
        memory.peak_total,
    )


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
    parser.add_argument(
        "--scale",
        action="store_true",
        help="How the sync grows: 10,000 to 1,000,000 devices, and five tokens at once on two workers.",
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
    servers = SCALE_SERVERS if options.scale else [("Lycée Jean Moulin - Intune", options.devices)]

    started = time.perf_counter()
    migrate_scratch()
    extra = 1_000
    total = sum(count for _, count in servers)
    manage("seed_apple", "--devices", str(total + extra), "--password", PASSWORD, "--seed", "1")
    credentials = {
        name: json.loads(manage("mock_apple_token", name, "--assign", str(count), "--json"))
        for name, count in servers
    }
    print(
        f"Scratch environment ready in {time.perf_counter() - started:.0f} s ({backend}, {os.cpu_count()} cores)",
        flush=True,
    )

    import django

    django.setup()
    from django.db import connections

    from asm_portal import demo
    from asm_portal.tenancy import default_tenant
    from tests.profiles.conftest import token_create

    act_for_default_tenant()
    demo.users_seed(password=PASSWORD, tenant=default_tenant())
    tokens = {name: token_create(name, credentials=credentials[name]) for name, _ in servers}

    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(serve(options.apple_port, "apple"))
        worker = worker_start("first")
        processes.append(worker)
        if options.scale:
            second = worker_start("second")
            processes.append(second)
            time.sleep(3)  # the workers connect to the broker
            title, results = "Sync growth", scale(tokens, [worker, second])
        else:
            PORTAL_LOG.parent.mkdir(exist_ok=True)
            processes.append(serve(options.portal_port, "portal", log=PORTAL_LOG))
            token = tokens[servers[0][0]]
            if options.profile_sync:
                from devices import tasks
                from devices.models import SyncRun

                profile_sync(token, tasks, SyncRun)
                return
            time.sleep(3)  # the worker connects to the broker
            title, results = "Devices benchmark", default_measures(options, token, worker)
    finally:
        processes_stop(processes)
        connections.close_all()

    print(
        f"\n## {title}: {options.devices if not options.scale else total:,} devices, {backend}, {os.cpu_count()} cores\n"
    )
    for line in results:
        print(line)


def default_measures(options: Any, token: Any, worker: subprocess.Popen[bytes]) -> list[str]:
    from django.contrib.auth.models import User
    from django.db import transaction

    from devices import selectors, sync_requests
    from devices.assignment import profile_assign
    from devices.models import Device, EnrollmentState, ProfileAssignment, SyncRun
    from profiles.models import EnrollmentProfile
    from tests.profiles.conftest import profile_create

    admin = User.objects.get(username="admin@contoso.onmicrosoft.com")
    results = ["| Measure | Result |", "| --- | --- |"]
    # --- The walk, the full sync, the walk again ------------------------------------------
    walks = [walk(token)]
    print(f"walk of the cursor (before the sync): {walks[0]:.2f} s", flush=True)
    synced = full_sync(token, [worker], options.devices)
    print(f"full sync: {synced.seconds:.2f} s ({synced.in_worker:.2f} s in the worker)", flush=True)
    walks.append(walk(token))
    print(f"walk of the cursor (after the sync): {walks[1]:.2f} s", flush=True)
    ratio = synced.seconds / statistics.mean(walks)
    print(f"sync/walk ratio: {ratio:.2f}", flush=True)
    print(f"worker task process peak RSS: {synced.peak_child_kib / MB:.0f} MB", flush=True)
    results += [
        f"| Walk of the token's cursor, same client and page size, writing nothing (before, after the sync) "
        f"| **{walks[0]:.2f} s**, {walks[1]:.2f} s |",
        f"| Full sync of {options.devices:,} devices, end to end (request → success) | **{synced.seconds:.2f} s** "
        f"({synced.in_worker:.2f} s in the worker, {synced.pages} pages, "
        f"{options.devices / synced.seconds * 60:,.0f} devices/min) |",
        f"| sync/walk ratio (the sync over the walks' mean) | **{ratio:.2f}** |",
        f"| Worker peak memory during the full sync | **{synced.peak_child_kib / MB:.0f} MB** (the task's process), "
        f"{synced.peak_total_kib / MB:.0f} MB (the whole worker) |",
    ]

    # --- Delta sync of 1,000 changes -------------------------------------------------
    from mock_apple.models import Device as AppleDevice
    from mock_apple.models import MdmServer
    from mock_apple.services import assignments

    server = MdmServer.objects.get(name=token.token_name)
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
    return results


# --- How the sync grows ---------------------------------------------------------------------

# One organisation, one tenant: a token of 10,000, one of 50,000, five of 200,000 (Intune's
# per-token maximum; together the million).
BIG = 200_000
SCALE_SERVERS = [("Collège 10k", 10_000), ("Lycée 50k", 50_000)] + [
    (f"Cité scolaire {index} (200k)", BIG) for index in range(1, 6)
]


def scale(tokens: dict[str, Any], workers: list[subprocess.Popen[bytes]]) -> list[str]:
    """Full syncs of growing size (the first worker only: the second one idles), then the five
    big tokens at once on both workers."""
    rows: list[tuple[str, float, float, int, float]] = []  # size, walk, sync, peak KiB, in worker
    for name, count in SCALE_SERVERS[:3]:
        walked = walk(tokens[name])
        synced = full_sync(tokens[name], workers, count)
        print(f"{count:>9,} devices: walk {walked:.2f} s, sync {synced.seconds:.2f} s", flush=True)
        rows.append((f"{count:,}", walked, synced.seconds, synced.peak_child_kib, synced.in_worker))
    # The million: the first big token was the 200,000 row; the four others follow it.
    big = [tokens[name] for name, count in SCALE_SERVERS if count == BIG]
    walked, seconds, in_worker, peak = rows[-1][1], rows[-1][2], rows[-1][4], rows[-1][3]
    for token in big[1:]:
        walked += walk(token)
        synced = full_sync(token, workers, BIG)
        print(f"  {token.token_name}: sync {synced.seconds:.2f} s", flush=True)
        seconds, in_worker = seconds + synced.seconds, in_worker + synced.in_worker
        peak = max(peak, synced.peak_child_kib)
    rows.append(
        (
            f"{BIG * len(big):,} ({len(big)} tokens of {BIG:,}, one after another)",
            walked,
            seconds,
            peak,
            in_worker,
        )
    )

    reference = rows[2][2] / BIG
    lines = [
        "| Devices | Walk | Full sync, end to end | Per device | vs 200,000 | sync/walk | Task process peak RSS |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for size, walked, seconds, peak, _ in rows:
        count = int(size.split()[0].replace(",", ""))
        per_device = seconds / count
        lines.append(
            f"| {size} | {walked:.1f} s | **{seconds:.1f} s** | {per_device * 1e6:.0f} µs "
            f"| {(per_device / reference - 1) * 100:+.0f} % | {seconds / walked:.2f} | {peak / MB:.0f} MB |"
        )
    lines += ["", *at_once(big, workers, sequential=rows[-1][2])]
    return lines


def at_once(tokens: list[Any], workers: list[subprocess.Popen[bytes]], *, sequential: float) -> list[str]:
    """The big tokens again, every one a first sync again, all requested at once; every run's
    task is delivered twice (as a redelivery would): the per-token lease lets one through."""
    from django.db import connection, transaction

    from devices import sync_requests, tasks
    from devices.models import Device, SyncRun, TokenSyncState

    ids = [token.pk for token in tokens]
    # Back to no device (a first sync again): the rows go (one DELETE: the ORM would load a
    # million of them first), the space is reclaimed for the next.
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {Device._meta.db_table} WHERE token_id IN ({', '.join(['%s'] * len(ids))})", ids
        )
    SyncRun.objects.filter(token_id__in=ids).delete()
    TokenSyncState.objects.filter(token_id__in=ids).delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {Device._meta.db_table}")
    with MemoryWatch(*(worker.pid for worker in workers)) as memory:
        started = time.perf_counter()
        runs = []
        with transaction.atomic():
            for token in tokens:
                run = sync_requests.sync_queue(token=token, trigger=SyncRun.Trigger.TOKEN_UPLOAD)
                assert run is not None
                runs.append(run)
                # Right behind it, a second delivery of the same run (a redelivered message, a
                # reconciler's resend): the other worker gets it while the first one runs.
                transaction.on_commit(partial(tasks.sync_run_enqueue, run_id=run.pk))
        finished = [wait_finished(SyncRun, run.pk, SyncRun.ACTIVE_STATES, timeout=1800) for run in runs]
        wall = time.perf_counter() - started
    per_token = {
        token.token_name: (
            SyncRun.objects.filter(token=token).count(),
            Device.objects.filter(token=token).count(),
        )
        for token in tokens
    }
    assert all(run.state == "succeeded" and run.attempts == 1 for run in finished), [
        (run.state, run.attempts, run.error_code) for run in finished
    ]
    assert all(per_token[token.token_name] == (1, BIG) for token in tokens), per_token
    total = BIG * len(tokens)
    return [
        f"| {len(tokens)} tokens of {BIG:,} ({total:,} devices) | Wall time | Per device |",
        "| --- | --- | --- |",
        f"| One after another, one worker | {sequential:.1f} s | {sequential / total * 1e6:.0f} µs |",
        f"| All at once, two worker processes (each run's task sent twice) | **{wall:.1f} s** "
        f"({sequential / wall:.2f}× faster) | {wall / total * 1e6:.0f} µs |",
        "",
        f"Runs per token: {', '.join(str(runs) for runs, _ in per_token.values())} (each taken once: "
        f"attempts {', '.join(str(run.attempts) for run in finished)}); devices per token: "
        f"{', '.join(f'{devices:,}' for _, devices in per_token.values())}; the task processes' peak RSS "
        f"{memory.peak_child / MB:.0f} MB.",
    ]


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
            assert response.status_code == 200 and "Showing" in response.text, (
                path,
                response.status_code,
                f"the portal's log: {PORTAL_LOG}",
            )
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
