"""Benchmark of the Devices blades at a million devices (issue 20, item 3).

Five tokens of 200,000 devices (Intune's per-token maximum) in one tenant, written by SQL
(`generate_series`, in serial numbers that do not follow the rows' order), not by a sync; a
realistic mix for the pills: a third assigned one of three profiles, one in seven enrolled,
Apple's profile statuses, names and contacts on the enrolled ones. Then, with Django's test
client in this process (sign-in cookie, templates, no network), p50 and p95 of each case of the
Devices blade across tokens and of one token's grid: the first page (full page and htmx), a
serial-number search, every filter pill, every sort, a page far in, the export's first row.

    .venv/bin/python benchmarks/devices_blades.py --database-url postgres://postgres@127.0.0.1:5432/asm_blades_bench
    .venv/bin/python benchmarks/devices_blades.py --database-url … --tokens 1 --per-token 50000 --runs 10
    .venv/bin/python benchmarks/devices_blades.py --database-url … --explain 2   # plans of the 2 slowest

The database is dropped and re-created (never yours). PostgreSQL only: the million rows are
written with PostgreSQL's generate_series.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.harness import PASSWORD, django_scratch, django_scratch_drop, percentile  # noqa: E402

HTMX = {"HX-Request": "true"}
STATES = ("notContacted", "enrolled", "pendingReset", "failed", "blocked", "unknown")
STATUSES = ("empty", "assigned", "pushed", "removed", "failed", "pending")


def devices_write(*, tokens: list[Any], per_token: int, profiles: dict[int, list[int]]) -> None:
    """`per_token` devices for each token, one INSERT … SELECT per token (the tally triggers fire
    once per statement). Serial numbers: a permutation of the row numbers (a prime modulus), so
    the serial-number order is not the table's order, as after a real sync; their first letter
    spreads every token over the whole range, as Apple's serial numbers are."""
    from django.db import connection

    from devices.models import Device

    modulus = next(
        n for n in range(per_token + 1, per_token * 2 + 3) if all(n % d for d in range(2, int(n**0.5) + 1))
    )
    table = Device._meta.db_table
    with connection.cursor() as cursor:
        for index, token in enumerate(tokens):
            p1, p2, p3 = profiles[token.pk]
            cursor.execute(
                f"""
                INSERT INTO {table} (
                    tenant_id, token_id, serial_number, model, description, color, asset_tag, os,
                    device_family, device_assigned_date, device_assigned_by, profile_status,
                    apple_profile_uuid, assigned_profile_id, profile_assigned_at, enrollment_state,
                    last_contacted_at, removed_by_apple, enrolled_user_name, device_name,
                    created_at, updated_at, udid, product, os_version, enrollment_error)
                SELECT %(tenant)s, %(token)s,
                    chr(65 + (g * 7 + %(index)s) %% 26) || chr(75 + %(index)s)
                        || lpad(((g::bigint * 7919) %% %(modulus)s)::text, 8, '0'),
                    (ARRAY['iPad Air', 'iPad Pro', 'iPad mini', 'iPad', 'MacBook Air'])[1 + g %% 5],
                    (ARRAY['IPAD AIR WI-FI 64GB', 'IPAD PRO 11-INCH', 'IPAD MINI 6', 'IPAD 10TH GEN'])[1 + g %% 4],
                    (ARRAY['SPACE GRAY', 'SILVER', 'BLUE', 'PINK', 'STARLIGHT'])[1 + g %% 5],
                    CASE WHEN g %% 4 = 0 THEN 'TAG-' || (g %% 9973)::text ELSE '' END,
                    (ARRAY['iOS', 'iPadOS', 'OSX'])[1 + g %% 3], 'iPad',
                    now() - (g %% 400) * interval '1 day', 'admin@contoso.edu',
                    CASE WHEN g %% 3 = 0 THEN (ARRAY['assigned', 'pushed'])[1 + g %% 2]
                         WHEN g %% 101 = 0 THEN 'removed' ELSE 'empty' END,
                    '',
                    CASE WHEN g %% 3 = 0 THEN (ARRAY[%(p1)s, %(p2)s, %(p3)s])[1 + g %% 9 / 3] END,
                    CASE WHEN g %% 3 = 0 THEN now() - (g %% 97) * interval '1 hour' END,
                    CASE WHEN g %% 7 = 0 THEN 'enrolled' WHEN g %% 53 = 0 THEN 'pendingReset'
                         WHEN g %% 59 = 0 THEN 'failed' ELSE 'notContacted' END,
                    CASE WHEN g %% 7 = 0 THEN now() - (g %% 5000) * interval '1 minute' END,
                    g %% 211 = 0,
                    CASE WHEN g %% 7 = 0 THEN 'eleve' || g::text || '@contoso.edu' ELSE '' END,
                    CASE WHEN g %% 7 = 0 THEN 'iPad de élève ' || g::text ELSE '' END,
                    now(), now(), '', '', '', ''
                FROM generate_series(1, %(count)s) AS g
                """,
                {
                    "tenant": token.tenant_id,
                    "token": token.pk,
                    "index": index,
                    "modulus": modulus,
                    "count": per_token,
                    "p1": p1,
                    "p2": p2,
                    "p3": p3,
                },
            )
            cursor.execute(
                f"UPDATE {table} SET removed_at = now() WHERE token_id = %s AND removed_by_apple", [token.pk]
            )
        cursor.execute(f"VACUUM ANALYZE {table}")


