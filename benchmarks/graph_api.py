"""Benchmark of Microsoft Graph on the portal (issue 18), over real HTTP to gunicorn.

In a scratch environment (SQLite by default, or a scratch PostgreSQL database with
--database-url; the cache in Redis with --redis-url, else files), with one token of 200,000
devices, one profile and one ReadWrite application:
- the token endpoint (client credentials with a secret): median of --runs requests;
- a Graph GET of one enrollment profile: median of --runs requests;
- listing every importedAppleDeviceIdentity of the token in pages of 999 ($top=999, following
  @odata.nextLink), end to end.
Targets: token ≤ 20 ms median, profile GET ≤ 30 ms median, the 200,000-device listing ≤ 30 s.
The per-app request limit is raised for the run (GRAPH_RATE_LIMIT_REQUESTS): it would otherwise
answer 429 by design.

Usage:
    .venv/bin/python benchmarks/graph_api.py [--devices 200000] [--runs 200]
    .venv/bin/python benchmarks/graph_api.py --database-url postgres://postgres@127.0.0.1:5432/asm_graph_bench \\
        --redis-url redis://127.0.0.1:6379/6
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.harness import (  # noqa: E402
    act_for_default_tenant,
    migrate_scratch,
    percentile,
    scratch_environment,
    serve,
    timed,
)


def server_cpu_seconds(master: int) -> float:
    """CPU time (user + system) the gunicorn workers have used: what a request costs the server,
    whatever else the machine runs (a shared machine's load stretches the wall-clock figures)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for child in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def median_ms(label: str, runs: int, action: object, master: int) -> float:
    assert callable(action)
    for _ in range(10):  # warm up both gunicorn workers
        action()
    timings = []
    cpu = server_cpu_seconds(master)
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    cpu_ms = (server_cpu_seconds(master) - cpu) * 1000 / runs
    median = statistics.median(timings)
    print(
        f"  {label:<50} median {median:6.1f} ms   p95 {percentile(timings, 0.95):6.1f} ms"
        f"   server CPU {cpu_ms:5.1f} ms/request",
        flush=True,
    )
    return median


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument(
        "--database-url", default="", help="A scratch PostgreSQL database (dropped and re-created)."
    )
    parser.add_argument("--redis-url", default="", help="A Redis database for the cache (flushed).")
    parser.add_argument("--port", type=int, default=8150)
    options = parser.parse_args()

    base = f"http://127.0.0.1:{options.port}"
    scratch_environment(
        "graph-bench-",
        database_url=options.database_url,
        PORTAL_BASE_URL=base,
        GRAPH_RATE_LIMIT_REQUESTS="1000000",
    )
    if options.redis_url:
        import redis

        redis.Redis.from_url(options.redis_url).flushdb()
        os.environ["REDIS_URL"] = options.redis_url
    backend = ("PostgreSQL" if options.database_url else "SQLite") + (
        " + Redis cache" if options.redis_url else ""
    )
    timed("migrate, collectstatic", migrate_scratch)

    import django

    django.setup()
    import requests

    from graph import registrations
    from graph.actors import command_actor
    from tests.devices.conftest import devices_create
    from tests.profiles.conftest import profile_create, token_create

    act_for_default_tenant()
    token = token_create("Lycée Jean Moulin - Intune")

    def seed() -> None:
        for start in range(0, options.devices, 20_000):
            devices_create(token, min(20_000, options.devices - start), start=start)

    timed(f"{options.devices:,} devices", seed)
    profile = profile_create(token)
    from django.db import connection

    from devices.models import Device

    # A third of the devices have the profile; then the statistics autovacuum would gather after
    # a sync (without them PostgreSQL plans a 200,000-row table as an empty one).
    table = Device._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET assigned_profile_id = %s WHERE id %% 3 = 0", [profile.pk])
        cursor.execute(f"VACUUM ANALYZE {table}" if connection.vendor == "postgresql" else "ANALYZE")
    actor = command_actor("benchmark")
    app = registrations.app_create(actor=actor, display_name="Benchmark", permission="ReadWrite")
    registrations.app_consent_grant(actor=actor, app=app)
    secret = registrations.secret_add(actor=actor, app=app, description="benchmark", days=90).value
    from asm_portal.tenancy import require_tenant

    tenant_id = require_tenant().tenant_id

    portal = serve(options.port, "portal", workers=2)
    try:
        session = requests.Session()
        form = {
            "grant_type": "client_credentials",
            "client_id": str(app.client_id),
            "client_secret": secret,
            "scope": "https://graph.microsoft.com/.default",
        }
        token_url = f"{base}/{tenant_id}/oauth2/v2.0/token"

        def get_token() -> str:
            answer = session.post(token_url, data=form, timeout=30)
            assert answer.status_code == 200, answer.text
            return str(answer.json()["access_token"])

        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(
            f"Graph on the portal ({backend}, gunicorn 2 workers, {os.cpu_count()} cores, load average {load})"
        )
        token_median = median_ms(
            "token endpoint (client_credentials + secret)", options.runs, get_token, portal.pid
        )
        headers = {"Authorization": f"Bearer {get_token()}"}
        profile_url = f"{base}/beta/deviceManagement/depOnboardingSettings/{token.pk}/enrollmentProfiles/{profile.public_id}"

        def get_profile() -> None:
            answer = session.get(profile_url, headers=headers, timeout=30)
            assert answer.status_code == 200, answer.text

        profile_median = median_ms("GET one enrollmentProfile", options.runs, get_profile, portal.pid)

        def list_all() -> int:
            url: str | None = (
                f"{base}/beta/deviceManagement/depOnboardingSettings/{token.pk}/importedAppleDeviceIdentities?$top=999"
            )
            seen = 0
            while url:
                answer = session.get(url, headers=headers, timeout=60)
                assert answer.status_code == 200, answer.text
                body = answer.json()
                seen += len(body["value"])
                url = body.get("@odata.nextLink")
            return seen

        cpu = server_cpu_seconds(portal.pid)
        started = time.perf_counter()
        seen = list_all()
        listing = time.perf_counter() - started
        cpu_listing = server_cpu_seconds(portal.pid) - cpu
        pages = -(-seen // 999)
        print(
            f"  list {seen:,} importedAppleDeviceIdentities, {pages} pages of 999:"
            f" {listing:6.1f} s   server CPU {cpu_listing:5.1f} s"
        )
        assert seen == options.devices, seen
        print(
            "Targets: token ≤ 20 ms {}; profile GET ≤ 30 ms {}; listing ≤ 30 s {}".format(
                "met" if token_median <= 20 else "MISSED",
                "met" if profile_median <= 30 else "MISSED",
                "met" if listing <= 30 else "MISSED",
            )
        )
    finally:
        portal.terminate()
        portal.wait(timeout=30)


if __name__ == "__main__":
    main()
