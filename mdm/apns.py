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
with back-off (mdm/tasks.py).
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from dataclasses import dataclass
from urllib.parse import quote

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.utils.translation import gettext as _

from asm_portal import clock
from mdm.models import ManagedDevice, ManagementState
from tokens.models import ApplePushCertificate, ExpiryStatus
from tokens.push_certificates import push_certificate_current

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Apns-Client-Signature"


@dataclass(frozen=True)
class PushResult:
    device_id: int
    status: int  # 0: no answer (connection error)
    reason: str = ""

    @property
    def retry(self) -> bool:
        return self.status == 0 or self.status == 429 or self.status >= 500


def signing_input(*, path: str, topic: str, apns_id: str, body: bytes) -> bytes:
    return f"{path}\n{topic}\n{apns_id}\n".encode() + body


def _sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def _record(device: ManagedDevice, *, error: str) -> None:
    now = clock.now()
    if error:
        ManagedDevice.objects.filter(pk=device.pk).update(
            last_push_error=error[:200], push_failures=device.push_failures + 1
        )
    else:
        ManagedDevice.objects.filter(pk=device.pk).update(
            last_push_at=now, last_push_error="", push_failures=0
        )


def _certificate_error(certificate: ApplePushCertificate | None) -> str:
    if certificate is None:
        return _("No Apple MDM Push certificate has been uploaded: devices cannot be contacted.")
    if certificate.status == ExpiryStatus.EXPIRED:
        # Intune's message when the MDM push certificate has expired.
        return _("The Apple MDM Push certificate has expired. Renew it to continue managing Apple devices.")
    return ""


def devices_push(*, device_ids: list[int], final_attempt: bool = False) -> list[PushResult]:
    """Push every device of `device_ids` that has a push token (one HTTP connection, kept
    alive); each device's row records the outcome (`last_push_at`, or `last_push_error` and
    `push_failures`). Returns the results; those with `.retry` are the caller's to retry."""
    devices = list(
        ManagedDevice.objects.filter(pk__in=device_ids)
        .exclude(push_token="")
        .exclude(management_state__in=(ManagementState.RETIRED, ManagementState.WIPED))
        .only("pk", "push_token", "push_magic", "push_topic", "push_failures", "tenant_id")
    )
    if not devices:
        return []
    certificate = push_certificate_current()
    refused = _certificate_error(certificate)
    if refused or certificate is None:
        for device in devices:
            _record(device, error=refused)
        return [PushResult(device.pk, 403, "ExpiredCertificate") for device in devices]
    key = serialization.load_pem_private_key(certificate.private_key.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    escaped = quote(certificate.certificate_pem.strip(), safe="")
    base = settings.APNS_BASE_URL.rstrip("/")
    results = []
    with requests.Session() as session:
        for device in devices:
            topic = device.push_topic or certificate.topic
            body = json.dumps({"mdm": device.push_magic}, separators=(",", ":")).encode()
            path = f"/3/device/{device.push_token}"
            apns_id = str(uuid.uuid4()).upper()
            headers = {
                "apns-topic": topic,
                "apns-push-type": "mdm",
                "apns-priority": "10",
                "apns-id": apns_id,
                "Content-Type": "application/json",
                settings.APNS_CLIENT_CERTIFICATE_HEADER: escaped,
                SIGNATURE_HEADER: _sign(
                    key, signing_input(path=path, topic=topic, apns_id=apns_id, body=body)
                ),
            }
            try:
                response = session.post(
                    base + path, data=body, headers=headers, timeout=settings.APPLE_HTTP_TIMEOUT_SECONDS
                )
            except requests.RequestException as error:
                logger.warning("APNs cannot be reached for device %s: %s", device.pk, type(error).__name__)
                result = PushResult(device.pk, 0, "Unreachable")
            else:
                reason = ""
                if response.status_code != 200:
                    try:
                        reason = str(response.json().get("reason", ""))[:100]
                    except ValueError:
                        reason = ""
                result = PushResult(device.pk, response.status_code, reason)
            if result.status == 200:
                _record(device, error="")
            elif not result.retry or final_attempt:
                _record(device, error=_push_error_text(result))
            else:
                # Counted in push_failures once the retries are exhausted.
                ManagedDevice.objects.filter(pk=device.pk).update(
                    last_push_error=_push_error_text(result)[:200]
                )
            results.append(result)
    return results


def _push_error_text(result: PushResult) -> str:
    if result.status == 0:
        return _("Apple Push Notification service could not be reached; the push will be retried.")
    return _("Apple Push Notification service refused the push (%(status)s %(reason)s).") % {
        "status": result.status,
        "reason": result.reason or "-",
    }
