"""The portal under a busy class (issue 20, item 4): a Locust load test over gunicorn.

One file, two roles:
- run as a script, it seeds a scratch environment (never your databases), starts the portal
  under gunicorn as the README's production instructions say (`--workers 4`, DEBUG=False) on the
  loopback, runs Locust headless and bounded in time for each scenario, prints each request's
  p50/p95 and each scenario's p95 and errors, and stops gunicorn;
- Locust loads it as its locustfile (`-f benchmarks/portal_load.py`): the `Trainee` user.

A trainee's mix: the blades (home, Devices › Enrollment, the tokens, a token's devices, a serial
number search, the profiles, School Data Sync), half of them as htmx fragments, and the POSTs a
trainee makes (a sync request, a profile saved, a profile assigned to 100 devices). The portal
has 50,000 devices: in one tenant (one token), or spread over the tenants of a class of 30
(each trainee signs in to their own tenant, with their own token, profile and devices).

Scenarios: 8 users without think time (target p95 ≤ 150 ms), 30 users with ~2 s think time
(target p95 ≤ 80 ms), 0 errors; each for one tenant and for a class of 30 tenants.

    .venv/bin/python benchmarks/portal_load.py --database-url postgres://postgres@127.0.0.1:5432/asm_load_bench \\
        --redis-url redis://127.0.0.1:6379/9 --duration 60
    .venv/bin/python benchmarks/portal_load.py … --scenarios busy-1,class-30   # some of them

No worker runs: the sync and assignment requests are queued (their rows are the truth), as a
portal whose workers are busy would queue them; their POSTs are what is measured.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import random
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from locust import HttpUser, between, constant, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HTMX = {"HX-Request": "true"}
ACCOUNTS = "PORTAL_LOAD_ACCOUNTS"  # a JSON file: one account per trainee
THINK = "PORTAL_LOAD_THINK"  # seconds of think time, "0" for none
SAMPLES = "PORTAL_LOAD_SAMPLES"  # where every request's time is written when Locust stops
SIGN_IN = ("sign-in page", "sign in (POST)")  # once per user, before the mix: not in the scenario's p95
_samples: list[tuple[str, float, bool]] = []


def _sample(name: str, response_time: float, exception: Any, **_: Any) -> None:
    _samples.append((name, response_time, exception is not None))


def _write_samples(**_: Any) -> None:
    if os.environ.get(SAMPLES):
        Path(os.environ[SAMPLES]).write_text(json.dumps(_samples))


events.request.add_listener(_sample)  # type: ignore[no-untyped-call]
events.quitting.add_listener(_write_samples)  # type: ignore[no-untyped-call]


_next_account = itertools.count()
_lock = threading.Lock()


def _accounts() -> list[dict[str, Any]]:
    return list(json.loads(Path(os.environ[ACCOUNTS]).read_text()))


def _think() -> Any:
    seconds = float(os.environ.get(THINK, "0") or 0)
    return between(seconds * 0.5, seconds * 1.5) if seconds else constant(0)


class Trainee(HttpUser):
    """One trainee at the portal: signs in to their tenant, then the blade mix and the POSTs."""

    wait_time = _think()

    def on_start(self) -> None:
        with _lock:
            accounts = _accounts()
            self.account = accounts[next(_next_account) % len(accounts)]
        self.client.get("/signin/", name="sign-in page")
        response = self.client.post(
            "/signin/",
            data={
                "username": self.account["username"],
                "password": self.account["password"],
                "csrfmiddlewaretoken": self.client.cookies.get("asm_portal_csrftoken", ""),
            },
            headers={"Referer": f"{self.host}/signin/"},
            name="sign in (POST)",
        )
        assert "/signin/" not in response.url, "the sign-in was refused"

    def _blade(self, name: str, url: str) -> None:
        """Half the blades as a direct load (the whole shell), half as htmx navigation."""
        if random.random() < 0.5:
            self.client.get(url, name=name)
        else:
            joiner = "&" if "?" in url else "?"
            self.client.get(
                f"{url}{joiner}fragment=grid" if "devices/" in url else url,
                headers=HTMX,
                name=f"{name} (htmx)",
            )

    def _post(self, name: str, url: str, data: dict[str, Any]) -> None:
        with self.client.post(
            url,
            data={**data, "csrfmiddlewaretoken": self.client.cookies.get("asm_portal_csrftoken", "")},
            headers={"Referer": f"{self.host}{url}"},
            name=name,
            catch_response=True,
        ) as response:
            if response.status_code >= 400:
                response.failure(f"{response.status_code}")

    @task(3)
    def home(self) -> None:
        self._blade("home", "/")

    @task(2)
    def enrollment(self) -> None:
        self._blade("enrollment", "/enrollment/apple/")

    @task(3)
    def tokens(self) -> None:
        self._blade("tokens", "/enrollment/apple/tokens/")

    @task(4)
    def devices(self) -> None:
        self._blade("devices", f"/enrollment/apple/tokens/{self.account['token']}/devices/")

    @task(3)
    def devices_search(self) -> None:
        prefix = random.choice(self.account["serials"])[:6]
        self._blade("devices search", f"/enrollment/apple/tokens/{self.account['token']}/devices/?q={prefix}")

    @task(3)
    def profiles(self) -> None:
        self._blade("profiles", "/enrollment/apple/profiles/")

    @task(2)
    def sds(self) -> None:
        self._blade("SDS", "/sds/")

    @task(1)
    def sync(self) -> None:
        self._post(
            "sync request (POST)",
            f"/enrollment/apple/tokens/{self.account['token']}/devices/sync/request/",
            {},
        )

    @task(1)
    def profile_save(self) -> None:
        from tests.profiles.views.form_data import form_data

        self._post(
            "profile save (POST)",
            f"/enrollment/apple/profiles/{self.account['profile']}/properties/",
            form_data(name=self.account["profile_name"], description="Load test", user_affinity="without"),
        )

    @task(1)
    def assign(self) -> None:
        devices = random.sample(self.account["devices"], 100)
        self._post(
            "assign 100 devices (POST)",
            "/enrollment/apple/devices/assign/",
            {"device": devices, "profile": self.account["profile"]},
        )


# --- The runner ------------------------------------------------------------------------------------

SCENARIOS = {
    # name: (tenants, users, think seconds, p95 target in ms)
    "busy-1": (1, 8, 0.0, 150),
    "think-1": (1, 30, 2.0, 80),
    "busy-30": (30, 8, 0.0, 150),
    "think-30": (30, 30, 2.0, 80),
}


def seed(*, tenants: int, devices: int, password: str) -> list[dict[str, Any]]:
    """One tenant (the demo's Contoso and its users), or a class: `tenants` trainee tenants, each
    with its Intune administrator. Each has a token, three profiles and its share of the devices
    (written by SQL, as benchmarks/devices_blades.py does). Returns one account per tenant."""
    from django.contrib.auth.models import User

    from asm_portal import demo, roles
    from asm_portal.models import Tenant
    from asm_portal.tenancy import default_tenant, tenant_join

    if tenants == 1:
        demo.users_seed(password=password, tenant=default_tenant())
        user = User.objects.get(username="admin@contoso.onmicrosoft.com")
        return [_tenant_fill(default_tenant(), user, 0, devices, password)]
    accounts = []
    for number in range(1, tenants + 1):
        tenant = Tenant.objects.create(
            display_name=f"Trainee {number:02d}", initial_domain=f"trainee{number:02d}.onmicrosoft.com"
        )
        user = User.objects.create_user(f"admin@trainee{number:02d}.onmicrosoft.com", password=password)
        user.groups.set([demo.roles_seed()[roles.ADMINISTRATOR]])
        tenant_join(user=user, tenant=tenant)
        accounts.append(_tenant_fill(tenant, user, number, devices // tenants, password))
    return accounts


def _tenant_fill(tenant: Any, user: Any, number: int, devices: int, password: str) -> dict[str, Any]:
    from asm_portal.tenancy import tenant_scope
    from benchmarks.devices_blades import devices_write
    from devices.models import Device
    from tests.profiles.conftest import profile_create, token_create

    with tenant_scope(tenant):
        token = token_create(f"Lycée {number:02d} - Intune")
        profiles = [profile_create(token, name=f"Élèves {number:02d} {kind}") for kind in range(3)]
        devices_write(tokens=[token], per_token=devices, profiles={token.pk: [p.pk for p in profiles]})
        rows = list(Device.objects.filter(token=token).order_by("?").values_list("pk", "serial_number")[:500])
    return {
        "username": user.username,
        "password": password,
        "token": token.pk,
        "profile": profiles[0].pk,
        "profile_name": profiles[0].name,
        "devices": [pk for pk, _ in rows],
        "serials": [serial for _, serial in rows],
    }


def locust_run(
    *, host: str, users: int, think: float, seconds: int, accounts: Path, out: Path
) -> list[dict[str, str]]:
    """Locust headless, bounded in time; its per-request statistics (the CSV rows)."""
    subprocess.run(
        [
            str(Path(sys.executable).parent / "locust"),
            "-f",
            __file__,
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{seconds}s",
            "--host",
            host,
            "--csv",
            str(out),
            "--only-summary",
            "--stop-timeout",
            "10",
            "--loglevel",
            "WARNING",
        ],
        env={**os.environ, ACCOUNTS: str(accounts), THINK: str(think), SAMPLES: f"{out}_samples.json"},
        check=False,
        capture_output=True,
    )
    with Path(f"{out}_stats.csv").open() as stats:
        return list(csv.DictReader(stats))


def main() -> None:
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", default="", help="PostgreSQL (dropped and re-created); SQLite without"
    )
    parser.add_argument("--redis-url", default="", help="Redis for the cache (the broker: the next database)")
    parser.add_argument("--devices", type=int, default=50_000)
    parser.add_argument("--duration", type=int, default=60, help="seconds per scenario")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    options = parser.parse_args()

    from benchmarks.harness import PASSWORD, migrate_scratch, scratch_environment, serve

    scratch_environment("asm-load-bench-", database_url=options.database_url)
    if options.redis_url:
        base, _, number = options.redis_url.rpartition("/")
        os.environ.update({"REDIS_URL": options.redis_url, "CELERY_BROKER_URL": f"{base}/{int(number) + 1}"})
    migrate_scratch()

    import django

    django.setup()
    from django.db import connections

    chosen = [name for name in options.scenarios.split(",") if name in SCENARIOS]
    seeded: dict[int, Path] = {}
    folder = Path(tempfile.mkdtemp(prefix="asm-load-"))
    for tenants in sorted({SCENARIOS[name][0] for name in chosen}):
        # The single tenant's 50,000 devices, then the class's 50,000 over its 30 tenants.
        accounts = seed(tenants=tenants, devices=options.devices, password=PASSWORD)
        path = folder / f"accounts-{tenants}.json"
        path.write_text(json.dumps(accounts))
        seeded[tenants] = path
    connections.close_all()
    with connections["default"].cursor() as cursor:
        if connections["default"].vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
    connections.close_all()

    log = folder / "gunicorn.log"
    portal = serve(options.port, "portal", workers=4, threads=1, log=log)
    host = f"http://127.0.0.1:{options.port}"
    try:
        for name in chosen:
            tenants, users, think, target = SCENARIOS[name]
            rows = locust_run(
                host=host,
                users=users,
                think=think,
                seconds=options.duration,
                accounts=seeded[tenants],
                out=folder / name,
            )
            samples = json.loads(Path(f"{folder / name}_samples.json").read_text())
            report(name, rows, samples, tenants=tenants, users=users, think=think, target=target)
    finally:
        os.killpg(portal.pid, 15)
        portal.wait(timeout=30)
    print(f"\n(gunicorn's log and Locust's CSV files: {folder})")


def report(
    name: str,
    rows: list[dict[str, str]],
    samples: list[list[Any]],
    *,
    tenants: int,
    users: int,
    think: float,
    target: int,
) -> None:
    """Each request's p50/p95 (Locust's), then the scenario's: every request after sign-in."""
    from benchmarks.harness import percentile

    print(f"\n## {name}: {users} users, think {think:g} s, {tenants} tenant(s) — target p95 ≤ {target} ms")
    print(f"{'request':<40} {'count':>7} {'errors':>7} {'p50':>8} {'p95':>8}")
    for row in rows:
        if row["Name"] != "Aggregated":
            print(
                f"{row['Type'] + ' ' + row['Name']:<40} {row['Request Count']:>7} {row['Failure Count']:>7} "
                f"{row['50%']:>5} ms {row['95%']:>5} ms"
            )
    mix = [(time, failed) for label, time, failed in samples if label not in SIGN_IN]
    if not mix:
        print("no request after sign-in")
        return
    times = [time for time, _ in mix]
    errors = sum(1 for _, failed in mix if failed)
    p95 = percentile(times, 0.95)
    met = "met" if p95 <= target and not errors else "NOT met"
    rate = next((float(row["Requests/s"]) for row in rows if row["Name"] == "Aggregated"), 0.0)
    print(
        f"{'the mix (after sign-in)':<40} {len(mix):>7} {errors:>7} {percentile(times, 0.5):5.0f} ms "
        f"{p95:5.0f} ms   ({rate:.0f} req/s; {met})"
    )


if __name__ == "__main__":
    main()
