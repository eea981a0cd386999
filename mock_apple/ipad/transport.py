"""The virtual iPad's HTTP: one requests.Session per conversation (over connections every device
shares), trusting the DEP profile's `anchor_certs` (and only them) for https when it has some, as
Setup Assistant does."""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Iterable

import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from mock_apple.setup_panes import OS_VERSION

TIMEOUT_SECONDS = 15
USER_AGENT = f"MDM/1.0 (iPad; iPadOS {OS_VERSION})"
ENROLLMENT_USER_AGENT = f"iPad/{OS_VERSION} (ConfigurationProfile)"


class Unreachable(Exception):
    """No HTTP answer: DNS, refused, timeout, or a TLS certificate the device does not trust."""


def _anchor_bundle(anchor_certs: Iterable[str]) -> str | None:
    """A PEM file of the anchors (base64 DER, as the DEP profile carries them), for `verify`."""
    pems = []
    for each in anchor_certs:
        try:
            certificate = x509.load_der_x509_certificate(base64.b64decode(each))
        except ValueError:
            continue
        pems.append(certificate.public_bytes(serialization.Encoding.PEM))
    if not pems:
        return None
    handle, path = tempfile.mkstemp(prefix="ipad-anchors-", suffix=".pem")
    with os.fdopen(handle, "wb") as file:
        file.write(b"".join(pems))
    return path


# The connections every device's requests go over, kept alive between conversations: a device
# woken by a push reaches its MDM over a connection already open instead of a new one each time
# (the served mock runs every iPad's sessions, in a few threads). urllib3's pools are thread
# safe and keyed by host and TLS settings (a device's anchors included), so a device trusting
# its own anchors never shares a connection made with another trust. Each device keeps its own
# requests.Session (its headers and cookies); only the adapter is shared.
POOL_HOSTS = 16
POOL_CONNECTIONS_PER_HOST = 32
# A kept-alive connection the server closed meanwhile (its keep-alive ran out) fails the request
# sent on it: such a request is sent once more on a new connection. Only connection errors and
# idempotent methods (the check-ins and reports are PUTs, which MDM servers accept twice) are
# retried; a POST (MachineInfo, SCEP) is never sent twice.
_RETRY = Retry(total=1, connect=1, read=1, status=0, other=0, redirect=False, raise_on_status=False)
_shared_adapter = HTTPAdapter(
    pool_connections=POOL_HOSTS, pool_maxsize=POOL_CONNECTIONS_PER_HOST, max_retries=_RETRY
)


class DeviceHttp:
    """Requests of one device; close() removes the anchors file (the shared connections stay)."""

    def __init__(self, *, anchor_certs: Iterable[str] = (), user_agent: str = USER_AGENT) -> None:
        self.session = requests.Session()
        self.session.mount("http://", _shared_adapter)
        self.session.mount("https://", _shared_adapter)
        self.session.headers["User-Agent"] = user_agent
        self._anchors = _anchor_bundle(anchor_certs)
        if self._anchors:
            self.session.verify = self._anchors

    def request(self, method: str, url: str, **kwargs: object) -> requests.Response:
        try:
            return self.session.request(method, url, timeout=TIMEOUT_SECONDS, **kwargs)  # type: ignore[arg-type]
        except requests.RequestException as exc:
            raise Unreachable(str(exc)[:300]) from None

    def close(self) -> None:
        # Session.close() would close every adapter mounted, the shared one too.
        self.session.adapters.clear()
        self.session.close()
        if self._anchors:
            os.unlink(self._anchors)
            self._anchors = None

    def __enter__(self) -> DeviceHttp:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
