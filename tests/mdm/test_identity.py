"""Apple's device CA, which MachineInfo signatures must chain to: fetched from Apple over HTTP,
cached, and an Apple that cannot be reached is not a bad device."""

from __future__ import annotations

import json

import pytest
import responses

from mdm import identity
from mdm.identity import DeviceCaUnavailable
from tests.mdm.virtual_device import ca_create

pytestmark = pytest.mark.django_db


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
