"""Benchmark of the mock Apple DEP API and of the ASM inventory pages at 200,000 devices.

Seeds a scratch database (never yours): an organisation of N devices, all assigned to one MDM
server, then serves the mock with gunicorn (2 workers, DEBUG=False) and measures over real HTTP:

- a fetch page of 1000 devices (POST /server/devices, limit 1000): median and p95;
- a full fetch walk of every device, then the switch to sync;
- the ASM inventory page (first page, next pages, serial search, MDM-server filter).

    .venv/bin/python benchmarks/mock_fetch.py                      # SQLite in a temporary folder
    .venv/bin/python benchmarks/mock_fetch.py --database-url postgres://postgres@127.0.0.1:5432/asm_mock_bench
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import requests
from requests_oauthlib import OAuth1

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import PASSWORD, manage, migrate_scratch, percentile, scratch_environment, serve  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=200_000)
    parser.add_argument(
        "--database-url", default="", help="A scratch PostgreSQL database (dropped and re-created)."
    )
    parser.add_argument("--port", type=int, default=8111)
    parser.add_argument("--repeat", type=int, default=50, help="Fetch pages timed for the median.")
    options = parser.parse_args()

    scratch_environment("mock-bench-", database_url=options.database_url)
    backend = "PostgreSQL" if options.database_url else "SQLite"

    started = time.perf_counter()
    migrate_scratch()
    manage("seed_apple", "--devices", str(options.devices), "--password", PASSWORD, "--seed", "1")
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    token = json.loads(manage("mock_apple_token", "Benchmark", "--assign", str(options.devices), "--json"))
    assigned = time.perf_counter() - started

    base = f"http://127.0.0.1:{options.port}"
    server = serve(options.port, "apple")
    try:
        results = measure(base, token, options.repeat)
    finally:
        server.terminate()
        server.wait(timeout=20)

    print(
        f"\n## Mock Apple benchmark: {options.devices:,} devices, {backend}, gunicorn 2 workers, {os.cpu_count()} cores\n"
    )
    print(
        f"- seeding the inventory: {seeded:.1f} s; assigning every device to one MDM server (with its sync events): {assigned:.1f} s"
    )
    for name, value in results.items():
        print(f"- {name}: {value}")


def measure(base: str, token: dict[str, str], repeat: int) -> dict[str, str]:
    http = requests.Session()
    http.headers.update({"User-Agent": "mock-benchmark/1", "X-Server-Protocol-Version": "7"})
    auth = OAuth1(
        token["consumer_key"], token["consumer_secret"], token["access_token"], token["access_secret"]
    )
    opened = http.get(f"{base}/session", auth=auth, timeout=10)
    assert opened.status_code == 200, (opened.status_code, opened.text[:500])
    http.headers["X-ADM-Auth-Session"] = opened.json()["auth_session_token"]

    # Full walk: every page of 1000, then the first sync.
    started = time.perf_counter()
    page_times: list[float] = []
    body: dict[str, object] = {"limit": 1000}
    count = 0
    cursors: list[str] = []
    while True:
        t0 = time.perf_counter()
        response = http.post(f"{base}/server/devices", json=body, timeout=30)
        page_times.append(time.perf_counter() - t0)
        page = response.json()
        count += len(page["devices"])
        cursors.append(page["cursor"])
        if not page["more_to_follow"]:
            break
        body = {"limit": 1000, "cursor": page["cursor"]}
    walk = time.perf_counter() - started
    sync = http.post(f"{base}/devices/sync", json={"cursor": cursors[-1]}, timeout=30)
    assert sync.status_code == 200, sync.text

    # One page served again and again (a mid-walk cursor is idempotent).
    middle = cursors[len(cursors) // 2]
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = http.post(f"{base}/server/devices", json={"limit": 1000, "cursor": middle}, timeout=30)
        samples.append(time.perf_counter() - t0)
        assert len(response.json()["devices"]) == 1000

    inventory = inventory_times(base)
    return {
        "fetch page of 1000 devices": f"median {statistics.median(samples) * 1000:.1f} ms, p95 {percentile(samples, 0.95) * 1000:.1f} ms ({repeat} requests)",
        "full fetch walk": f"{count:,} devices in {len(page_times)} pages, {walk:.2f} s (page median {statistics.median(page_times) * 1000:.1f} ms)",
        **inventory,
    }


def inventory_times(base: str) -> dict[str, str]:
    http = requests.Session()
    http.get(f"{base}/asm/signin/", timeout=10)
    csrf = http.cookies.get("apple_csrftoken", "")
    http.post(
        f"{base}/asm/signin/",
        data={"apple_id": "admin@appleid.contoso.edu", "password": PASSWORD, "csrfmiddlewaretoken": csrf},
        headers={"Referer": f"{base}/asm/signin/"},
        timeout=10,
    )
    results = {}
    cases = {
        "ASM inventory, first page": "/asm/devices/",
        "ASM inventory, serial search (htmx fragment)": "/asm/devices/?fragment=grid&q=B7",
        "ASM inventory, unassigned filter": "/asm/devices/?server=none",
        "ASM inventory, a page far in (keyset)": "/asm/devices/?after=Z",
    }
    for name, path in cases.items():
        samples = []
        for _ in range(20):
            t0 = time.perf_counter()
            response = http.get(f"{base}{path}", timeout=30)
            samples.append(time.perf_counter() - t0)
            assert response.status_code == 200, (path, response.status_code)
        results[name] = (
            f"median {statistics.median(samples) * 1000:.1f} ms, p95 {percentile(samples, 0.95) * 1000:.1f} ms"
        )
    return results


if __name__ == "__main__":
    main()
