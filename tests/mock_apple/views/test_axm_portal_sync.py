"""Done when: the portal's next delta sync (its own DEP client, tokens.dep_client) sees the
devices that the School Manager API assigned."""

from __future__ import annotations

from mock_apple.models import Device
from mock_apple.services import controls
from tests.mock_apple.axm_client import AxmClient
from tests.mock_apple.conftest import live, server_with_token
from tests.mock_apple.views.test_axm_api import api_account
from tokens.dep_client import DepClient, OAuthCredentials


@live
def test_the_portals_delta_sync_sees_what_the_api_assigned(dep_server, organization) -> None:
    server, token = server_with_token(organization, devices=2)
    credentials = {
        key: token[key] for key in ("consumer_key", "consumer_secret", "access_token", "access_secret")
    }
    portal = DepClient(OAuthCredentials(**credentials), base_url=dep_server)
    first = portal.fetch_devices()
    while first.more_to_follow:
        first = portal.fetch_devices(cursor=first.cursor)
    assert len(first.devices) == 2

    controls.config_update(api_get_per_minute=0, api_activity_posts_per_hour=0, api_activity_seconds=30)
    api = AxmClient(dep_server, api_account(organization))
    api.authenticate()
    serials = list(
        Device.objects.filter(mdm_server__isnull=True)
        .order_by("id")
        .values_list("serial_number", flat=True)[:4]
    )
    created = api.activity("ASSIGN_DEVICES", serials, server.server_uuid)
    assert created.status_code == 201, created.text
    # Not yet due: Apple has not processed it, the feed has nothing.
    assert portal.sync_devices(cursor=first.cursor).devices == []

    controls.clock_set_offset(seconds=31)
    try:
        page = portal.sync_devices(cursor=first.cursor)
    finally:
        controls.clock_set_offset(seconds=0)
    assert sorted(device["serial_number"] for device in page.devices) == sorted(serials)
    assert {device["op_type"] for device in page.devices} == {"added"}
    status = api.get(created.json()["data"]["links"]["self"]).json()["data"]["attributes"]["status"]
    assert status == "COMPLETED"
