"""Benchmark of the School Manager API on the mock Apple side, beside the DEP fetch walk.

Seeds a scratch database (never yours): an organisation of N devices, all assigned to one MDM
server, then serves the mock with gunicorn (2 workers, DEBUG=False) and measures over real HTTP,
in the same run:

- the DEP fetch walk of every device (POST /server/devices, limit 1000);
- the same devices through GET /v1/orgDevices?limit=1000 (cursor to cursor);
- the OAuth 2 token endpoint (a new ES256 client assertion each time): median and p95;
- an activity of 1,000 serials (ASSIGN_DEVICES to a second server): POST, then GET until
  COMPLETED, its DEP sync events written.

    .venv/bin/python benchmarks/axm_fetch.py --devices 200000     # SQLite in a temporary folder
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
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
        results = {
            "DEP fetch walk (POST /server/devices, limit 1000)": dep_walk(base, dep_token),
            "API walk (GET /v1/orgDevices, limit 1000)": api_walk(base, account),
            "token endpoint (POST /auth/oauth2/v2/token)": token_times(base, account, options.tokens),
            "activity of 1,000 serials (ASSIGN_DEVICES)": activity_time(base, account),
        }
    finally:
        server.terminate()
        server.wait(timeout=20)
    print(
        f"\n## School Manager API benchmark: {options.devices:,} devices, {backend}, gunicorn 2 workers, {os.cpu_count()} cores\n"
    )
    for name, value in results.items():
        print(f"- {name}: {value}")


def dep_walk(base: str, token: dict[str, str]) -> str:
    http = requests.Session()
    http.headers.update({"User-Agent": "axm-benchmark/1", "X-Server-Protocol-Version": "7"})
    auth = OAuth1(
        token["consumer_key"], token["consumer_secret"], token["access_token"], token["access_secret"]
    )
    opened = http.get(f"{base}/session", auth=auth, timeout=10)
    assert opened.status_code == 200, opened.text
    http.headers["X-ADM-Auth-Session"] = opened.json()["auth_session_token"]
    started = time.perf_counter()
    body: dict[str, Any] = {"limit": 1000}
    count = pages = 0
    answered = 0.0
    size = 0
    while True:
        response = http.post(f"{base}/server/devices", json=body, timeout=60)
        answered += response.elapsed.total_seconds()
        size += len(response.content)
        page = response.json()
        count += len(page["devices"])
        pages += 1
        if not page["more_to_follow"]:
            break
        body = {"limit": 1000, "cursor": page["cursor"]}
    return _walked(count, pages, time.perf_counter() - started, answered, size)


def _walked(count: int, pages: int, total: float, answered: float, size: int) -> str:
    """The walk as the client sees it, and the server's share (time to the answer's headers)."""
    return (
        f"{count:,} devices in {pages} pages, {total:.2f} s "
        f"(server answering {answered:.2f} s; {size / pages / 1000:.0f} kB a page to download and decode)"
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


def api_walk(base: str, account: dict[str, str]) -> str:
    http = requests.Session()
    bearer(base, account, http)
    started = time.perf_counter()
    url: str | None = f"{base}/v1/orgDevices?limit=1000"
    count = pages = 0
    answered = 0.0
    size = 0
    while url:
        response = http.get(url, timeout=60)
        assert response.status_code == 200, response.text[:300]
        answered += response.elapsed.total_seconds()
        size += len(response.content)
        page = response.json()
        count += len(page["data"])
        pages += 1
        url = page["links"].get("next")
    return _walked(count, pages, time.perf_counter() - started, answered, size)


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
