"""The control API drives a virtual iPad without a browser: its state as JSON, Setup Assistant
unattended into an MDM server, check in now, erase, power; another organisation's iPad is a 404."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from mock_apple.models import Organization, VirtualDevice
from tests.mock_apple.conftest import APPLE_DB
from tests.mock_apple.engine.conftest import ipad_assigned
from tests.mock_apple.engine.mdm_server import MinimalMdm

pytestmark = pytest.mark.django_db(databases=APPLE_DB)


def call(method: str, path: str, body: Any = None, org: str = "") -> Any:
    headers = {"X-Mock-Control-Token": settings.MOCK_APPLE_CONTROL_TOKEN}
    if org:
        headers["X-Mock-Organization"] = org
    return Client(headers=headers).generic(
        method,
        f"/_mock/{path}",
        json.dumps(body) if body is not None else "",
        content_type="application/json",
    )


def test_script_an_ipad_through_enrollment_and_commands(
    apple_settings: Any, organization: Organization, mdm: MinimalMdm
) -> None:
    settings.MOCK_APPLE_CONTROL_TOKEN = "control-secret"
    virtual = ipad_assigned(organization, f"{mdm.base_url}/enroll")
    serial = virtual.device.serial_number

    state = call("GET", f"ipads/{serial}").json()
    assert state["udid"] == virtual.udid and state["enrollment"]["enrolled"] is False

    answer = call("POST", f"ipads/{serial}/setup", {"language": "fr"})
    assert answer.status_code == 200, answer.json()
    body = answer.json()["device"]
    assert body["pane"] == "home" and body["enrollment"]["enrolled"] and body["enrollment"]["push_token"]
    assert [p["identifier"] for p in body["profiles"]] == ["test.minimal-mdm"]
    assert "BEGIN CERTIFICATE" in body["identity"]["mdm_certificate"]

    mdm.send("Settings", Settings=[{"Item": "DeviceName", "DeviceName": "Chariot 2"}])
    checked = call("POST", f"ipads/{serial}/checkin").json()
    assert checked["commands"] == 1 and checked["device"]["device_name"] == "Chariot 2"
    settings_entry = next(e for e in checked["device"]["log"] if e["request_type"] == "Settings")
    assert settings_entry["status"] == "Acknowledged" and "<key>Settings</key>" in settings_entry["reply"]
    # ?log=N, as documented: the last N exchanges; not a number is a 400.
    assert len(call("GET", f"ipads/{serial}?log=2").json()["log"]) == 2
    assert call("GET", f"ipads/{serial}?log=two").status_code == 400

    assert call("POST", f"ipads/{serial}/power", {"on": False}).json()["state"] == VirtualDevice.State.OFF
    assert call("POST", f"ipads/{serial}/erase").json()["pane"] == "hello"
    assert call("POST", f"ipads/{serial}/pane", {"action": "nope"}).status_code == 400

    other = Organization.objects.create(
        name="Fabrikam", org_id="FABRIKAM01", email="it@fabrikam.edu", domain="fabrikam.edu"
    )
    assert call("GET", f"ipads/{serial}", org=other.org_id).status_code == 404
