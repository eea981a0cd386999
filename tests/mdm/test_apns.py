"""APNs: the portal's pusher (mdm/apns.py, mdm/tasks.py) against the mock Apple service's APNs
endpoint, served in its own process; the push certificate is one the mock issued."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.urls import reverse

from asm_portal import clock
from asm_portal.tenancy import require_tenant
from mdm import apns, commands, tasks
from mdm.models import ManagedDevice, PushFailure
from mock_apple.models import ApnsDeviceToken, ApnsPush
from mock_apple.services import push as mock_push
from tests.mdm.mdm_client import self_signed
from tests.mock_apple.conftest import admin_of, control, dep_server, live, organization_create  # noqa: F401
from tokens import push_certificates
from tokens.models import ApplePushCertificate

pytestmark = live


@pytest.fixture
def pushing(settings, dep_server, admin_user):  # noqa: F811
    settings.APNS_BASE_URL = dep_server
    organization = organization_create(devices=0)
    request = push_certificates.push_certificate_request_create(actor=admin_user)
    issued = mock_push.push_certificate_issue(actor=admin_of(organization), csr_data=request.csr_pem.encode())
    certificate = push_certificates.push_certificate_upload(
        actor=admin_user, apple_id="admin@appleid.contoso.edu", data=issued.certificate_pem.encode()
    )
    return certificate


def device(topic: str, token: str = "a1" * 32, udid: str = "UDID-1") -> ManagedDevice:
    return ManagedDevice.objects.create(
        tenant=require_tenant(),
        udid=udid,
        serial_number="DMPQ000001",
        enrolled_at=clock.now(),
        push_token=token,
        push_magic="5F0E1A43-MAGIC",
        push_topic=topic,
    )


def test_enqueue_pushes_the_push_magic_with_the_tenants_certificate(
    pushing, django_capture_on_commit_callbacks
) -> None:
    managed = device(pushing.topic)
    with django_capture_on_commit_callbacks(execute=True):
        commands.command_enqueue(device=managed, request_type="DeviceInformation")
    [push] = ApnsPush.objects.all()
    assert push.status == 200 and push.token == "a1" * 32 and push.topic == pushing.topic
    assert json.loads(push.payload) == {"mdm": "5F0E1A43-MAGIC"}
    assert push.push_type == "mdm" and push.certificate is not None
    managed.refresh_from_db()
    assert managed.last_push_at is not None and managed.last_push_error == "" and managed.push_failures == 0


def test_the_mock_keeps_each_token_once_with_its_latest_topic(pushing, dep_server) -> None:  # noqa: F811
    """A new token is recorded at its first accepted push, its topic follows later pushes, and
    an unregistered token stays unregistered (410) whatever is pushed to it."""
    first = device(pushing.topic, token="d4" * 32, udid="U6")
    assert [r.status for r in apns.devices_push(device_ids=[first.pk])] == [200]
    assert [r.status for r in apns.devices_push(device_ids=[first.pk])] == [200]
    [kept] = ApnsDeviceToken.objects.filter(token="d4" * 32)
    assert kept.topic == pushing.topic and kept.unregistered_at is None
    ApnsDeviceToken.objects.filter(pk=kept.pk).update(topic="com.apple.mgmt.External.before")
    assert [r.status for r in apns.devices_push(device_ids=[first.pk])] == [200]
    kept.refresh_from_db()
    assert kept.topic == pushing.topic and ApnsDeviceToken.objects.filter(token="d4" * 32).count() == 1
    assert control(dep_server, "POST", f"apns/tokens/{'d4' * 32}/unregister").status_code == 200
    assert [(r.status, r.reason) for r in apns.devices_push(device_ids=[first.pk])] == [(410, "Unregistered")]
    kept.refresh_from_db()
    assert kept.unregistered_at is not None
    assert sorted(ApnsPush.objects.values_list("status", flat=True)) == [200, 200, 200, 410]


def test_apns_refusals_are_recorded_on_the_device(pushing, dep_server) -> None:  # noqa: F811
    wrong_topic = device("com.apple.mgmt.External.someone-else", udid="U1")
    bad_token = device(pushing.topic, token="not-hex", udid="U2")
    gone = device(pushing.topic, token="b2" * 32, udid="U3")
    assert control(dep_server, "POST", f"apns/tokens/{'b2' * 32}/unregister").status_code == 200
    results = {
        r.device_id: (r.status, r.reason)
        for r in apns.devices_push(device_ids=[wrong_topic.pk, bad_token.pk, gone.pk])
    }
    assert results == {
        wrong_topic.pk: (403, "TopicDisallowed"),
        bad_token.pk: (400, "BadDeviceToken"),
        gone.pk: (410, "Unregistered"),
    }
    for managed in (wrong_topic, bad_token, gone):
        managed.refresh_from_db()
        assert managed.push_failures == 1 and managed.last_push_error and managed.last_push_at is None
    assert sorted(ApnsPush.objects.values_list("status", flat=True)) == [400, 403, 410]
    # Each failure is kept, final (not retried), with APNs' answer.
    assert sorted(PushFailure.objects.values_list("device_id", "status", "reason", "retried")) == sorted(
        [
            (wrong_topic.pk, 403, "TopicDisallowed", False),
            (bad_token.pk, 400, "BadDeviceToken", False),
            (gone.pk, 410, "Unregistered", False),
        ]
    )


def test_push_failures_are_shown_on_the_push_certificate_blade_and_the_device(
    pushing,
    dep_server,  # noqa: F811
    admin_client,
) -> None:
    gone = device(pushing.topic, token="c3" * 32, udid="U4")
    bad_token = device(pushing.topic, token="not-hex", udid="U5")
    assert control(dep_server, "POST", f"apns/tokens/{'c3' * 32}/unregister").status_code == 200
    apns.devices_push(device_ids=[gone.pk, bad_token.pk])
    apns.devices_push(device_ids=[gone.pk])  # pushed again: two failures of the same device
    blade = admin_client.get(reverse("tokens:push_certificate")).content.decode()
    assert 'data-push-failures="3"' in blade
    assert "3 pushes to devices failed in the last 7 days (2 devices)" in blade
    assert 'data-reason="Unregistered"' in blade and 'data-reason="BadDeviceToken"' in blade
    assert "the device was erased or unenrolled" in blade and "push token is not valid" in blade
    page = admin_client.get(reverse("mdm:device", args=[gone.pk])).content.decode()
    assert "Intune couldn’t wake this device" in page and "the device was erased or unenrolled" in page
    # In French, as the reader reads it (the rows keep APNs' reason, not a sentence).
    admin_client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    blade = admin_client.get(reverse("tokens:push_certificate")).content.decode()
    assert "3 notifications push vers des appareils ont échoué" in blade
    # Delivered: the device shows no failure any more; the blade still counts the recent ones.
    PushFailure.objects.all().delete()
    ManagedDevice.objects.filter(pk=gone.pk).update(push_token="d4" * 32)
    [result] = apns.devices_push(device_ids=[gone.pk])
    assert result.status == 200
    page = admin_client.get(reverse("mdm:device", args=[gone.pk])).content.decode()
    assert "couldn’t wake" not in page and "n’a pas pu réveiller" not in page
    blade = admin_client.get(reverse("tokens:push_certificate")).content.decode()
    assert "Aucune notification push" in blade


def test_a_certificate_apple_did_not_issue_or_a_header_without_the_key_is_403(pushing, dep_server) -> None:  # noqa: F811
    managed = device(pushing.topic)
    # A self-signed certificate with the same key: not Apple's.
    key = serialization.load_pem_private_key(pushing.private_key.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    ApplePushCertificate.objects.filter(pk=pushing.pk).update(
        certificate_pem=self_signed(key, "forged").public_bytes(serialization.Encoding.PEM).decode()
    )
    [result] = apns.devices_push(device_ids=[managed.pk])
    assert (result.status, result.reason) == (403, "BadCertificate")
    # Apple's certificate in the header, but the request signed with another key.
    body = json.dumps({"mdm": "x"}).encode()
    from urllib.parse import quote

    response = requests.post(
        f"{dep_server}/3/device/{'a1' * 32}",
        data=body,
        headers={
            "apns-topic": pushing.topic,
            "X-Apns-Client-Certificate": quote(pushing.certificate_pem, safe=""),
            "X-Apns-Client-Signature": "AAAA",
        },
        timeout=10,
    )
    assert response.status_code == 403 and response.json()["reason"] == "BadCertificate"
    assert response.headers["apns-id"]


def test_an_expired_push_certificate_stops_pushes_with_intunes_message(pushing, admin_client) -> None:
    managed = device(pushing.topic)
    ApplePushCertificate.objects.filter(pk=pushing.pk).update(expires_at=clock.now() - timedelta(days=1))
    [result] = apns.devices_push(device_ids=[managed.pk])
    assert (result.status, result.reason) == (403, "ExpiredCertificate")
    managed.refresh_from_db()
    assert managed.last_push_error == "403 ExpiredCertificate" and managed.push_failures == 1
    assert ApnsPush.objects.count() == 0  # nothing sent
    assert list(PushFailure.objects.values_list("reason", "retried")) == [("ExpiredCertificate", False)]
    # Intune's message, on the device.
    page = admin_client.get(reverse("mdm:device", args=[managed.pk])).content.decode()
    assert "Your Apple MDM Push certificate has expired. Enrolled Apple devices can’t be contacted" in page


def test_unreachable_apns_is_retried_with_back_off_then_recorded(pushing, settings, monkeypatch) -> None:
    settings.APNS_BASE_URL = "http://127.0.0.1:9"  # nothing listens
    managed = device(pushing.topic)
    delays: list[int] = []
    original = tasks.devices_push_task.apply_async

    def record(args, countdown=0, **kwargs):
        delays.append(countdown)
        return original(args, **kwargs)

    monkeypatch.setattr(tasks.devices_push_task, "apply_async", record)
    tasks.devices_push_task(require_tenant().pk, [managed.pk])
    assert delays == list(tasks.PUSH_RETRY_DELAYS)
    managed.refresh_from_db()
    assert managed.push_failures == 1 and managed.last_push_error == "0 Unreachable"
    # Every attempt is kept: the retried ones, then the last.
    retried = list(PushFailure.objects.order_by("id").values_list("retried", flat=True))
    assert retried == [True] * len(tasks.PUSH_RETRY_DELAYS) + [False]
