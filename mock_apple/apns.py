"""Apple Push Notification service, as an MDM server reaches it (the provider API).

`POST /3/device/<token>` with `apns-topic`, `apns-push-type`, optional `apns-id`, and the body
`{"mdm": "<PushMagic>"}`. Apple authenticates the sender by its TLS client certificate; this mock
runs behind a plain-HTTP server, so the sender passes the certificate as a TLS-terminating proxy
would, URL-escaped PEM in `X-Apns-Client-Certificate` (nginx's `$ssl_client_escaped_cert`), and
proves that it holds the key with `X-Apns-Client-Signature`: base64 RSA PKCS#1 v1.5 SHA-256 over
`path \\n apns-topic \\n apns-id \\n body` (a header alone proves nothing).

Answers, as APNs: 200 with `apns-id`; 400 `BadDeviceToken` (not hex), `BadTopic` (no topic),
`PayloadEmpty` / `BadPayload`; 403 `BadCertificate` (not a push certificate this Apple issued, not
signed with its key, or expired), `TopicDisallowed` (the certificate's topic is another);
410 `Unregistered` (with `timestamp`) for a token marked unregistered. Every push is recorded
(ApnsPush) for the token it addresses.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from urllib.parse import unquote

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from django.db import transaction

from mock_apple import clock
from mock_apple.db import DB
from mock_apple.ipad import wake
from mock_apple.models import ApnsDeviceToken, ApnsPush, CertificateAuthority, PushCertificate
from mock_apple.services.push import certificate_authority

CERTIFICATE_HEADER = "X-Apns-Client-Certificate"
SIGNATURE_HEADER = "X-Apns-Client-Signature"
TOKEN = re.compile(r"^[0-9a-fA-F]{16,200}$")
MAX_PAYLOAD = 4096


@dataclass(frozen=True)
class ApnsAnswer:
    status: int
    apns_id: str
    reason: str = ""
    timestamp_ms: int | None = None

    def body(self) -> bytes:
        if self.status == 200:
            return b""
        data: dict[str, object] = {"reason": self.reason}
        if self.timestamp_ms is not None:
            data["timestamp"] = self.timestamp_ms
        return json.dumps(data).encode()


def _certificate(escaped: str) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(unquote(escaped).encode())
    except ValueError:
        return None


def _sender(
    escaped: str, signature: str, *, path: str, topic: str, apns_id: str, body: bytes
) -> PushCertificate | None:
    """The push certificate this Apple issued that sent the request, if it proves it."""
    certificate = _certificate(escaped)
    if certificate is None:
        return None
    if not _issued_by(_push_authority_pem(), certificate.public_bytes(Encoding.DER)):
        return None
    issued = PushCertificate.objects.filter(serial_number=format(certificate.serial_number, "X")).first()
    if issued is None:
        return None
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        return None
    try:
        key.verify(
            base64.b64decode(signature, validate=True),
            f"{path}\n{topic}\n{apns_id}\n".encode() + body,
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError, binascii.Error):
        return None
    return issued


def _push_authority_pem() -> str:
    """The push CA's certificate: a plain read of one column (certificate_authority() locks the
    row to make it on first use, which put every push of a burst in one queue, and decrypts its
    key, which a push never needs)."""
    pem = (
        CertificateAuthority.objects.filter(purpose=CertificateAuthority.Purpose.PUSH)
        .order_by("id")
        .values_list("certificate_pem", flat=True)
        .first()
    )
    return pem or certificate_authority().certificate_pem


@lru_cache(maxsize=256)
def _issued_by(authority_pem: str, certificate_der: bytes) -> bool:
    """The certificate was signed by this Apple's push CA: checked once per process for the same
    two certificates (a sender pushes thousands of times with one certificate)."""
    authority = x509.load_pem_x509_certificate(authority_pem.encode())
    try:
        x509.load_der_x509_certificate(certificate_der).verify_directly_issued_by(authority)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _wake(token: str) -> None:
    """The runner wakes at once; the push's row (delivered_at null) is the durable queue."""
    transaction.on_commit(lambda: wake.push_received(token.lower()), using=DB)


