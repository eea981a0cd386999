"""The done-when of issue 18: Microsoft's own Python SDK for Graph (beta), `msgraph-beta-sdk`
from PyPI, pointed at the portal (its base URL) with a credential that asks the portal's token
endpoint (an azure-core `AsyncTokenCredential`, as `ClientSecretCredential` is; azure-identity
itself only talks to https authorities, and the test server is plain http). It lists the
tenant's enrollment program tokens, uploads a renewed .p7m, triggers a sync, creates a profile
with user affinity and Shared iPad and assigns it to serial numbers; then a browser sees all of
it in the blades. The mock Apple service runs in its own process; the portal is a live server.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from azure.core.credentials import AccessToken
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph_beta import GraphRequestAdapter, GraphServiceClient
from msgraph_beta.generated.device_management.dep_onboarding_settings.item.enrollment_profiles.item.update_device_profile_assignment.update_device_profile_assignment_post_request_body import (
    UpdateDeviceProfileAssignmentPostRequestBody,
)
from msgraph_beta.generated.device_management.dep_onboarding_settings.item.upload_dep_token.upload_dep_token_post_request_body import (
    UploadDepTokenPostRequestBody,
)
from msgraph_beta.generated.device_management.managed_devices.item.play_lost_mode_sound.play_lost_mode_sound_post_request_body import (
    PlayLostModeSoundPostRequestBody,
)
from msgraph_beta.generated.device_management.managed_devices.item.set_device_name.set_device_name_post_request_body import (
    SetDeviceNamePostRequestBody,
)
from msgraph_beta.generated.device_management.managed_devices.managed_devices_request_builder import (
    ManagedDevicesRequestBuilder,
)
from msgraph_beta.generated.models.dep_i_o_s_enrollment_profile import DepIOSEnrollmentProfile
from msgraph_beta.generated.models.i_tunes_pairing_mode import ITunesPairingMode
from msgraph_beta.generated.models.o_data_errors.o_data_error import ODataError

from asm_portal.models import AuditEvent
from devices.models import Device, ProfileAssignment, SyncRun
from graph.models import DEVICES_PRIVILEGED_ROLE, DEVICES_READ_ROLE, Permission
from mdm.models import DeviceAction, DeviceCommand
from mock_apple.models import Organization
from profiles.models import EnrollmentProfile
from tests.browser.conftest import portal_signin, screenshot
from tests.graph.conftest import App, app_create
from tests.mdm.managed import managed_device_create, managed_devices_create
from tests.mock_apple.conftest import dep_server, live, organization_create  # noqa: F401
from tests.tokens.conftest import download_public_key, push_certificate, push_portal  # noqa: F401
from tests.tokens.test_apple_over_http import mdm_server_token, upload
from tokens.models import EnrollmentProgramToken

SCOPE = "https://graph.microsoft.com/.default"


class PortalCredential:
    """An azure-core AsyncTokenCredential for the portal's token endpoint (client credentials)."""

    def __init__(self, authority: str, app: App) -> None:
        self.url = f"{authority}/{app.tenant_id}/oauth2/v2.0/token"
        self.app = app
        self.requests = 0

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.app.client_id,
            "client_secret": self.app.secret,
            "scope": " ".join(scopes),
        }
        answer = await asyncio.to_thread(requests.post, self.url, data=form, timeout=30)
        answer.raise_for_status()
        body = answer.json()
        self.requests += 1
        return AccessToken(body["access_token"], int(time.time()) + int(body["expires_in"]))

    async def close(self) -> None:
        pass

    async def __aenter__(self) -> PortalCredential:
        return self

    async def __aexit__(self, *args: Any) -> None:
        pass


def sdk_client(base: str, app: App) -> GraphServiceClient:
    credential = PortalCredential(base, app)
    auth = AzureIdentityAuthenticationProvider(
        credential, scopes=[SCOPE], allowed_hosts=["localhost", "127.0.0.1"]
    )
    adapter = GraphRequestAdapter(auth)
    adapter.base_url = f"{base}/beta"
    return GraphServiceClient(request_adapter=adapter)


@pytest.fixture
def organization(settings, dep_server) -> Organization:  # noqa: F811
    settings.APPLE_BASE_URL = dep_server
    return organization_create(devices=20)


