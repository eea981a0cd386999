"""Waking devices through APNs: the provider API as an MDM server uses it.

For each device with a push token the portal POSTs `{"mdm": PushMagic}` to
`{APNS_BASE_URL}/3/device/<token>` with `apns-topic` = the device's topic (the tenant's MDM push
certificate's) and `apns-push-type: mdm`, authenticated by the tenant's MDM push certificate.

Apple authenticates the sender by the TLS client certificate. The portal's mock of Apple runs
behind Django's plain-HTTP dev server, which cannot ask for client certificates, so the portal
sends what a TLS-terminating proxy would forward — the certificate, URL-escaped PEM, in
`APNS_CLIENT_CERTIFICATE_HEADER` (nginx's `$ssl_client_escaped_cert`) — and, because a header is
not a TLS handshake, proves it holds the certificate's key with `X-Apns-Client-Signature`: an
RSA PKCS#1 v1.5 SHA-256 signature over `path \\n apns-topic \\n apns-id \\n body`. The mock checks
both (docs/mdm-server.md).

APNs' answers: 200 (apns-id), 400 BadDeviceToken, 403 (BadCertificate, BadCertificateEnvironment,
ExpiredProviderToken, TopicDisallowed, BadTopic…), 410 Unregistered, 429 and 5xx. 400, 403 and
410 are final for the token and certificate in use; 429, 5xx and a connection error are retried
with back-off (mdm/tasks.py). Every failure is kept (`PushFailure`) for the push certificate
blade and the device's blade, with its reason explained in the reader's language
(`push_failure_text`).

Pushes go out APNS_CONCURRENCY at a time, each thread over its own kept-alive connection (Apple
multiplexes one HTTP/2 connection; the mock behind gunicorn speaks HTTP/1.1, so concurrency
comes from several connections): the database is written once for the batch, from the calling
thread, never from the sending threads.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from urllib.parse import quote

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.db.models import F
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from asm_portal import clock
from mdm.models import ManagedDevice, ManagementState, PushFailure
from tokens.models import ApplePushCertificate, ExpiryStatus
from tokens.push_certificates import push_certificate_current

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Apns-Client-Signature"
# How long the push certificate blade can count failures back (it shows the last 7 days).
PUSH_FAILURES_KEPT_DAYS = 30
RECENT_DAYS = 7

# The portal's own reasons (no answer from APNs, or nothing sent), besides APNs' reasons.
EXPIRED_CERTIFICATE = "ExpiredCertificate"
NO_CERTIFICATE = "NoCertificate"
UNREACHABLE = "Unreachable"

# Why a push failed, for an administrator: APNs' reasons (Apple's "Handling notification
# responses from APNs") and the portal's. The expired certificate's is Intune's message
# (Microsoft's "Your Apple MDM Push certificate has expired").
REASONS: dict[str, Promise] = {
    EXPIRED_CERTIFICATE: _(
        "Your Apple MDM Push certificate has expired. Enrolled Apple devices can’t be contacted, and new "
        "devices can’t be enrolled, until it is renewed."
    ),
    NO_CERTIFICATE: _("No Apple MDM Push certificate has been uploaded: devices can’t be contacted."),
    UNREACHABLE: _("Apple Push Notification service could not be reached."),
    "BadDeviceToken": _("The device’s push token is not valid."),
    "Unregistered": _(
        "The push token is no longer registered with Apple: the device was erased or unenrolled."
    ),
    "BadCertificate": _("Apple refused the Apple MDM Push certificate."),
    "BadCertificateEnvironment": _("The Apple MDM Push certificate is not for this APNs environment."),
    "TopicDisallowed": _("The push topic is not the Apple MDM Push certificate’s."),
    "BadTopic": _("The push topic is not valid."),
    "MissingTopic": _("The push had no topic."),
    "TooManyRequests": _("Apple throttled the pushes to this device."),
    "InternalServerError": _("Apple Push Notification service had an internal error."),
    "ServiceUnavailable": _("Apple Push Notification service was unavailable."),
}


def push_failure_text(status: int, reason: str) -> str:
    """A push failure explained in the reader's language."""
    known = REASONS.get(reason)
    if known is not None:
        return str(known)
    return gettext("Apple Push Notification service refused the push (%(status)s %(reason)s).") % {
        "status": status,
        "reason": reason or "-",
    }


@dataclass(frozen=True)
class PushResult:
    device_id: int
    status: int  # 0: no answer (connection error)
    reason: str = ""

    @property
    def retry(self) -> bool:
        return self.status == 0 or self.status == 429 or self.status >= 500

    @property
    def code(self) -> str:
        """What the device row keeps of its last failure: the status and APNs' reason."""
        return f"{self.status} {self.reason}".strip()[:200]


def signing_input(*, path: str, topic: str, apns_id: str, body: bytes) -> bytes:
    return f"{path}\n{topic}\n{apns_id}\n".encode() + body


def _sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def _certificate_refusal(certificate: ApplePushCertificate | None) -> str:
    if certificate is None:
        return NO_CERTIFICATE
    if certificate.status == ExpiryStatus.EXPIRED:
        return EXPIRED_CERTIFICATE
    return ""


