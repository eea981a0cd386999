"""Benchmark of the classroom at scale (issue 14): creating a class, a class at work, the board.

Everything runs as in production, in a scratch environment (never your databases): the mock
Apple service (gunicorn, 2 workers) and the portal (gunicorn, 3 workers x 2 threads), both with
DEBUG=False, and a Celery worker (prefork, concurrency 2) fed through the broker (Redis with
--redis-url, else the embedded SQLite broker). This script is the trainer and the trainees.

1. Class creation: the trainer POSTs the Create class form (--trainees on *Token ready*); timed
   from the POST until every trainee is ready (their tenant, Intune administrator, Apple School
   Manager organisation and administrator, and the preset on both sides, built by the worker).
2. Load: every trainee of that class, at once, one thread each with its own `requests` sessions,
   does the article's steps over real HTTP with the accounts of the class's sheet:
   sign in, home, the tokens list, Add token, download the public key (.pem); in the mock's
   Apple School Manager (the trainee's own ASM account, through its pages) add an MDM server
   with that key, download its server token (.p7m), assign the preset's second order to it;
   back in the portal upload the token (the worker syncs it), allow School Data Sync, the Sync
   blade and a sync request (the worker syncs again), the devices grid, create a profile, assign
   it to devices (the worker asks Apple), and open a device. Pages that poll (the sync panel,
   the assignment) are polled every 2 s as the browser does. Every page is timed, and searched
   for the other trainees' distinctive names (their Intune and Apple domains, ASM organisation
   name, MDM server, token and profile names): one found is a cross-tenant read.
3. The class board: GET of the board fragment (what the page polls) and of the whole page, over
   the loaded class and over a class of --board-trainees (created by the worker, also timed).

    .venv/bin/python -m benchmarks.classroom                                              # SQLite
    .venv/bin/python -m benchmarks.classroom --database-url postgres://postgres@127.0.0.1:5432/bench_classroom \\
        --redis-url redis://127.0.0.1:6379/9                                               # PostgreSQL + Redis

`--redis-url` takes a Redis database number for the cache; the broker uses the next one.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import (  # noqa: E402
    PASSWORD,
    REPO,
    manage,
    migrate_scratch,
    percentile,
    processes_stop,
    scratch_environment,
    serve,
)
from tests.profiles.views.form_data import form_data  # noqa: E402

HTMX = {"HX-Request": "true"}
TIMEOUT = 120
POLL_SECONDS = 2.0  # the sync panel and the assignment poll every 2 s


# --- Timings and checks --------------------------------------------------------------------------


@dataclass
class Sample:
    trainee: int
    side: str  # "portal" or "apple"
    label: str
    seconds: float
    status: int


@dataclass
class Recorder:
    """Every page of every trainee, the errors and the cross-tenant reads found."""

    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    durations: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)

    def leak(self, text: str) -> None:
        with self.lock:
            self.leaks.append(text)

    def duration(self, label: str, seconds: float) -> None:
        with self.lock:
            self.durations[label].append(seconds)


@dataclass(frozen=True)
class Account:
    number: int
    intune_upn: str
    intune_password: str
    asm_apple_id: str
    asm_password: str
    needles: tuple[str, ...]  # what only this trainee's pages may show


class StepFailed(Exception):
    pass


def _csrf(session: Any, cookie: str) -> str:
    return str(session.cookies.get(cookie, ""))


class Trainee:
    """One trainee at work: a portal session and an Apple School Manager session."""

    def __init__(
        self,
        account: Account,
        others: list[Account],
        portal: str,
        apple: str,
        recorder: Recorder,
        think: float,
    ) -> None:
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util import Retry

        self.account = account
        self.others = others
        self.portal_url = portal
        self.apple_url = apple
        self.recorder = recorder
        self.think = think
        self.portal = requests.Session()
        self.apple = requests.Session()
        for session in (self.portal, self.apple):
            # gunicorn closes a keep-alive connection idle for 2 s, the poll's period: a GET sent
            # on it as it closes is reset, and a browser sends it again. So does the trainee
            # (GETs only, once).
            session.mount("http://", HTTPAdapter(max_retries=Retry(total=1, allowed_methods=["GET"])))
        # The trainee's own names its pages showed: proof that the search for the others' could
        # find them if they were there.
        self.seen: set[str] = set()

    # Every request goes through here: timed, its status checked, its page searched.
    def request(
        self,
        side: str,
        label: str,
        method: str,
        path: str,
        *,
        expect: tuple[int, ...] = (200,),
        contains: str = "",
        think: bool = True,
        **kwargs: Any,
    ) -> Any:
        if think and self.think:
            # A person reads the page and clicks: 0.5 to 1.5 times --think seconds.
            time.sleep(random.uniform(0.5, 1.5) * self.think)  # noqa: S311
        session, base = (self.portal, self.portal_url) if side == "portal" else (self.apple, self.apple_url)
        started = time.perf_counter()
        try:
            response = session.request(method, base + path, allow_redirects=False, timeout=TIMEOUT, **kwargs)
        except Exception as error:  # a refused connection or a timeout is an error like a 500
            self.recorder.error(f"trainee {self.account.number}: {label}: {error!r}")
            raise StepFailed(label) from error
        elapsed = time.perf_counter() - started
        self.recorder.add(Sample(self.account.number, side, label, elapsed, response.status_code))
        if response.status_code not in expect or (contains and contains not in response.text):
            self.recorder.error(
                f"trainee {self.account.number}: {label}: {method} {path} -> {response.status_code}"
                + (f" (no {contains!r})" if contains and response.status_code in expect else "")
                + f" {_banner(response.text)}"
            )
            raise StepFailed(label)
        if response.headers.get("Content-Type", "").startswith("text/html"):
            text = html.unescape(response.text)
            self.seen.update(needle for needle in self.account.needles if needle in text)
            for other in self.others:
                for needle in other.needles:
                    if needle in text:
                        self.recorder.leak(
                            f"trainee {self.account.number} saw {needle!r} of trainee {other.number} on {path}"
                        )
        return response

    def portal_post(self, label: str, path: str, data: dict[str, Any], **kwargs: Any) -> Any:
        token = _csrf(self.portal, "asm_portal_csrftoken")
        return self.request(
            "portal",
            label,
            "POST",
            path,
            data={**data, "csrfmiddlewaretoken": token},
            headers={"Referer": self.portal_url + path, **kwargs.pop("headers", {})},
            **kwargs,
        )

    def apple_post(self, label: str, path: str, data: dict[str, Any], **kwargs: Any) -> Any:
        token = _csrf(self.apple, "apple_csrftoken")
        return self.request(
            "apple",
            label,
            "POST",
            path,
            data={**data, "csrfmiddlewaretoken": token},
            headers={"Referer": self.apple_url + path},
            **kwargs,
        )

    def poll(self, label: str, path: str, *, done: str, timeout: float = 180) -> float:
        """GET the polled fragment every 2 s, as the page does, until it stops asking
        (no hx-trigger) with `done` in it; returns the seconds it took."""
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            response = self.request("portal", label, "GET", path, headers=HTMX, think=False)
            if "hx-trigger" not in response.text:
                if done not in response.text:
                    self.recorder.error(f"trainee {self.account.number}: {label}: ended without {done!r}")
                    raise StepFailed(label)
                return time.perf_counter() - started
            time.sleep(POLL_SECONDS)
        self.recorder.error(f"trainee {self.account.number}: {label}: not done after {timeout} s")
        raise StepFailed(label)

    # --- The article's steps -------------------------------------------------------------------

    # Pages reached by a redirect (after a POST) come at once: think=False.
    def run(self, start: threading.Barrier, arrival: float = 0.0) -> None:
        start.wait()
        # A class does not press Enter in the same second: --arrivals spreads the first page.
        time.sleep(arrival)
        started = time.perf_counter()
        try:
            self.steps()
        except StepFailed:
            return
        self.recorder.duration("all steps", time.perf_counter() - started)
        self.recorder.duration("own names seen on own pages (of 4)", len(self.seen))

    def steps(self) -> None:
        me = self.account
        server = f"Server T{me.number:02d} {me.needles[0]}"
        profile = f"Profile T{me.number:02d} {me.needles[0]}"

        # Sign in, home, the tokens list, Add token and the public key.
        self.request("portal", "Sign-in page", "GET", "/signin/")
        self.portal_post(
            "Sign in (POST)",
            "/signin/",
            {"username": me.intune_upn, "password": me.intune_password},
            expect=(302,),
        )
        self.request("portal", "Home", "GET", "/", contains=me.intune_upn, think=False)
        self.request("portal", "Enrollment program tokens", "GET", "/enrollment/apple/tokens/")
        self.request("portal", "Add token blade", "GET", "/enrollment/apple/tokens/add/")
        pem = self.portal_post(
            "Download the public key (.pem)",
            "/enrollment/apple/tokens/add/public-key/",
            {"consent": "on"},
            contains="BEGIN CERTIFICATE",
        ).content

        # Apple School Manager, with the trainee's own account.
        self.request("apple", "ASM sign-in page", "GET", "/asm/signin/")
        landing = self.apple_post(
            "ASM sign in (POST)",
            "/asm/signin/",
            {"apple_id": me.asm_apple_id, "password": me.asm_password},
            expect=(302,),
        ).headers["Location"]
        if "/asm/terms/" in landing:
            self.request("apple", "ASM terms", "GET", "/asm/terms/")
            self.apple_post("ASM accept the terms (POST)", "/asm/terms/", {}, expect=(302,))
        self.request("apple", "ASM devices", "GET", "/asm/devices/")
        self.request("apple", "ASM MDM servers", "GET", "/asm/mdm-servers/")
        self.request("apple", "ASM add MDM server", "GET", "/asm/mdm-servers/add/")
        location = self.apple_post(
            "ASM add MDM server (POST)",
            "/asm/mdm-servers/add/",
            {"name": server},
            files={"certificate": ("IntunePublicKey.pem", pem, "application/x-pem-file")},
            expect=(302,),
        ).headers["Location"]
        server_path = urlsplit(location).path
        server_uuid = server_path.rstrip("/").rsplit("/", 1)[-1]
        self.request("apple", "ASM MDM server", "GET", server_path, contains=server, think=False)
        p7m = self.apple_post(
            "ASM download the server token (POST)", f"{server_path}token/", {}, contains=""
        ).content
        self.request("apple", "ASM device assignments", "GET", "/asm/assignments/")
        self.apple_post(
            "ASM assign an order to the server (POST)",
            "/asm/assignments/",
            {"choose_by": "order", "order_number": "MX20250002", "action": "assign", "server": server_uuid},
            expect=(302,),
        )
        self.request("apple", "ASM device assignments", "GET", "/asm/assignments/", contains=server)

        # Upload the token: Intune syncs it at once (the worker).
        uploaded = time.perf_counter()
        location = self.portal_post(
            "Upload the token (POST)",
            "/enrollment/apple/tokens/add/",
            {"apple_id": me.asm_apple_id},
            files={"token": ("server.p7m", p7m, "application/pkcs7-mime")},
            expect=(302,),
        ).headers["Location"]
        token_path = urlsplit(location).path
        token_id = int(token_path.rstrip("/").rsplit("/", 1)[-1])
        self.request("portal", "Token blade", "GET", token_path, contains=server, think=False)
        tokens = f"/enrollment/apple/tokens/{token_id}"
        self.request("portal", "Sync blade", "GET", f"{tokens}/devices/sync/")
        self.poll("Sync panel (polled)", f"{tokens}/devices/sync/status/", done="The last sync succeeded")
        self.recorder.duration("upload → its sync succeeded (worker)", time.perf_counter() - uploaded)

        # School Data Sync may use the token.
        self.request("portal", "School Data Sync blade", "GET", f"{tokens}/school-data-sync/")
        self.portal_post(
            "Allow School Data Sync (POST)",
            f"{tokens}/school-data-sync/save/",
            {"sharing": "allow", "replace": "on"},
            expect=(302,),
        )

        # A sync request (new serial numbers only): the worker again.
        requested = time.perf_counter()
        self.portal_post("Request a sync (POST)", f"{tokens}/devices/sync/request/", {}, expect=(302,))
        self.poll("Sync panel (polled)", f"{tokens}/devices/sync/status/", done="The last sync succeeded")
        self.recorder.duration("sync request → success (worker)", time.perf_counter() - requested)

        # The devices grid, a profile, the assignment.
        self.request("portal", "Token's devices blade", "GET", f"{tokens}/devices/")
        grid = self.request(
            "portal", "Devices grid (htmx)", "GET", f"{tokens}/devices/?fragment=grid", headers=HTMX
        )
        devices = re.findall(r'name="device" value="(\d+)"', grid.text)[:5]
        if len(devices) < 5:
            self.recorder.error(f"trainee {me.number}: only {len(devices)} devices in the grid")
            raise StepFailed("devices")
        self.request("portal", "Token's profiles blade", "GET", f"{tokens}/profiles/")
        self.request("portal", "Create profile blade", "GET", f"{tokens}/profiles/create/")
        location = self.portal_post(
            "Create a profile (POST)",
            f"{tokens}/profiles/create/",
            _profile_form(profile),
            expect=(302,),
        ).headers["Location"]
        self.request("portal", "Profile blade", "GET", urlsplit(location).path, contains=profile, think=False)
        assign = "/enrollment/apple/devices/assign/"
        pane = self.request(
            "portal", "Assign profile pane (htmx)", "GET", assign, params={"device": devices}, headers=HTMX
        )
        profile_id = re.search(r'name="profile" value="(\d+)"', pane.text)
        assert profile_id is not None, "the pane lists the token's profile"
        assigning = time.perf_counter()
        location = self.portal_post(
            "Assign the profile (POST)",
            assign,
            {"device": devices, "profile": profile_id.group(1)},
            expect=(302,),
        ).headers["Location"]
        result = urlsplit(location).path
        self.request("portal", "Assignment blade", "GET", result, think=False)
        self.poll(
            "Assignment status (polled)", f"{result}?fragment=status", done="The profile was assigned to"
        )
        self.recorder.duration("assignment → done (worker)", time.perf_counter() - assigning)
        self.request("portal", "Device blade", "GET", f"/enrollment/apple/devices/{devices[0]}/")
        self.request(
            "portal", "Enrollment program tokens", "GET", "/enrollment/apple/tokens/", contains=server
        )


def _profile_form(name: str) -> dict[str, str]:
    """What the Create profile form posts (as tests/profiles/views/form_data.py): 1:1, no user
    affinity, every Setup Assistant screen shown."""
    return form_data(name=name, description="Benchmark", user_affinity="without")


def _banner(text: str) -> str:
    """The first error message of a page, to say why a step failed."""
    found = re.search(
        r'class="[^"]*(?:errorlist|banner-error|infobox-error)[^"]*"[^>]*>(.{0,300})', text, re.S
    )
    return re.sub(r"<[^>]+>|\s+", " ", found.group(1)).strip()[:200] if found else ""


# --- Processes ----------------------------------------------------------------------------------


def worker_start(log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "celery"),
                "-A",
                "asm_portal",
                "worker",
                "--loglevel=WARNING",
                "--concurrency=2",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=REPO,
            env=dict(os.environ),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process


def signed_in(base: str, username: str) -> Any:
    import requests

    session = requests.Session()
    session.get(f"{base}/signin/", timeout=TIMEOUT)
    response = session.post(
        f"{base}/signin/",
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": _csrf(session, "asm_portal_csrftoken"),
        },
        headers={"Referer": f"{base}/signin/"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 302, response.status_code
    return session


# --- The three measures -------------------------------------------------------------------------


def class_create(trainer: Any, base: str, name: str, trainees: int) -> tuple[Any, float]:
    """POST the Create class form; wait until every trainee is built. Returns the class, seconds."""
    from trainer.models import Classroom, Trainee

    trainer.get(f"{base}/trainer/classroom/add/", timeout=TIMEOUT)
    started = time.perf_counter()
    response = trainer.post(
        f"{base}/trainer/classroom/add/",
        data={
            "name": name,
            "trainees": trainees,
            "preset": "token-ready",
            "language": "en",
            "csrfmiddlewaretoken": _csrf(trainer, "asm_portal_csrftoken"),
        },
        headers={"Referer": f"{base}/trainer/classroom/add/"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 302, (response.status_code, _banner(response.text))
    classroom = Classroom.objects.get(name=name)
    while True:
        classroom.refresh_from_db()
        if classroom.state != Classroom.State.CREATING:
            break
        if time.perf_counter() - started > 900:
            raise TimeoutError(f"the class {name} is not built after 900 s")
        time.sleep(0.1)
    elapsed = time.perf_counter() - started
    states = list(Trainee.objects.filter(classroom=classroom).values_list("state", "error"))
    failed = [error for state, error in states if state != Trainee.State.READY]
    assert not failed, failed
    return classroom, elapsed


def accounts_of(classroom: Any) -> list[Account]:
    from trainer.models import Trainee

    accounts = []
    for trainee in Trainee.objects.filter(classroom=classroom).select_related("trainee_tenant"):
        assert trainee.trainee_tenant is not None
        domain = f"{classroom.label}t{trainee.number:02d}"  # both its Intune and its Apple domain
        accounts.append(
            Account(
                number=trainee.number,
                intune_upn=trainee.intune_upn,
                intune_password=trainee.intune_password,
                asm_apple_id=trainee.asm_apple_id,
                asm_password=trainee.asm_password,
                needles=(
                    domain,
                    trainee.trainee_tenant.display_name,
                    f"Server T{trainee.number:02d} {domain}",
                    f"Profile T{trainee.number:02d} {domain}",
                ),
            )
        )
    return sorted(accounts, key=lambda account: account.number)


def load(
    accounts: list[Account], portal: str, apple: str, think: float, arrivals: float = 0.0
) -> tuple[Recorder, float]:
    recorder = Recorder()
    start = threading.Barrier(len(accounts))
    trainees = [
        Trainee(
            account, [other for other in accounts if other is not account], portal, apple, recorder, think
        )
        for account in accounts
    ]
    # Arrivals evenly spread over --arrivals seconds (0: everyone in the same second).
    spacing = arrivals / len(trainees) if trainees else 0.0
    threads = [
        threading.Thread(target=trainee.run, args=(start, index * spacing))
        for index, trainee in enumerate(trainees)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return recorder, time.perf_counter() - started


def board_times(trainer: Any, base: str, classroom: Any, runs: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    path = f"{base}/trainer/classroom/{classroom.pk}/"
    for label, url, headers in (
        ("board fragment (htmx, what the page polls)", f"{path}?fragment=board", HTMX),
        ("whole board page", path, {}),
    ):
        for _ in range(3):
            trainer.get(url, headers=headers, timeout=TIMEOUT)
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            response = trainer.get(url, headers=headers, timeout=TIMEOUT)
            samples.append(time.perf_counter() - started)
            assert response.status_code == 200 and "Trainee 01" in response.text, response.status_code
        times[label] = samples
    return times


def ms(values: list[float], fraction: float) -> str:
    return f"{percentile(values, fraction) * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", default="", help="A scratch PostgreSQL database (dropped and re-created)."
    )
    parser.add_argument(
        "--redis-url", default="", help="A Redis database number for the cache (broker: the next)."
    )
    parser.add_argument("--trainees", type=int, default=30)
    parser.add_argument("--board-trainees", type=int, default=60, help="0: no second class.")
    parser.add_argument("--board-runs", type=int, default=50)
    parser.add_argument(
        "--think",
        type=float,
        default=2.0,
        help="Seconds a trainee takes between two pages (0.5 to 1.5 times it; 0: none, a stress test).",
    )
    parser.add_argument(
        "--arrivals",
        type=float,
        default=0.0,
        help="Spread the trainees' first page over this many seconds (0: all in the same second).",
    )
    parser.add_argument("--portal-port", type=int, default=8160)
    parser.add_argument("--apple-port", type=int, default=8161)
    options = parser.parse_args()

    scratch_environment(
        "classroom-bench-",
        database_url=options.database_url,
        apple_port=options.apple_port,
        PORTAL_BASE_URL=f"http://127.0.0.1:{options.portal_port}",
        APPLE_PUBLIC_URL=f"http://127.0.0.1:{options.apple_port}",
        DEMO_PASSWORD=PASSWORD,
    )
    if options.redis_url:
        import redis

        os.environ["REDIS_URL"] = options.redis_url
        broker_db = int(urlsplit(options.redis_url).path.lstrip("/") or 0) + 1
        for url in (options.redis_url, options.redis_url.rsplit("/", 1)[0] + f"/{broker_db}"):
            redis.Redis.from_url(url).flushdb()
    backend = ("PostgreSQL" if options.database_url else "SQLite") + (
        " + Redis broker" if options.redis_url else " + SQLite broker"
    )
    migrate_scratch()
    manage("seed_demo", "--devices", "0")

    import django

    django.setup()
    from django.db import connections

    from asm_portal.tenancy import every_tenant

    # This script reads the classes and trainees of every tenant (kept open until the end).
    spanning = contextlib.ExitStack()
    spanning.enter_context(every_tenant())
    portal = f"http://127.0.0.1:{options.portal_port}"
    apple = f"http://127.0.0.1:{options.apple_port}"
    logs = Path(os.environ["ASM_VAR_DIR"])  # the servers' and the worker's output, for failures
    print(f"Logs in {logs}", flush=True)
    processes: list[subprocess.Popen[bytes]] = []
    lines: list[str] = []
    try:
        processes.append(serve(options.apple_port, "apple", log=logs / "apple.log"))
        processes.append(worker_start(logs / "worker.log"))
        processes.append(serve(options.portal_port, "portal", workers=3, threads=2, log=logs / "portal.log"))
        time.sleep(3)  # the worker connects to the broker
        trainer = signed_in(portal, "trainer@contoso.onmicrosoft.com")

        # 1. Class creation.
        classroom, created = class_create(trainer, portal, "Bench class", options.trainees)
        lines.append(
            f"| Class of {options.trainees} trainees on *Token ready*, end to end (POST → every trainee ready; "
            f"target ≤ 60 s) | **{created:.1f} s** ({created / options.trainees:.2f} s a trainee) |"
        )
        print(lines[-1], flush=True)

        # 2. Load.
        accounts = accounts_of(classroom)
        recorder, elapsed = load(accounts, portal, apple, options.think, options.arrivals)
        think_text = f"{options.think:g} s between pages" if options.think else "no pause between pages"
        if options.arrivals:
            think_text += f", arriving over {options.arrivals:g} s"
        portal_samples = [s.seconds for s in recorder.samples if s.side == "portal"]
        apple_samples = [s.seconds for s in recorder.samples if s.side == "apple"]
        lines.append(
            f"| {len(accounts)} trainees doing the steps at once ({think_text}): portal pages (target p95 ≤ 300 ms) | "
            f"{len(portal_samples)} requests, median {ms(portal_samples, 0.5)}, **p95 {ms(portal_samples, 0.95)}**, "
            f"max {ms(portal_samples, 1.0)} |"
        )
        signing_in = {"Sign-in page", "Sign in (POST)", "Home"}
        after = [s.seconds for s in recorder.samples if s.side == "portal" and s.label not in signing_in]
        lines.append(
            f"| … the same without the sign-in (its page, the POST and Home: password hashing) | {len(after)} requests, "
            f"median {ms(after, 0.5)}, **p95 {ms(after, 0.95)}**, max {ms(after, 1.0)} |"
        )
        lines.append(
            f"| … their pages in the mock's Apple School Manager | {len(apple_samples)} requests, median "
            f"{ms(apple_samples, 0.5)}, p95 {ms(apple_samples, 0.95)}, max {ms(apple_samples, 1.0)} |"
        )
        lines.append(f"| … errors (target 0) | **{len(recorder.errors)}** |")
        lines.append(f"| … cross-tenant reads (target 0) | **{len(recorder.leaks)}** |")
        seen = recorder.durations.pop("own names seen on own pages (of 4)", [0])
        lines.append(
            f"| … the check sees: each trainee's own 4 names (domain, organisation, server, profile) found on "
            f"its own pages | at least {min(seen):.0f} of 4 for every trainee |"
        )
        for label, values in recorder.durations.items():
            lines.append(
                f"| … {label} | median {statistics.median(values):.1f} s, max {max(values):.1f} s "
                f"({len(values)} trainees) |"
            )
        lines.append(f"| … the whole load, first request → last trainee done | {elapsed:.0f} s |")
        for line in lines[-9:]:
            print(line, flush=True)
        by_label: dict[str, list[float]] = defaultdict(list)
        for sample in recorder.samples:
            by_label[f"{sample.side}: {sample.label}"].append(sample.seconds)
        print("\nPer page (median / p95 / max, count):")
        for label, values in by_label.items():
            print(
                f"  {label:<58} {ms(values, 0.5):>8} {ms(values, 0.95):>8} {ms(values, 1.0):>8}  {len(values)}"
            )
        for text in recorder.errors[:20]:
            print("  ERROR", text)
        for text in recorder.leaks[:20]:
            print("  LEAK", text)

        # 3. The board.
        for label, samples in board_times(trainer, portal, classroom, options.board_runs).items():
            lines.append(
                f"| Class board over the {len(accounts)} loaded trainees, {label} | median "
                f"{ms(samples, 0.5)}, **p95 {ms(samples, 0.95)}** |"
            )
            print(lines[-1], flush=True)
        if options.board_trainees:
            large, created = class_create(trainer, portal, "Bench board class", options.board_trainees)
            lines.append(
                f"| Class of {options.board_trainees} trainees on *Token ready*, end to end | **{created:.1f} s** "
                f"({created / options.board_trainees:.2f} s a trainee) |"
            )
            print(lines[-1], flush=True)
            for label, samples in board_times(trainer, portal, large, options.board_runs).items():
                lines.append(
                    f"| Class board over {options.board_trainees} trainees, {label} (target ≤ 150 ms) | median "
                    f"{ms(samples, 0.5)}, **p95 {ms(samples, 0.95)}** |"
                )
                print(lines[-1], flush=True)
    finally:
        processes_stop(processes)
        connections.close_all()

    print(f"\n## Classroom benchmark: {backend}, {os.cpu_count()} cores\n")
    print("| Measure | Result |\n| --- | --- |")
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
