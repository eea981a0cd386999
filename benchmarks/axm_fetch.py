"""Benchmark of the School Manager API on the mock Apple side, beside the DEP fetch walk.

Seeds a scratch database (never yours): an organisation of N devices, all assigned to one MDM
server, then serves the mock with gunicorn (2 workers, DEBUG=False) and measures over real HTTP,
in the same run:

- the DEP fetch walk of every device (POST /server/devices, limit 1000) and the same devices
  through GET /v1/orgDevices?limit=1000 (cursor to cursor), interleaved page by page so that
  both walks meet the same load of a shared machine; `--rounds` walks of each, their median
  and the comparison of the two;
- the OAuth 2 token endpoint (a new ES256 client assertion each time): median and p95;
- an activity of 1,000 serials (ASSIGN_DEVICES to a second server): POST, then GET until
  COMPLETED, its DEP sync events written.

    .venv/bin/python benchmarks/axm_fetch.py --devices 200000     # SQLite in a temporary folder
    .venv/bin/python benchmarks/axm_fetch.py --devices 200000 \
        --database-url postgres://postgres@127.0.0.1:5432/asm_axm_bench
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import requests
from requests_oauthlib import OAuth1

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import PASSWORD, manage, percentile, scratch_environment, serve  # noqa: E402

CONTROL = "bench-control"
AUDIENCE = "https://account.apple.com/auth/oauth2/v2/token"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=200_000)
    parser.add_argument(
        "--database-url", default="", help="A scratch PostgreSQL database (dropped and re-created)."
    )
    parser.add_argument("--port", type=int, default=8112)
    parser.add_argument("--tokens", type=int, default=50, help="Token requests timed for the median.")
    parser.add_argument("--rounds", type=int, default=3, help="Interleaved walks of each API.")
    options = parser.parse_args()

    scratch_environment("axm-bench-", database_url=options.database_url, MOCK_APPLE_CONTROL_TOKEN=CONTROL)
    os.environ["MOCK_APPLE_CONTROL_TOKEN"] = CONTROL
    backend = "PostgreSQL" if options.database_url else "SQLite"
    manage("migrate_all", "-v0")
    manage("collectstatic", "--noinput", "-v0")
    manage("seed_apple", "--devices", str(options.devices), "--password", PASSWORD, "--seed", "1")
    dep_token = json.loads(
        manage("mock_apple_token", "Benchmark", "--assign", str(options.devices), "--json")
    )
    json.loads(manage("mock_apple_token", "Second", "--json"))
    account = json.loads(manage("mock_apple_api_account", "Benchmark", "--json"))

    base = f"http://127.0.0.1:{options.port}"
    server = serve(options.port, "apple")
    try:
        control = requests.Session()
        control.headers["X-Mock-Control-Token"] = CONTROL
        lifted = control.patch(
            f"{base}/_mock/config",
            json={"api_get_per_minute": 0, "api_activity_posts_per_hour": 0, "api_activity_seconds": 0},
            timeout=10,
        )
        assert lifted.status_code == 200, lifted.text
        dep_walks, api_walks = walks(base, dep_token, account, options.rounds)
        results = {
            "DEP fetch walk (POST /server/devices, limit 1000)": _walked(dep_walks),
            "API walk (GET /v1/orgDevices, limit 1000)": _walked(api_walks),
            "API walk / DEP walk": _compared(dep_walks, api_walks),
            "token endpoint (POST /auth/oauth2/v2/token)": token_times(base, account, options.tokens),
            "activity of 1,000 serials (ASSIGN_DEVICES)": activity_time(base, account),
        }
    finally:
        server.terminate()
        server.wait(timeout=20)
    print(
        f"\n## School Manager API benchmark: {options.devices:,} devices, {backend}, gunicorn 2 workers, "
        f"{os.cpu_count()} cores, {options.rounds} interleaved walks of each\n"
    )
    for name, value in results.items():
        print(f"- {name}: {value}")


class Walk:
    """One walk of every device, page after page: what the client spent (the request, the
    download and the decoding) and what the server did (the time to the answer's headers)."""

    def __init__(self) -> None:
        self.total = self.answered = 0.0
        self.count = self.pages = self.size = 0

    def timed(self, send: Callable[..., requests.Response], url: str, **options: Any) -> Any:
        started = time.perf_counter()
        response = send(url, timeout=60, **options)
        assert response.status_code == 200, response.text[:300]
        page = response.json()
        self.total += time.perf_counter() - started
        self.answered += response.elapsed.total_seconds()
        self.size += len(response.content)
        self.pages += 1
        return page


def dep_pages(base: str, token: dict[str, str], walk: Walk) -> Iterator[None]:
    """The DEP fetch walk, one page a step."""
    http = requests.Session()
    http.headers.update({"User-Agent": "axm-benchmark/1", "X-Server-Protocol-Version": "7"})
    auth = OAuth1(
        token["consumer_key"], token["consumer_secret"], token["access_token"], token["access_secret"]
    )
    opened = http.get(f"{base}/session", auth=auth, timeout=10)
    assert opened.status_code == 200, opened.text
    http.headers["X-ADM-Auth-Session"] = opened.json()["auth_session_token"]
    body: dict[str, Any] = {"limit": 1000}
    while True:
        page = walk.timed(http.post, f"{base}/server/devices", json=body)
        walk.count += len(page["devices"])
        yield
        if not page["more_to_follow"]:
            return
        body = {"limit": 1000, "cursor": page["cursor"]}


def api_pages(base: str, account: dict[str, str], walk: Walk) -> Iterator[None]:
    """The orgDevices walk, one page a step."""
    http = requests.Session()
    bearer(base, account, http)
    url: str | None = f"{base}/v1/orgDevices?limit=1000"
    while url:
        page = walk.timed(http.get, url)
        walk.count += len(page["data"])
        yield
        url = page["links"].get("next")


def walks(
    base: str, dep_token: dict[str, str], account: dict[str, str], rounds: int
) -> tuple[list[Walk], list[Walk]]:
    """`rounds` walks of each API, their pages interleaved (a DEP page, an API page, ...); each
    round starts with the other API than the last."""
    dep_walks: list[Walk] = []
    api_walks: list[Walk] = []
    for round_number in range(rounds):
        dep_walk, api_walk = Walk(), Walk()
        steps = [dep_pages(base, dep_token, dep_walk), api_pages(base, account, api_walk)]
        if round_number % 2:
            steps.reverse()
        while steps:
            for step in list(steps):
                if next(step, StopIteration) is StopIteration:
                    steps.remove(step)
        dep_walks.append(dep_walk)
        api_walks.append(api_walk)
        print(
            f"  round {round_number + 1}: DEP {dep_walk.total:.2f} s, API {api_walk.total:.2f} s", flush=True
        )
    return dep_walks, api_walks


def _walked(rounds: list[Walk]) -> str:
    """The median walk as the client sees it, and the server's share (time to the headers)."""
    walk = sorted(rounds, key=lambda item: item.total)[len(rounds) // 2]
    every = ", ".join(f"{item.total:.2f}" for item in rounds)
    return (
        f"{walk.count:,} devices in {walk.pages} pages, median {walk.total:.2f} s of {every} "
        f"(server answering {walk.answered:.2f} s; {walk.size / walk.pages / 1000:.0f} kB a page "
        "to download and decode)"
    )


def _compared(dep_rounds: list[Walk], api_rounds: list[Walk]) -> str:
    """The API walk against the DEP walk of the same round: the median ratio, and the target."""
    ratios = sorted(api.total / dep.total for dep, api in zip(dep_rounds, api_rounds, strict=True))
    ratio = statistics.median(ratios)
    dep = statistics.median(walk.total for walk in dep_rounds)
    api = statistics.median(walk.total for walk in api_rounds)
    verdict = "at least as fast: target met" if ratio <= 1 else "slower: target missed"
    return (
        f"{ratio:.2f} (median of the rounds' ratios {', '.join(f'{r:.2f}' for r in ratios)}; "
        f"medians {api:.2f} s against {dep:.2f} s): the API walk is {verdict}"
    )


def assertion(account: dict[str, str]) -> str:
    now = int(time.time())
    claims = {
        "sub": account["client_id"],
        "iss": account["client_id"],
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 600,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(
        claims, account["private_key_pem"], algorithm="ES256", headers={"kid": account["key_id"]}
    )


def bearer(base: str, account: dict[str, str], http: requests.Session) -> float:
    form = {
        "grant_type": "client_credentials",
        "client_id": account["client_id"],
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion(account),
        "scope": account["scope"],
    }
    started = time.perf_counter()
    response = http.post(f"{base}/auth/oauth2/v2/token", data=form, timeout=10)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return elapsed


def token_times(base: str, account: dict[str, str], repeat: int) -> str:
    http = requests.Session()
    samples = [bearer(base, account, http) for _ in range(repeat)]
    return f"median {statistics.median(samples) * 1000:.1f} ms, p95 {percentile(samples, 0.95) * 1000:.1f} ms ({repeat} requests)"


def activity_time(base: str, account: dict[str, str]) -> str:
    http = requests.Session()
    bearer(base, account, http)
    servers = http.get(f"{base}/v1/mdmServers", timeout=10).json()["data"]
    second = next(s["id"] for s in servers if s["attributes"]["serverName"] == "Second")
    serials = [d["id"] for d in http.get(f"{base}/v1/orgDevices?limit=1000", timeout=60).json()["data"]]
    body = {
        "data": {
            "type": "orgDeviceActivities",
            "attributes": {"activityType": "ASSIGN_DEVICES"},
            "relationships": {
                "mdmServer": {"data": {"type": "mdmServers", "id": second}},
                "devices": {"data": [{"type": "orgDevices", "id": s} for s in serials]},
            },
        }
    }
    started = time.perf_counter()
    created = http.post(f"{base}/v1/orgDeviceActivities", json=body, timeout=60)
    assert created.status_code == 201, created.text
    path = created.json()["data"]["links"]["self"]
    while True:
        attributes = http.get(path, timeout=60).json()["data"]["attributes"]
        if attributes["status"] == "COMPLETED":
            break
    elapsed = time.perf_counter() - started
    return f"{len(serials):,} serials accepted and completed ({attributes['subStatus']}) in {elapsed:.2f} s"


if __name__ == "__main__":
    main()
