"""Fixtures of the engine tests: a virtual iPad of the mock's inventory, assigned with a DEP
profile whose url is a minimal MDM server's (tests/mock_apple/engine/mdm_server.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography import x509

from mock_apple.ipad import identity
from mock_apple.models import CertificateAuthority, Device, Organization, VirtualDevice
from mock_apple.services import assignments
from mock_apple.services.push import certificate_authority
from tests.mock_apple.conftest import server_with_token
from tests.mock_apple.engine.mdm_server import MinimalMdm, minimal_mdm


def device_ca() -> x509.Certificate:
    authority = certificate_authority(CertificateAuthority.Purpose.DEVICE)
    return x509.load_pem_x509_certificate(authority.certificate_pem.encode())


def ipad_assigned(organization: Organization, url: str, **profile: Any) -> VirtualDevice:
    """An iPad of the inventory assigned to an MDM server whose DEP profile's url is `url`."""
    server, _ = server_with_token(organization, name=f"MDM {uuid.uuid4().hex[:8]}", devices=3)
    device = Device.objects.filter(mdm_server=server, device_family="iPad").order_by("serial_number").first()
    assert device is not None
    data = {
        "profile_name": "Engine test",
        "url": url,
        "is_supervised": True,
        "is_mandatory": True,
        "is_mdm_removable": True,
        "await_device_configured": False,
        "skip_setup_items": [],
        **profile,
    }
    defined = assignments.profile_define(server=server, data=data)
    assignments.profile_assign(
        server=server, profile=defined, serials=[device.serial_number], throttling=False
    )
    return identity.virtual_device_of(Device.objects.get(pk=device.pk))


@pytest.fixture
def mdm() -> Iterator[MinimalMdm]:
    with minimal_mdm(device_ca()) as server:
        yield server
