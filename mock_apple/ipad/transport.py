"""The virtual iPad's HTTP: one requests.Session per conversation, trusting the DEP profile's
`anchor_certs` (and only them) for https when it has some, as Setup Assistant does."""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Iterable

import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization

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


class DeviceHttp:
    """Requests of one device; close() removes the anchors file."""

    def __init__(self, *, anchor_certs: Iterable[str] = (), user_agent: str = USER_AGENT) -> None:
        self.session = requests.Session()
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
        self.session.close()
        if self._anchors:
            os.unlink(self._anchors)
            self._anchors = None

    def __enter__(self) -> DeviceHttp:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
