"""What the token blades show of the devices (devices.panels), and the token deletion rule."""

from __future__ import annotations

import pytest

from devices.deletion import devices_delete
from devices.selectors import devices_without_profile_counts
from devices.sync_requests import sync_queue
from tests.devices.conftest import devices_create, devices_populated, token_create
from tokens.models import EnrollmentProgramToken

pytestmark = pytest.mark.django_db


class TokenDeviceCountsTests:
    def test_the_token_blade_shows_them(self, admin_client) -> None:
        token = devices_populated()
        body = admin_client.get(f"/enrollment/apple/tokens/{token.pk}/").content.decode()
        tiles = body.split('class="tiles device-tiles"')[1].split("</div>")[0]
        for label, number in (
            ("Devices", 8),
            ("Enrolled", 2),
            ("Ready to enroll", 2),
            ("Missing profile", 3),
        ):
            assert f'{label}</span><span class="tile-number">{number}<' in tiles
        assert f"/enrollment/apple/tokens/{token.pk}/devices/?profile=none" in tiles

    def test_the_token_list_shows_devices_without_profiles(self, admin_client) -> None:
        token = devices_populated()
        token_create("Empty token")
        body = admin_client.get("/enrollment/apple/tokens/").content.decode()
        assert "Devices without profiles" in body
        row = body.split("Lycée Jean Moulin - Intune</a>")[1].split("</tr>")[0]
        assert ">3</a>" in row
        assert ">0</a>" in body.split("Empty token</a>")[1].split("</tr>")[0]
        assert devices_without_profile_counts(token_ids=[token.pk]) == {token.pk: 3}

    def test_the_token_menu_has_devices(self, admin_client) -> None:
        token = token_create()
        body = admin_client.get(f"/enrollment/apple/tokens/{token.pk}/").content.decode()
        assert f'href="/enrollment/apple/tokens/{token.pk}/devices/"' in body


class TokenDeletionTests:
    def test_a_token_with_devices_cannot_be_deleted(self, admin_client) -> None:
        token = token_create()
        devices_create(token, 2)
        response = admin_client.post(f"/enrollment/apple/tokens/{token.pk}/delete/")
        assert (
            "The token still has 2 enrollment program devices. Delete them first."
            in response.content.decode()
        )
        assert EnrollmentProgramToken.objects.filter(pk=token.pk).exists()

    def test_once_its_devices_are_deleted_it_can(self, admin_client, admin_user) -> None:
        token = token_create()
        devices = devices_create(token, 2)
        devices_delete(actor=admin_user, device_ids=[d.pk for d in devices])
        sync_queue(token=token, trigger="tokenUpload")  # sync history goes with the token
        response = admin_client.post(f"/enrollment/apple/tokens/{token.pk}/delete/")
        assert response.status_code == 302
        assert not EnrollmentProgramToken.objects.filter(pk=token.pk).exists()
