"""Device identity (contract §1): certificate chain, validity, body signature, serial and UDID."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from mdm import identity
from mdm.identity import DeviceCaUnavailable, DeviceIdentityError, device_identity_verify
from tests.mdm.virtual_device import ca_create, device_issue

pytestmark = pytest.mark.django_db

BODY = b'{"serial_number": "DMPQ000001", "udid": "X"}'


def _verify(device, body: bytes = BODY, *, headers=None, serial=None, udid=None, now=None):
    return device_identity_verify(
        headers=headers if headers is not None else device.headers(body),
        body=body,
        serial_number=serial or device.serial_number,
        udid=udid or device.udid,
        now=now,
    )


def test_a_device_of_apples_ca_is_identified(device_ca, virtual_device) -> None:
    device = virtual_device("DMPQ000001")
    found = _verify(device)
    assert (found.serial_number, found.udid) == ("DMPQ000001", device.udid)


def test_an_ec_device_key_is_checked_with_ecdsa(device_ca) -> None:
    device = device_issue(device_ca, "DMPQ000002", ec_key=True)
    assert _verify(device).serial_number == "DMPQ000002"


def test_the_ca_is_fetched_once_then_cached(device_ca, virtual_device) -> None:
    device = virtual_device("DMPQ000001")
    _verify(device)
    _verify(device)
    assert len(device_ca.fetches) == 1


def test_a_certificate_from_another_ca_is_refused(device_ca) -> None:
    stranger = device_issue(ca_create("Not Apple"), "DMPQ000001")
    with pytest.raises(DeviceIdentityError, match="not issued by Apple"):
        _verify(stranger)
    # The portal asked Apple again in case its CA changed, once, not at every request.
    with pytest.raises(DeviceIdentityError):
        _verify(stranger)
    assert len(device_ca.fetches) == 2


def test_an_expired_certificate_is_refused_by_the_app_clock(device_ca) -> None:
    now = timezone.now()
    device = device_issue(
        device_ca, "DMPQ000003", not_before=now - timedelta(days=30), not_after=now - timedelta(days=1)
    )
    with pytest.raises(DeviceIdentityError, match="not valid at this date"):
        _verify(device)
    fresh = device_issue(device_ca, "DMPQ000004")
    with pytest.raises(DeviceIdentityError, match="not valid at this date"):
        _verify(fresh, now=now + timedelta(days=4000))


def test_a_signature_of_another_body_or_key_is_refused(device_ca, virtual_device) -> None:
    device = virtual_device("DMPQ000001")
    with pytest.raises(DeviceIdentityError, match="signature"):
        _verify(device, BODY, headers=device.headers(BODY + b" "))
    other = virtual_device("DMPQ000009")
    with pytest.raises(DeviceIdentityError, match="signature"):
        _verify(device, BODY, headers=device.headers(BODY, key=other.key))


def test_the_body_must_claim_the_certificates_serial_and_udid(device_ca, virtual_device) -> None:
    device = virtual_device("DMPQ000001")
    with pytest.raises(DeviceIdentityError, match="serial number"):
        _verify(device, serial="DMPQ000002")
    with pytest.raises(DeviceIdentityError, match="UDID"):
        _verify(device, udid="SOMEONE-ELSE")


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Apple-Device-Certificate": "not base64!", "X-Apple-Device-Signature": "AA=="}],
)
def test_missing_or_garbled_headers_are_refused(device_ca, headers) -> None:
    with pytest.raises(DeviceIdentityError):
        device_identity_verify(headers=headers, body=BODY, serial_number="A", udid="B")


def test_a_certificate_that_is_not_der_is_refused(device_ca) -> None:
    headers = {"X-Apple-Device-Certificate": "AAAA", "X-Apple-Device-Signature": "AAAA"}
    with pytest.raises(DeviceIdentityError, match="cannot be read"):
        device_identity_verify(headers=headers, body=BODY, serial_number="A", udid="B")


@responses.activate
def test_the_ca_comes_from_apple_over_http(settings, db) -> None:
    settings.APPLE_BASE_URL = "http://apple.test"
    ca = ca_create()
    responses.get(
        "http://apple.test/deviceservices/ca.pem", body=ca.pem, content_type="application/x-pem-file"
    )
    assert identity.apple_device_ca().subject == ca.certificate.subject
    identity.apple_device_ca()
    assert len(responses.calls) == 1  # cached


@responses.activate
def test_apple_down_or_garbage_is_unavailable_not_a_bad_device(settings, db) -> None:
    settings.APPLE_BASE_URL = "http://apple.test"
    responses.get("http://apple.test/deviceservices/ca.pem", status=503)
    with pytest.raises(DeviceCaUnavailable):
        identity.apple_device_ca()
    responses.replace(responses.GET, "http://apple.test/deviceservices/ca.pem", body=json.dumps({}))
    with pytest.raises(DeviceCaUnavailable):
        identity.apple_device_ca()