@dataclass(frozen=True)
class _Sender:
    """What every push of a batch shares: the certificate (its escaped PEM and key), APNs' URL."""

    key: rsa.RSAPrivateKey
    escaped_certificate: str
    topic: str
    base: str

    def push(self, session: requests.Session, device: ManagedDevice) -> PushResult:
        topic = device.push_topic or self.topic
        body = json.dumps({"mdm": device.push_magic}, separators=(",", ":")).encode()
        path = f"/3/device/{device.push_token}"
        apns_id = str(uuid.uuid4()).upper()
        headers = {
            "apns-topic": topic,
            "apns-push-type": "mdm",
            "apns-priority": "10",
            "apns-id": apns_id,
            "Content-Type": "application/json",
            settings.APNS_CLIENT_CERTIFICATE_HEADER: self.escaped_certificate,
            SIGNATURE_HEADER: _sign(
                self.key, signing_input(path=path, topic=topic, apns_id=apns_id, body=body)
            ),
        }
        try:
            response = session.post(
                self.base + path, data=body, headers=headers, timeout=settings.APPLE_HTTP_TIMEOUT_SECONDS
            )
        except requests.RequestException as error:
            logger.warning("APNs cannot be reached for device %s: %s", device.pk, type(error).__name__)
            return PushResult(device.pk, 0, UNREACHABLE)
        reason = ""
        if response.status_code != 200:
            try:
                reason = str(response.json().get("reason", ""))[:64]
            except (ValueError, AttributeError):
                reason = ""
        return PushResult(device.pk, response.status_code, reason)


class _Sessions:
    """One kept-alive HTTP session per sending thread, all closed at the end."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._opened: list[requests.Session] = []
        self._lock = threading.Lock()

    def get(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
            with self._lock:
                self._opened.append(session)
        return session

    def close(self) -> None:
        for session in self._opened:
            session.close()


def _send_all(sender: _Sender, devices: list[ManagedDevice]) -> list[PushResult]:
    workers = max(1, min(settings.APNS_CONCURRENCY, len(devices)))
    sessions = _Sessions()
    try:
        with ThreadPoolExecutor(workers, thread_name_prefix="apns") as pool:
            return list(pool.map(lambda device: sender.push(sessions.get(), device), devices))
    finally:
        sessions.close()


@lru_cache(maxsize=16)
def _push_key(pem: str) -> rsa.RSAPrivateKey:
    """The push certificate's key, parsed once per process: OpenSSL's check of an RSA key costs
    tens of milliseconds of CPU, which every push (a batch of one, for a single command) paid
    before it was sent. Keyed by the PEM itself, so a renewed certificate's key is parsed anew."""
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def devices_push(*, device_ids: list[int], final_attempt: bool = False) -> list[PushResult]:
    """Push every device of `device_ids` that has a push token; each device's row records the
    outcome (`last_push_at`, or `last_push_error` and `push_failures`) and each failure is kept.
    Returns the results; those with `.retry` are the caller's to retry (counted on the device
    once `final_attempt`)."""
    devices = list(
        ManagedDevice.objects.filter(pk__in=device_ids)
        .exclude(push_token="")
        .exclude(management_state__in=(ManagementState.RETIRED, ManagementState.WIPED))
        .only("pk", "push_token", "push_magic", "push_topic", "tenant_id")
    )
    if not devices:
        return []
    certificate = push_certificate_current()
    refused = _certificate_refusal(certificate)
    if refused or certificate is None:
        # Nothing is sent: Apple would refuse an expired certificate (403), and a device never
        # accepts a push from another topic.
        results = [PushResult(device.pk, 403, refused) for device in devices]
    else:
        sender = _Sender(
            key=_push_key(certificate.private_key),
            escaped_certificate=quote(certificate.certificate_pem.strip(), safe=""),
            topic=certificate.topic,
            base=settings.APNS_BASE_URL.rstrip("/"),
        )
        results = _send_all(sender, devices)
    _outcomes_record(results, final_attempt=final_attempt)
    return results


def _outcomes_record(results: list[PushResult], *, final_attempt: bool) -> None:
    """The batch's outcomes on the devices' rows and in the failures kept: a few statements for
    the whole batch, whatever its size."""
    now = clock.now()
    delivered = [result.device_id for result in results if result.status == 200]
    if delivered:
        ManagedDevice.objects.filter(pk__in=delivered).update(
            last_push_at=now, last_push_error="", push_failures=0
        )
    failed = [result for result in results if result.status != 200]
    if not failed:
        return
    counted: dict[str, list[int]] = defaultdict(list)  # final failures, by code
    retried: dict[str, list[int]] = defaultdict(list)  # to be pushed again: not counted yet
    for result in failed:
        (retried if result.retry and not final_attempt else counted)[result.code].append(result.device_id)
    for code, ids in counted.items():
        ManagedDevice.objects.filter(pk__in=ids).update(
            last_push_error=code, push_failures=F("push_failures") + 1
        )
    for code, ids in retried.items():
        ManagedDevice.objects.filter(pk__in=ids).update(last_push_error=code)
    PushFailure.objects.bulk_create(
        [
            PushFailure(
                device_id=result.device_id,
                failed_at=now,
                status=result.status,
                reason=result.reason[:64],
                retried=result.retry and not final_attempt,
            )
            for result in failed
        ],
        batch_size=1000,
    )
    PushFailure.objects.filter(failed_at__lt=now - timedelta(days=PUSH_FAILURES_KEPT_DAYS)).delete()