@pytest.fixture
def portal(live_server, settings) -> str:
    settings.PORTAL_BASE_URL = live_server.url
    return str(live_server.url)


@pytest.mark.integration
@pytest.mark.browser
@live
class GraphSdkTests:
    def test_the_python_sdk_runs_the_enrollment_program_and_the_blades_show_it(
        self,
        admin_client,
        push_certificate,  # noqa: F811
        organization,
        portal,
        page,
    ) -> None:
        # The administrator adds the token in the blade (Apple made it for the portal's key).
        answer = upload(
            admin_client,
            mdm_server_token(organization, "Intune", download_public_key(admin_client), devices=6),
        )
        assert answer.status_code == 302, answer.content.decode()[:1000]
        token = EnrollmentProgramToken.objects.with_secrets().get()
        serials = sorted(Device.objects.filter(token=token).values_list("serial_number", flat=True))
        assert len(serials) == 6  # the first sync ran
        writer = sdk_client(portal, app_create(Permission.READ_WRITE, name="Enrollment scripts"))
        reader = sdk_client(portal, app_create(Permission.READ, name="Reports"))
        settings_ = writer.device_management.dep_onboarding_settings

        async def scenario() -> dict[str, Any]:
            listed = await settings_.get()
            [item] = listed.value
            assert item.token_name == "Intune" and item.synced_device_count == 6
            one = settings_.by_dep_onboarding_setting_id(item.id)
            # Renewal: the public key, Apple's new .p7m for it, uploadDepToken.
            pem = (await one.generate_encryption_public_key.post()).value
            p7m = mdm_server_token(organization, "Intune", pem)
            await one.upload_dep_token.post(
                UploadDepTokenPostRequestBody(apple_id="renewed@appleid.contoso.edu", dep_token=p7m.decode())
            )
            await one.sync_with_apple_device_enrollment_program.post()
            profile = await one.enrollment_profiles.post(
                DepIOSEnrollmentProfile(
                    display_name="Graph shared iPads",
                    description="Made by the Python SDK",
                    requires_user_authentication=True,
                    supervised_mode_enabled=True,
                    enable_shared_i_pad=True,
                    shared_i_pad_maximum_user_count=8,
                    i_tunes_pairing_mode=ITunesPairingMode.Disallow,
                    support_department="IT",
                    support_phone_number="+33 1 23 45 67 89",
                )
            )
            assert isinstance(profile, DepIOSEnrollmentProfile) and profile.enable_shared_i_pad
            await one.enrollment_profiles.by_enrollment_profile_id(
                profile.id
            ).update_device_profile_assignment.post(
                UpdateDeviceProfileAssignmentPostRequestBody(device_ids=serials[:3])
            )
            devices = await one.imported_apple_device_identities.get()
            # A read-only app: every write is a 403 Authorization_RequestDenied.
            read_only = reader.device_management.dep_onboarding_settings.by_dep_onboarding_setting_id(item.id)
            denied = []
            for call in (
                lambda: read_only.sync_with_apple_device_enrollment_program.post(),
                lambda: read_only.generate_encryption_public_key.post(),
                lambda: read_only.enrollment_profiles.post(DepIOSEnrollmentProfile(display_name="No")),
                lambda: read_only.enrollment_profiles.by_enrollment_profile_id(
                    profile.id
                ).set_default_profile.post(),
                lambda: read_only.enrollment_profiles.by_enrollment_profile_id(profile.id).delete(),
            ):
                try:
                    await call()
                except ODataError as error:
                    denied.append((error.response_status_code, error.error.code))
            assert (await read_only.get()).token_name == "Intune"
            return {"profile": profile, "devices": devices, "denied": denied}

        # Playwright's sync API holds this thread's event loop: the SDK gets a thread of its own.
        with ThreadPoolExecutor(1) as pool:
            result = pool.submit(asyncio.run, scenario()).result()
        assert result["denied"] == [(403, "Authorization_RequestDenied")] * 5
        assert {device.serial_number for device in result["devices"].value} == set(serials)

        renewed = EnrollmentProgramToken.objects.with_secrets().get()
        assert renewed.apple_id == "renewed@appleid.contoso.edu"
        assert renewed.consumer_key != token.consumer_key
        assert SyncRun.objects.filter(token=renewed, trigger=SyncRun.Trigger.MANUAL).exists()
        profile = EnrollmentProfile.objects.get(name="Graph shared iPads")
        assert profile.shared_ipad and profile.user_affinity == "with" and profile.max_cached_users == 8
        assignment = ProfileAssignment.objects.get(profile=profile)
        assert assignment.device_count == 3
        assert set(
            Device.objects.filter(assigned_profile=profile).values_list("serial_number", flat=True)
        ) == set(serials[:3])
        actors = set(
            AuditEvent.objects.filter(actor_name__startswith="Enrollment scripts (app ").values_list(
                "action", flat=True
            )
        )
        assert {
            "Renew enrollment program token",
            "Request sync of enrollment program token",
            "Create enrollment profile",
            "Assign enrollment profile to devices",
        } <= actors

        # The blades show it at once.
        from playwright.sync_api import expect

        portal_signin(page, portal, "admin@contoso.onmicrosoft.com")
        page.goto(f"{portal}/enrollment/apple/tokens/{renewed.pk}/profiles/")
        expect(page.get_by_role("link", name="Graph shared iPads")).to_be_visible()
        screenshot(page, "graph-sdk-profiles")
        page.goto(f"{portal}/enrollment/apple/tokens/{renewed.pk}/devices/")
        row = page.locator("tr", has_text=serials[0])
        expect(row).to_contain_text("Graph shared iPads")
        screenshot(page, "graph-sdk-devices")
        page.goto(f"{portal}/tenant-admin/audit-logs/")
        expect(page.locator("body")).to_contain_text("Enrollment scripts (app ")
        screenshot(page, "graph-sdk-audit")


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_python_sdk_lists_managed_devices_and_runs_actions(portal) -> None:
    """msgraph-beta-sdk against the portal's managedDevices: a filtered, paged list followed
    through @odata.nextLink, one device, and actions that queue the blade's MDM commands."""
    managed_devices_create(5)
    lost = managed_device_create("LOST000001", name="LOST-IPAD", lost_mode_enabled=True)
    app = app_create(
        Permission.READ, name="Help desk", device_permissions=(DEVICES_READ_ROLE, DEVICES_PRIVILEGED_ROLE)
    )
    client = sdk_client(portal, app)
    managed = client.device_management.managed_devices

    async def scenario() -> dict[str, Any]:
        query = ManagedDevicesRequestBuilder.ManagedDevicesRequestBuilderGetQueryParameters(
            filter="startswith(serialNumber,'DMPQ')",
            select=["id", "deviceName", "serialNumber", "managementState"],
            top=2,
        )
        page = await managed.get(RequestConfiguration(query_parameters=query))
        names = [device.device_name for device in page.value]
        while page.odata_next_link:
            page = await managed.with_url(page.odata_next_link).get()
            names += [device.device_name for device in page.value]
        one = managed.by_managed_device_id(str(lost.pk))
        device = await one.get()
        await one.set_device_name.post(SetDeviceNamePostRequestBody(device_name="Found-1"))
        await one.play_lost_mode_sound.post(PlayLostModeSoundPostRequestBody(duration_in_minutes="2"))
        await one.locate_device.post()
        refused = None
        try:
            await managed.by_managed_device_id(str(lost.pk)).set_device_name.post(
                SetDeviceNamePostRequestBody(device_name="not valid!")
            )
        except ODataError as error:
            refused = (error.response_status_code, error.error.code)
        return {"names": names, "device": device, "refused": refused}

    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(asyncio.run, scenario()).result()
    assert result["names"] == [f"IPAD-{index:06d}" for index in range(5)]
    device = result["device"]
    assert device.serial_number == "LOST000001" and device.is_supervised
    assert device.lost_mode_state.value == "enabled" and device.management_state.value == "managed"
    assert result["refused"] == (400, "BadRequest")
    assert list(
        DeviceCommand.objects.filter(device=lost)
        .order_by("queued_at", "id")
        .values_list("request_type", flat=True)
    ) == ["Settings", "PlayLostModeSound", "DeviceLocation"]
    assert set(DeviceAction.objects.values_list("kind", flat=True)) == {"rename", "play_sound", "locate"}
    assert set(
        AuditEvent.objects.filter(category=AuditEvent.Category.DEVICE).values_list("actor_name", flat=True)
    ) == {f"Help desk (app {app.client_id})"}
