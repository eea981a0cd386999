"""A client of Apple's Device Assignment ("DEP") API, as the portal reaches it over HTTP.

It behaves like the open-source DEP clients Apple's service is used to (nanodep, zentral):
- `GET /session` signed with OAuth 1.0a HMAC-SHA1 (oauthlib) gives an `auth_session_token`;
  every other call sends it as `X-ADM-Auth-Session`, and a response carrying a new one
  replaces it;
- on 401 (and on a 403 whose body says FORBIDDEN, as Apple's simulator answers an unknown
  session) the client signs in again and replays the request once;
- every call sends `User-Agent`, `X-Server-Protocol-Version` and
  `Content-Type: application/json;charset=UTF8`, within `APPLE_HTTP_TIMEOUT_SECONDS`;
- every failure is one exception type, `DepError`, with the HTTP status, Apple's error code
  (Apple answers bare or quoted code strings, so they are matched as substrings) and the
  Retry-After delay;
- `fetch_devices`, `sync_devices`, `assign_profile` and `remove_profile` speak Apple's device
  endpoints and check the shape of the answers; what to do on 429, 5xx or a cursor error is
  the caller's policy (devices/sync.py, devices/assignment_rounds.py).

Secrets and session tokens are never logged and never part of an exception message.
"""

from __future__ import annotations

import email.utils
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import requests
from django.conf import settings
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_TYPE_AUTH_HEADER, Client

from asm_portal import clock

logger = logging.getLogger(__name__)
# oauthlib logs the parameters it signs (consumer key, access token) at DEBUG level: keep them
# out of the logs whatever LOG_LEVEL says.
logging.getLogger("oauthlib").setLevel(logging.WARNING)

SESSION_HEADER = "X-ADM-Auth-Session"
JSON_CONTENT_TYPE = "application/json;charset=UTF8"

# Apple's error codes (and the OAuth problem words seen from Apple), most specific first:
# a body is matched by substring, bare or JSON-quoted.
APPLE_ERROR_CODES = (
    "T_C_NOT_SIGNED",
    "ACCESS_DENIED",
    "token_rejected",
    "signature_invalid",
    "nonce_used",
    "timestamp_refused",
    "consumer_key_unknown",
    "consumer_key_rejected",
    "token_expired",
    "APPLE_SEED_FOR_IT_TURNED_OFF",
    "USER_AGENT_MISSING",
    "USER_AGENT_INVALID",
    "MALFORMED_REQUEST_BODY",
    "CURSOR_REQUIRED",
    "INVALID_CURSOR",
    "EXHAUSTED_CURSOR",
    "EXPIRED_CURSOR",
    "DEVICE_ID_REQUIRED",
    "DEVICE_NOT_FOUND",
    "PROFILE_UUID_REQUIRED",
    "PROFILE_NOT_FOUND",
    "CONFIG_NAME_REQUIRED",
    "CONFIG_NAME_INVALID",
    "CONFIG_URL_REQUIRED",
    "CONFIG_URL_INVALID",
    "DEPARTMENT_REQUIRED",
    "DEPARTMENT_INVALID",
    "SUPPORT_PHONE_REQUIRED",
    "SUPPORT_PHONE_INVALID",
    "SUPPORT_EMAIL_INVALID",
    "MAGIC_INVALID",
    "FLAGS_INVALID",
    "LOCALE_INVALID",
    "ORG_NOT_SUPPORTED",
    "MDM_SERVICE_DISCOVERY_URL_REQUIRED",
    "MDM_SERVICE_DISCOVERY_URL_NOT_VALID",
    "too_many_requests",
    "invalid_method",
    "FORBIDDEN",
    "UNAUTHORIZED",
)
_BARE_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_]{2,63}")


def _user_agent() -> str:
    try:
        version = metadata.version("asm-portal")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"asm-portal/{version}"


@dataclass(frozen=True)
class OAuthCredentials:
    """The four OAuth 1.0a values of a server token. Their repr never shows them."""

    consumer_key: str
    consumer_secret: str
    access_token: str
    access_secret: str

    def __repr__(self) -> str:
        return "OAuthCredentials(<redacted>)"

    __str__ = __repr__


@dataclass(frozen=True)
class DevicePage:
    """One page of a fetch or sync (FetchDeviceResponse): the devices and the cursor after them."""

    cursor: str
    devices: list[dict[str, Any]]
    more_to_follow: bool


