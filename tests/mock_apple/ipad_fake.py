"""A fake portal for the virtual iPad tests: it answers the device's signed requests as the
enrollment contract says, after checking their identity the way the portal does."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mock_apple.ipad import identity, mdm, setup_assistant
from mock_apple.models import Device, MdmServer, Organization, VirtualDevice
from mock_apple.services import assignments
from tests.mock_apple.conftest import server_with_token

PORTAL = "http://portal.test"
ENROLL_URL = f"{PORTAL}/enroll/tok-1/"
CHECKIN_URL = f"{ENROLL_URL}checkin/"


def profile_data(**values: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "profile_name": "Cart 3",
        "url": ENROLL_URL,
        "is_supervised": True,
        "is_mandatory": True,
        "is_mdm_removable": False,
        "is_multi_user": False,
        "await_device_configured": False,
        "department": "IT department",
        "support_phone_number": "+33 1 23 45 67 89",
        "skip_setup_items": [],
    }
    data.update(values)
    return data


def ipad_with_profile(organization: Organization, **values: Any) -> tuple[VirtualDevice, MdmServer]:
    """An iPad of the inventory assigned to an MDM server with this profile, never powered on."""
    server, _ = server_with_token(organization, devices=6)
    device = Device.objects.filter(mdm_server=server, device_family="iPad").order_by("serial_number").first()
    assert device is not None
    if values.pop("no_profile", False):
        if values.pop("known_url", True):
            assignments.profile_define(server=server, data=profile_data())
    else:
        profile = assignments.profile_define(server=server, data=profile_data(**values))
        assignments.profile_assign(
            server=server, profile=profile, serials=[device.serial_number], throttling=False
        )
    return identity.virtual_device_of(Device.objects.get(pk=device.pk)), server


@dataclass
class FakePortal:
    """Answers by URL; `answers` overrides the default answer of an URL with (status, body)."""

    answers: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    enrollment: dict[str, Any] = field(default_factory=dict)
    checkin: dict[str, Any] = field(default_factory=dict)
    down: bool = False

    def post(self, virtual: VirtualDevice, url: str, payload: dict[str, Any]) -> mdm.PortalAnswer:
        body = json.dumps(payload).encode()
        headers = identity.signed_headers(virtual, body)
        serial, udid = identity.device_identity_verify(
            certificate_b64=headers["X-Apple-Device-Certificate"],
            signature_b64=headers["X-Apple-Device-Signature"],
            body=body,
        )
        assert (serial, udid) == (payload["serial_number"], payload["udid"])
        self.calls.append((url, payload))
        if self.down:
            return mdm.PortalAnswer(0, {})
        if url in self.answers:
            status, data = self.answers[url]
            return mdm.PortalAnswer(status, data)
        if url == ENROLL_URL:
            if payload["profile_uuid"] is None:
                return mdm.PortalAnswer(403, {"code": "NO_PROFILE", "message": "No profile."})
            return mdm.PortalAnswer(
                200,
                {
                    "status": "enrolled",
                    "device_name": "IPAD-0001",
                    "managed_by": "Contoso",
                    "supervised": True,
                    "removable": False,
                    "await_configuration": False,
                    "checkin_url": CHECKIN_URL,
                    "user": None,
                    "company_portal": False,
                    **self.enrollment,
                },
            )
        if url == CHECKIN_URL:
            return mdm.PortalAnswer(
                200,
                {
                    "await_configuration": False,
                    "device_name": "IPAD-0001",
                    "apps": [],
                    "state": "enrolled",
                    **self.checkin,
                },
            )
        return mdm.PortalAnswer(200, {})


def setup_to_wifi(virtual: VirtualDevice, language: str = "en") -> VirtualDevice:
    setup_assistant.power_on(virtual)
    setup_assistant.go(virtual, "language")
    setup_assistant.choose_language(virtual, language)
    setup_assistant.choose_region(virtual, "FR")
    return setup_assistant.join_wifi(virtual, "Contoso-Students")


def walk_panes(virtual: VirtualDevice) -> list[str]:
    seen = []
    while virtual.pane.startswith("pane:"):
        seen.append(virtual.pane[5:])
        setup_assistant.pane_continue(virtual)
    return seen
