"""Verification of the OAuth 1.0a signature that opens a DEP session (GET /session).

The signature is checked with oauthlib (HMAC-SHA1 only, as Apple), over the base-string URI
the *client* used: scheme and Host header of the request as it reached us (a proxy in front
must pass them on, see SECURE_PROXY_SSL_HEADER). `realm` is allowed and, per RFC 5849, not
signed. The answers use the OAuth Problem Reporting words that real Apple puts in its bodies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.request import parse_http_list, parse_keqv_list

from django.http import HttpRequest
from oauthlib.oauth1.rfc5849 import signature, utils

REQUIRED = (
    "oauth_consumer_key",
    "oauth_token",
    "oauth_signature_method",
    "oauth_signature",
    "oauth_timestamp",
    "oauth_nonce",
)
ALLOWED = {*REQUIRED, "oauth_version", "realm"}
TIMESTAMP_WINDOW = timedelta(minutes=5)


class OAuthProblem(Exception):
    def __init__(self, status: int, problem: str) -> None:
        super().__init__(problem)
        self.status = status
        self.problem = problem


@dataclass(frozen=True)
class SignedRequest:
    consumer_key: str
    token: str
    nonce: str
    timestamp: datetime
    params: list[tuple[str, str]]
    signature: str
    http_method: str
    uri: str


class _OAuthlibRequest:
    """The attributes oauthlib's verify functions read."""

    def __init__(self, signed: SignedRequest) -> None:
        self.http_method = signed.http_method
        self.uri = signed.uri
        self.params = signed.params
        self.signature = signed.signature


def parse(request: HttpRequest) -> SignedRequest:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("oauth "):
        raise OAuthProblem(400, "parameter_absent")
    items = parse_http_list(header[len("oauth ") :])
    try:
        pairs = [(key.strip(), value) for key, value in parse_keqv_list(items).items()]
        names = [item.split("=", 1)[0].strip() for item in items]
    except (IndexError, ValueError):
        raise OAuthProblem(400, "parameter_rejected") from None
    if len(names) != len(set(names)):
        raise OAuthProblem(400, "parameter_rejected")
    values = {key: utils.unescape(value) for key, value in pairs}
    if any(name not in values or not values[name] for name in REQUIRED):
        raise OAuthProblem(400, "parameter_absent")
    if set(values) - ALLOWED:
        raise OAuthProblem(400, "parameter_rejected")
    if values["oauth_signature_method"] != "HMAC-SHA1":
        raise OAuthProblem(400, "signature_method_rejected")
    if values.get("oauth_version", "1.0") != "1.0":
        raise OAuthProblem(400, "version_rejected")
    try:
        timestamp = datetime.fromtimestamp(int(values["oauth_timestamp"]), tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise OAuthProblem(400, "parameter_rejected") from None
    uri = f"{request.scheme}://{request.get_host()}{request.path}"
    params = signature.collect_parameters(
        uri_query=request.META.get("QUERY_STRING", ""),
        headers={"Authorization": header},
        exclude_oauth_signature=True,
        with_realm=False,
    )
    return SignedRequest(
        consumer_key=values["oauth_consumer_key"],
        token=values["oauth_token"],
        nonce=values["oauth_nonce"],
        timestamp=timestamp,
        params=params,
        signature=values["oauth_signature"],
        http_method=request.method or "GET",
        uri=uri,
    )


def verify(signed: SignedRequest, *, consumer_secret: str, access_secret: str) -> bool:
    return bool(
        signature.verify_hmac_sha1(
            _OAuthlibRequest(signed),
            client_secret=consumer_secret,
            resource_owner_secret=access_secret,
        )
    )


def check_timestamp(signed: SignedRequest, *, now: datetime) -> None:
    """Within TIMESTAMP_WINDOW of `now` (Apple's clock), else timestamp_refused."""
    if abs(now - signed.timestamp) > TIMESTAMP_WINDOW:
        raise OAuthProblem(401, "timestamp_refused")