def apns_push_receive(*, token: str, headers: Mapping[str, str], body: bytes, path: str) -> ApnsAnswer:
    """Answer one provider request as APNs does, and record it."""
    apns_id = headers.get("apns-id") or str(uuid.uuid4()).upper()
    topic = headers.get("apns-topic", "")
    now = clock.now()
    sender = _sender(
        headers.get(CERTIFICATE_HEADER, ""),
        headers.get(SIGNATURE_HEADER, ""),
        path=path,
        topic=topic,
        apns_id=apns_id,
        body=body,
    )
    # One read of the token's row for the answer (410) and for whether it must be written.
    device_token = ApnsDeviceToken.objects.filter(token=token.lower()).first() if TOKEN.match(token) else None
    answer = _answer(token, topic, body, sender, apns_id, device_token, now)
    # The token is written only when it is new or its topic changed (a device is pushed many times
    # with the same topic: one read, then the push's row alone, with no transaction around it).
    known = answer.status == 200 and device_token is not None and device_token.topic == topic
    push = ApnsPush(
        token=_text(token.lower(), 200),
        topic=_text(topic, 255),
        push_type=_text(headers.get("apns-push-type", ""), 32),
        apns_id=_text(apns_id, 64),
        payload=_text(body[:MAX_PAYLOAD].decode("utf-8", "replace"), MAX_PAYLOAD),
        status=answer.status,
        reason=answer.reason,
        certificate=sender,
        received_at=now,
    )
    if answer.status != 200 or known:
        push.save(using=DB)
        if answer.status == 200:
            _wake(token)
        return answer
    with transaction.atomic(using=DB):
        # One upsert (INSERT … ON CONFLICT), not update_or_create's locked read, savepoint and
        # insert: a fleet's first pushes are all to new tokens.
        ApnsDeviceToken.objects.bulk_create(
            [ApnsDeviceToken(token=token.lower(), topic=topic)],
            update_conflicts=True,
            unique_fields=["token"],
            update_fields=["topic"],
        )
        push.save(using=DB)
    _wake(token)
    return answer


def _text(value: str, length: int) -> str:
    """What a text column can keep (PostgreSQL refuses NUL characters)."""
    return value.replace("\x00", "")[:length]


def _answer(
    token: str,
    topic: str,
    body: bytes,
    sender: PushCertificate | None,
    apns_id: str,
    known: ApnsDeviceToken | None,
    now: datetime,
) -> ApnsAnswer:
    """APNs' answer (`known`: the token's row, `now`: the clock, each read once by the caller —
    the mock's clock is a query)."""
    if sender is None:
        return ApnsAnswer(403, apns_id, "BadCertificate")
    if sender.not_after <= now:
        return ApnsAnswer(403, apns_id, "BadCertificate")
    if not topic:
        return ApnsAnswer(400, apns_id, "MissingTopic")
    if topic != sender.topic:
        return ApnsAnswer(403, apns_id, "TopicDisallowed")
    if not TOKEN.match(token):
        return ApnsAnswer(400, apns_id, "BadDeviceToken")
    if not body:
        return ApnsAnswer(400, apns_id, "PayloadEmpty")
    if len(body) > MAX_PAYLOAD:
        return ApnsAnswer(413, apns_id, "PayloadTooLarge")
    try:
        payload = json.loads(body)
    except ValueError:
        return ApnsAnswer(400, apns_id, "BadPayload")
    if not isinstance(payload, dict) or not isinstance(payload.get("mdm"), str):
        return ApnsAnswer(400, apns_id, "BadPayload")
    if known is not None and known.unregistered_at is not None:
        return ApnsAnswer(410, apns_id, "Unregistered", int(known.unregistered_at.timestamp() * 1000))
    return ApnsAnswer(200, apns_id)


def apns_token_unregister(*, token: str) -> ApnsDeviceToken:
    """Mark a device token unregistered (the device was erased or unenrolled): pushes get 410."""
    if not TOKEN.match(token):
        raise ValueError("not a device token")
    device_token, _created = ApnsDeviceToken.objects.update_or_create(
        token=token.lower(), defaults={"unregistered_at": clock.now()}
    )
    return device_token
