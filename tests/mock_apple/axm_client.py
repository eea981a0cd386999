"""An Apple School Manager API client written from Apple's documentation (requests + PyJWT +
jsonschema), independent of the mock's code: it is what the tests hold the mock to."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime
from typing import Any

import jwt
import requests
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from tests.conftest import REPO

SCHEMAS = REPO / "tests" / "fixtures" / "apple-axm-schemas"
AUDIENCE = "https://account.apple.com/auth/oauth2/v2/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _load(path: Any) -> Any:
    contents = json.loads(path.read_text(encoding="utf-8"))
    if path.name == "OrgDevice.json":
        # The schema types imei and meid as strings; Apple's documented example answers a list
        # (see the reference notes): validate what Apple sends.
        # The same for meid (pyaxm's models, written from Apple's documentation, say so too).
        for name in ("imei", "meid"):
            contents["$defs"]["OrgDevice.Attributes"]["properties"][name] = {
                "type": "array",
                "items": {"type": "string"},
            }
    return contents


REGISTRY = Registry().with_resources(
    [(path.name, Resource.from_contents(_load(path))) for path in SCHEMAS.glob("*.json")]
)
FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)  # type: ignore[untyped-decorator]
def _date_time(value: object) -> bool:
    if isinstance(value, str):
        datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    return True


def assert_schema(body: Any, schema: str) -> None:
    Draft202012Validator(REGISTRY.contents(schema), registry=REGISTRY, format_checker=FORMATS).validate(body)


def assert_api_error(response: requests.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert_schema(body, "ErrorResponse.json")
    error: dict[str, Any] = body["errors"][0]
    assert error["status"] == str(status) and error["id"] and error["title"]
    if code:
        assert error["code"] == code, error
    if status == 429:
        assert int(response.headers["Retry-After"]) > 0
    return error


def client_assertion(
    client_id: str,
    key_id: str,
    private_key_pem: str,
    *,
    now: float | None = None,
    lifetime: int = 3600,
    **overrides: Any,
) -> str:
    """Apple's documented assertion: ES256, kid, iss = sub = client id, aud, iat, exp, jti."""
    issued = int(now if now is not None else time.time())
    claims = {
        "sub": client_id,
        "iss": client_id,
        "aud": AUDIENCE,
        "iat": issued,
        "exp": issued + lifetime,
        "jti": str(uuid.uuid4()),
    }
    headers = {"kid": key_id}
    algorithm = overrides.pop("algorithm", "ES256")
    key = overrides.pop("key", private_key_pem)
    headers.update(overrides.pop("headers", {}))
    claims.update(overrides)
    return jwt.encode(
        {k: v for k, v in claims.items() if v is not None}, key, algorithm=algorithm, headers=headers
    )


class AxmClient:
    def __init__(
        self, base_url: str, account: dict[str, str], *, token_path: str = "/auth/oauth2/v2/token"
    ) -> None:
        self.base_url = base_url
        self.account = account
        self.token_path = token_path
        self.http = requests.Session()
        self.http.headers["User-Agent"] = "axm-test-client/1.0"

    def token_request(self, assertion: str | None = None, **form: Any) -> requests.Response:
        account = self.account
        data = {
            "grant_type": "client_credentials",
            "client_id": account["client_id"],
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion
            or client_assertion(account["client_id"], account["key_id"], account["private_key_pem"]),
            "scope": account["scope"],
            **form,
        }
        return self.http.post(
            f"{self.base_url}{self.token_path}",
            data={k: v for k, v in data.items() if v is not None},
            timeout=10,
        )

    def authenticate(self) -> str:
        response = self.token_request()
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
        self.http.headers["Authorization"] = f"Bearer {body['access_token']}"
        return str(body["access_token"])

    def get(self, path: str, **params: Any) -> requests.Response:
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        return self.http.get(url, params=params or None, timeout=30)

    def post(self, path: str, body: Any) -> requests.Response:
        return self.http.post(
            f"{self.base_url}{path}",
            data=body if isinstance(body, str) else json.dumps(body),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )

    def activity(
        self, kind: str, serials: list[str], server_id: str | None = None, **attributes: Any
    ) -> requests.Response:
        relationships: dict[str, Any] = {
            "devices": {"data": [{"type": "orgDevices", "id": s} for s in serials]}
        }
        if server_id is not None:
            relationships["mdmServer"] = {"data": {"type": "mdmServers", "id": server_id}}
        body = {
            "data": {
                "type": "orgDeviceActivities",
                "attributes": {"activityType": kind, **attributes},
                "relationships": relationships,
            }
        }
        assert_schema(body, "OrgDeviceActivityCreateRequest.json")
        return self.post("/v1/orgDeviceActivities", body)

    def walk(self, path: str, limit: int) -> list[dict[str, Any]]:
        """Follow links.next to the end; every page validated."""
        items: list[dict[str, Any]] = []
        url: str | None = f"{self.base_url}{path}?limit={limit}"
        while url:
            response = self.get(url)
            assert response.status_code == 200, response.text
            body = response.json()
            items += body["data"]
            url = body["links"].get("next")
            assert (url is None) == ("nextCursor" not in body["meta"]["paging"])
        return items