@dataclass(frozen=True)
class AssignmentAnswer:
    """Apple's AssignProfileResponse: the status of each serial and the throttling delay."""

    devices: dict[str, str]
    retry_after_seconds: int | None


class DepError(Exception):
    """A call to Apple failed: unreachable (`status` None), or an HTTP error with Apple's code."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "",
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retry_after = retry_after

    @property
    def unreachable(self) -> bool:
        return self.status is None


def apple_error_code(body: str) -> str:
    """Apple's error code in a response body, bare (`T_C_NOT_SIGNED`) or quoted."""
    for code in APPLE_ERROR_CODES:
        if code in body:
            return code
    bare = body.strip().strip('"').strip()
    return bare if _BARE_CODE.fullmatch(bare) else ""


def _retry_after(value: str | None) -> int | None:
    """Retry-After as seconds: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0, int(moment.timestamp() - time.time()))


class DepClient:
    """One server token's conversation with Apple. Not thread-safe; one per task."""

    def __init__(
        self,
        credentials: OAuthCredentials,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        protocol_version: int | None = None,
        http: requests.Session | None = None,
    ) -> None:
        self._credentials = credentials
        self.base_url = (base_url or settings.APPLE_BASE_URL).rstrip("/")
        self.timeout = timeout if timeout is not None else settings.APPLE_HTTP_TIMEOUT_SECONDS
        self.http = http or requests.Session()
        self.http.headers.update(
            {
                "User-Agent": _user_agent(),
                "X-Server-Protocol-Version": str(protocol_version or settings.APPLE_SERVER_PROTOCOL_VERSION),
                # Sent on every call, /session included, as Apple's simulator insisted.
                "Content-Type": JSON_CONTENT_TYPE,
                "Accept": "application/json",
            }
        )
        self.session_token: str | None = None

    def __repr__(self) -> str:
        return f"DepClient({self.base_url})"

    # --- Authentication ------------------------------------------------------------------

    def authenticate(self) -> str:
        """GET /session with an OAuth 1.0a HMAC-SHA1 header; keeps the new session token."""
        url = f"{self.base_url}/session"
        signer = Client(
            self._credentials.consumer_key,
            client_secret=self._credentials.consumer_secret,
            resource_owner_key=self._credentials.access_token,
            resource_owner_secret=self._credentials.access_secret,
            signature_method=SIGNATURE_HMAC_SHA1,
            signature_type=SIGNATURE_TYPE_AUTH_HEADER,
            # Apple checks the timestamp against its own clock: the portal's clock is the one the
            # trainer moves together with the mock Apple's (the demo clock), real time otherwise.
            timestamp=str(int(clock.now().timestamp())),
        )
        _uri, headers, _body = signer.sign(url, http_method="GET")
        response = self._send("GET", "/session", headers={"Authorization": headers["Authorization"]})
        if not response.ok:
            raise self._error(response)
        body = self._json(response) if response.content else None
        token = body.get("auth_session_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise DepError(
                "Apple's /session answer has no auth_session_token.",
                status=response.status_code,
                code="INVALID_RESPONSE",
            )
        self.session_token = token
        return token

    # --- Calls -----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        """Call Apple with the session token; the decoded JSON answer (None when empty)."""
        if self.session_token is None:
            self.authenticate()
        response = self._session_call(method, path, json_body=json_body, params=params)
        if self._session_rejected(response):
            # The session expired or Apple forgot it: sign in again, replay once.
            self.authenticate()
            response = self._session_call(method, path, json_body=json_body, params=params)
        if not response.ok:
            raise self._error(response)
        if not response.content:
            return None
        return self._json(response)

    def account(self) -> dict[str, Any]:
        """GET /account: the MDM server and its organisation (AccountDetail)."""
        body = self.request("GET", "/account")
        if not isinstance(body, dict):
            raise DepError("Apple's /account answer is not an object.", code="INVALID_RESPONSE")
        return body

    # --- Devices and profile assignments ---------------------------------------------------

    def fetch_devices(self, *, cursor: str = "", limit: int = 1000) -> DevicePage:
        """POST /server/devices: one page of the walk through every device of the MDM server.

        The first call has no cursor; the walk goes on while `more_to_follow` is true. The last
        page's cursor on fetch answers EXHAUSTED_CURSOR: it is then a cursor for `sync_devices`.
        """
        body: dict[str, Any] = {"limit": limit}
        if cursor:
            body["cursor"] = cursor
        return self._device_page(self.request("POST", "/server/devices", json_body=body))

    def sync_devices(self, *, cursor: str, limit: int = 1000) -> DevicePage:
        """POST /devices/sync: the devices added, modified or deleted since the cursor."""
        return self._device_page(
            self.request("POST", "/devices/sync", json_body={"cursor": cursor, "limit": limit})
        )

    def assign_profile(self, *, profile_uuid: str, serials: Sequence[str]) -> AssignmentAnswer:
        """POST /profile/devices: Apple's answer per serial (SUCCESS, NOT_ACCESSIBLE, FAILED,
        THROTTLED) and, from protocol version 10, how long to wait before retrying throttled ones."""
        body = self.request(
            "POST", "/profile/devices", json_body={"profile_uuid": profile_uuid, "devices": list(serials)}
        )
        devices = body.get("devices") if isinstance(body, dict) else None
        if not isinstance(devices, dict):
            raise DepError("Apple's assign-profile answer has no devices.", code="INVALID_RESPONSE")
        retry_after = body.get("retry_after_seconds")
        return AssignmentAnswer(
            devices={str(serial): str(status) for serial, status in devices.items()},
            retry_after_seconds=retry_after if isinstance(retry_after, int) else None,
        )

    def device_details(self, *, serials: Sequence[str]) -> dict[str, dict[str, Any]]:
        """POST /devices: what Apple holds for each serial (its profile uuid and status); a
        serial the server cannot see answers only `response_status` NOT_ACCESSIBLE."""
        body = self.request("POST", "/devices", json_body={"devices": list(serials)})
        devices = body.get("devices") if isinstance(body, dict) else None
        if not isinstance(devices, dict):
            raise DepError("Apple's device-details answer has no devices.", code="INVALID_RESPONSE")
        return {str(serial): device for serial, device in devices.items() if isinstance(device, dict)}

    def remove_profile(self, *, serials: Sequence[str]) -> dict[str, str]:
        """DELETE /profile/devices (with a JSON body, as Apple wants it): Apple's answer per serial."""
        body = self.request("DELETE", "/profile/devices", json_body={"devices": list(serials)})
        devices = body.get("devices") if isinstance(body, dict) else None
        if not isinstance(devices, dict):
            raise DepError("Apple's remove-profile answer has no devices.", code="INVALID_RESPONSE")
        return {str(serial): str(status) for serial, status in devices.items()}

    @staticmethod
    def _device_page(body: Any) -> DevicePage:
        if not isinstance(body, dict):
            raise DepError("Apple's device page is not an object.", code="INVALID_RESPONSE")
        cursor, devices = body.get("cursor"), body.get("devices") or []
        if not isinstance(cursor, str) or not isinstance(devices, list):
            raise DepError("Apple's device page has no cursor or devices.", code="INVALID_RESPONSE")
        return DevicePage(
            cursor=cursor,
            devices=[device for device in devices if isinstance(device, dict)],
            more_to_follow=body.get("more_to_follow") is True,
        )

    # --- Plumbing ------------------------------------------------------------------------

    def _session_call(
        self, method: str, path: str, *, json_body: Any, params: dict[str, str] | None
    ) -> requests.Response:
        headers = {SESSION_HEADER: self.session_token or ""}
        return self._send(method, path, headers=headers, json_body=json_body, params=params)

    def _send(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        json_body: Any = None,
        params: dict[str, str] | None = None,
    ) -> requests.Response:
        started = time.monotonic()
        try:
            response = self.http.request(
                method,
                f"{self.base_url}{path}",
                headers=headers,
                json=json_body,
                params=params,
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            logger.warning("Apple DEP %s %s unreachable: %s", method, path, type(exc).__name__)
            raise DepError(f"Apple's service at {self.base_url} could not be reached.") from None
        logger.info(
            "Apple DEP %s %s -> %s in %.0f ms",
            method,
            path,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        renewed = response.headers.get(SESSION_HEADER)
        if renewed:
            self.session_token = renewed
        return response

    @staticmethod
    def _session_rejected(response: requests.Response) -> bool:
        if response.status_code == 401:
            return True
        return response.status_code == 403 and "FORBIDDEN" in response.text

    @staticmethod
    def _json(response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise DepError(
                "Apple's answer is not JSON.", status=response.status_code, code="INVALID_RESPONSE"
            ) from None

    @staticmethod
    def _error(response: requests.Response) -> DepError:
        code = apple_error_code(response.text[:2000])
        return DepError(
            f"Apple answered HTTP {response.status_code}{f' {code}' if code else ''}.",
            status=response.status_code,
            code=code,
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )
