"""Done when: pyaxm (PyPI), pointed at the mock, lists devices and MDM servers, assigns devices
with an activity and reads its result; the next DEP sync sees the assignment."""

from __future__ import annotations

from typing import Any

import pyaxm.abm_requests  # type: ignore[import-untyped]
import pyaxm.client  # type: ignore[import-untyped]
import requests

from mock_apple.models import Device, MdmServer, Organization
from mock_apple.services import api_accounts, controls
from tests.mock_apple.conftest import DepClient, live, server_with_token

APPLE_HOSTS = ("https://account.apple.com", "https://api-business.apple.com", "https://api-school.apple.com")


def mock_session(base_url: str) -> type[requests.Session]:
    """A requests session that sends pyaxm's calls for Apple's hosts to the mock."""

    class MockSession(requests.Session):
        def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
            target = str(url)
            for host in APPLE_HOSTS:
                if target.startswith(host):
                    target = base_url + target[len(host) :]
            given = kwargs.pop("headers", None) or {}
            kwargs["headers"] = {k: v for k, v in given.items() if k.lower() != "host"}
            return super().request(method, target, *args, **kwargs)

    return MockSession


def pyaxm_walkthrough(
    dep_server: str,
    organization: Organization,
    *,
    client_id: str,
    key_id: str,
    key_path: Any,
    monkeypatch: Any,
) -> None:
    """pyaxm lists, assigns with an activity and reads it; the DEP sync then sees the devices."""
    server = MdmServer.objects.get(organization=organization, name="Intune")
    token = server_token(server)
    controls.config_update(api_get_per_minute=0, api_activity_posts_per_hour=0, api_activity_seconds=0)
    monkeypatch.setattr(pyaxm.abm_requests.requests, "Session", mock_session(dep_server))
    monkeypatch.setattr(pyaxm.client.time, "sleep", lambda seconds: None)
    dep = DepClient(dep_server, token)
    dep.authenticate()
    cursor = dep.call("POST", "/server/devices", {}).json()["cursor"]

    client = pyaxm.client.Client(
        axm_client_id=client_id,
        axm_key_id=key_id,
        key_path=str(key_path),
        token_path=str(key_path.parent / "token.json"),
    )
    devices = client.list_devices()
    assert len(devices) == Device.objects.filter(organization=organization).count()
    servers = client.list_mdm_servers()
    assert [s.id for s in servers] == [server.server_uuid]
    serials = [device.id for device in devices if device.attributes.status == "UNASSIGNED"][:3]
    activity = client.assign_unassign_device_to_mdm_server(serials, server.server_uuid, "ASSIGN_DEVICES")
    assert activity.attributes.status == "COMPLETED"
    assert "COMPLETED_WITH_SUCCESS" in str(activity.attributes.subStatus)
    linked = sorted(link.id for link in client.list_devices_in_mdm_server(server.server_uuid))
    assert set(serials) <= set(linked)
    assert client.get_device_server_assignment(serials[0]).id == server.server_uuid

    synced = dep.call("POST", "/devices/sync", {"cursor": cursor}).json()["devices"]
    assert sorted(d["serial_number"] for d in synced) == sorted(serials)


def server_token(server: MdmServer) -> dict[str, str]:
    from mock_apple.services import mdm_servers

    _, values = mdm_servers.server_token_issue(actor=None, server=server, issued_by=None)
    return values


def business(organization: Organization) -> Organization:
    """pyaxm asks for the business.api scope: an Apple Business organisation."""
    Organization.objects.filter(pk=organization.pk).update(org_type=Organization.OrgType.ORG)
    organization.refresh_from_db()
    return organization


@live
def test_pyaxm_lists_assigns_and_reads_the_activity(dep_server, organization, tmp_path, monkeypatch) -> None:
    business(organization)
    server_with_token(organization, devices=0)
    created = api_accounts.api_account_create(actor=None, organization=organization, name="pyaxm")
    key_path = tmp_path / "key.pem"
    key_path.write_text(created.private_key_pem)
    pyaxm_walkthrough(
        dep_server,
        organization,
        client_id=created.account.client_id,
        key_id=created.account.key_id,
        key_path=key_path,
        monkeypatch=monkeypatch,
    )