def cases(tokens: list[Any], profile_id: int, per_token: int) -> list[tuple[str, str, dict[str, str]]]:
    """(label, URL, headers): each case across tokens and in one token's grid."""
    from devices.selectors import SORTS

    across = "/enrollment/apple/devices/"
    one = f"/enrollment/apple/tokens/{tokens[0].pk}/devices/"
    far = max(1, per_token // 50 // 2)  # the middle of one token's pages
    found: list[tuple[str, str, dict[str, str]]] = []
    for scope, url in (("across tokens", across), ("one token", one)):
        grid = f"{url}?fragment=grid"
        found += [
            (f"{scope}: first page (full page)", url, {}),
            (f"{scope}: first page (htmx)", grid, HTMX),
            (f"{scope}: search by serial number (KK0012)", f"{grid}&q=KK0012", HTMX),
            (f"{scope}: search, a short prefix (K)", f"{grid}&q=K", HTMX),
            *[(f"{scope}: state {state}", f"{grid}&state={state}", HTMX) for state in STATES],
            *[
                (f"{scope}: profile status {status}", f"{grid}&profile_status={status}", HTMX)
                for status in STATUSES
            ],
            (f"{scope}: profile unassigned", f"{grid}&profile=none", HTMX),
            (f"{scope}: profile {profile_id}", f"{grid}&profile={profile_id}", HTMX),
            (f"{scope}: enrolled + unassigned + search", f"{grid}&state=enrolled&profile=none&q=KK1", HTMX),
            *[(f"{scope}: sort {key}", f"{grid}&sort={key}", HTMX) for key in SORTS if key != "serial"],
            *[
                (f"{scope}: sort {key} desc", f"{grid}&sort={key}&dir=desc", HTMX)
                for key in ("serial", "last_contacted")
            ],
            (f"{scope}: page {far:,}", f"{grid}&page={far}", HTMX),
            (f"{scope}: last page", f"{grid}&page=999999", HTMX),
            (f"{scope}: last page, sort model desc", f"{grid}&page=999999&sort=model&dir=desc", HTMX),
        ]
    found.append(("export: first row, across tokens", "/enrollment/apple/devices/export/", {}))
    found.append(
        ("export: first row, one token", f"/enrollment/apple/devices/export/?token={tokens[0].pk}", {})
    )
    found.append(("export: first row, unassigned", "/enrollment/apple/devices/export/?profile=none", {}))
    return [
        case for case in found if case[0].split(": ", 1)[0] != "across tokens" or "sort token" not in case[0]
    ] + [("across tokens: sort token", f"{across}?fragment=grid&sort=token", HTMX)]


def fetch(client: Any, url: str, headers: dict[str, str]) -> Callable[[], None]:
    def action() -> None:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.status_code)
        if response.streaming:
            # The export's first byte of data: the byte-order mark, the header, then one row.
            chunks = iter(response.streaming_content)
            for _ in range(3):
                next(chunks)
            response.close()

    return action


def timings(action: Callable[[], None], runs: int) -> list[float]:
    action()
    found = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        found.append((time.perf_counter() - started) * 1000)
    return found


def sql_time(client: Any, url: str, headers: dict[str, str]) -> tuple[float, str, str]:
    """The database's own time for a case, which the other engineers' load on the machine
    barely changes: each query the case runs, again under EXPLAIN (ANALYZE, BUFFERS); the sum of
    their execution times, and the slowest one's SQL and plan."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        fetch(client, url, headers)()
    total, slowest = 0.0, (-1.0, "", "")
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            took = sum(
                float(line.split(":")[1].split()[0])
                for line in plan.splitlines()
                if line.startswith(("Planning Time", "Execution Time"))
            )
            total += took
            if took > slowest[0]:
                slowest = (took, sql, plan)
    return total, slowest[1], slowest[2]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database, dropped and re-created")
    parser.add_argument("--tokens", type=int, default=5)
    parser.add_argument("--per-token", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--explain",
        type=int,
        default=0,
        help="print the plan of the slowest query of the N cases slowest in the database",
    )
    parser.add_argument("--only", default="", help="only the cases whose label contains this")
    parser.add_argument("--keep", action="store_true", help="keep the database (and reuse it with --reuse)")
    parser.add_argument("--reuse", action="store_true", help="the database of a --keep run, as it is")
    options = parser.parse_args()

    started = time.perf_counter()
    if options.reuse:
        import os

        import django

        os.environ["DATABASE_URL"] = options.database_url
        os.environ["DJANGO_SETTINGS_MODULE"] = "asm_portal.settings"
        os.environ.setdefault("DEBUG", "True")
        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.test.utils import setup_test_environment

        setup_test_environment()
        settings.ALLOWED_HOSTS = ["testserver"]
        call_command("migrate", verbosity=0)
    else:
        django_scratch("asm-blades-bench-", options.database_url)
    from django.contrib.auth.models import User
    from django.test import Client

    from asm_portal import demo
    from asm_portal.tenancy import default_tenant
    from benchmarks.harness import act_for_default_tenant
    from profiles.models import EnrollmentProfile
    from tests.profiles.conftest import (
        profile_create,  # noqa: I001
        token_create,
    )
    from tokens.models import EnrollmentProgramToken

    act_for_default_tenant()
    if options.reuse:
        tokens = list(EnrollmentProgramToken.objects.order_by("pk"))
    else:
        demo.users_seed(password=PASSWORD, tenant=default_tenant())
        tokens = [token_create(name=f"Lycée {number + 1} - Intune") for number in range(options.tokens)]
        profiles = {
            token.pk: [
                profile_create(token, name=f"{token.token_name} {kind}").pk
                for kind in ("Élèves", "Profs", "Salle")
            ]
            for token in tokens
        }
        devices_write(tokens=tokens, per_token=options.per_token, profiles=profiles)
        print(
            f"{options.tokens * options.per_token:,} devices in {options.tokens} token(s) written "
            f"in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
    profile_id = (
        EnrollmentProfile.objects.filter(token=tokens[0]).order_by("pk").values_list("pk", flat=True)[0]
    )
    client = Client()
    client.force_login(User.objects.get(username="admin@contoso.onmicrosoft.com"))

    results = []
    print(
        f"{'case':<58} {'p50':>8} {'p95':>8} {'SQL':>8}  (SQL: the queries' planning + execution, EXPLAIN ANALYZE)"
    )
    for label, url, headers in cases(tokens, profile_id, options.per_token):
        if options.only and options.only not in label:
            continue
        found = timings(fetch(client, url, headers), options.runs)
        p50, p95 = statistics.median(found), percentile(found, 0.95)
        database, sql, plan = sql_time(client, url, headers)
        results.append((database, label, url, sql, plan))
        mark = "" if p95 <= 150 else "   > 150 ms"
        print(f"{label:<58} {p50:6.1f} ms {p95:6.1f} ms {database:6.1f} ms{mark}", flush=True)
    results.sort(key=lambda result: result[0], reverse=True)
    print(f"\nslowest in the database: {', '.join(f'{r[1]} {r[0]:.1f} ms' for r in results[:5])}")
    for database, label, url, sql, plan in results[: options.explain]:
        print(f"\n-- {label} (SQL {database:.1f} ms): {url}\n{sql}\n\n{plan}")
    if not options.keep:
        django_scratch_drop()


if __name__ == "__main__":
    main()
