"""The virtual iPad's screens under test: an iPad assigned to an MDM server with a profile, and
the engine replaced by what its contract promises (FakeEngine)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mock_apple import clock
from mock_apple.ipad import device as engine_device
from mock_apple.ipad import enrollment, identity, session, setup_assistant, wake
from mock_apple.models import Device, InstalledProfile, MdmServer, Organization, SharedIPadUser, VirtualDevice
from mock_apple.services import assignments
from tests.mock_apple.conftest import server_with_token

PORTAL = "http://portal.test"
ENROLL_URL = f"{PORTAL}/enroll/tok-1/"


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
class FakeEngine:
    """The virtual iPad's engine (docs/virtual-ipad-engine.md) replaced by what its contract
    promises, for the tests of the screens: `failure` makes the next enrollment fail with that
    FailureCode; `awaiting` keeps the device awaiting DeviceConfigured until `release()`; the
    protocol itself is tested in tests/mock_apple/ipad/ (the engine's tests) and end to end in
    tests/integration and tests/browser."""

    failure: str = ""
    awaiting: bool = False
    removable: bool = False
    calls: list[str] = field(default_factory=list)
    apps: list[dict[str, Any]] = field(default_factory=list)

    def _enroll(self, virtual: VirtualDevice) -> enrollment.EnrollmentOutcome:
        if self.failure:
            VirtualDevice.objects.filter(pk=virtual.pk).update(enrollment_failure=self.failure)
            return enrollment.EnrollmentOutcome(failure=self.failure, detail="HTTP 403")
        now = clock.now()
        VirtualDevice.objects.filter(pk=virtual.pk).update(
            enrolled=True,
            enrolled_at=now,
            awaiting_configuration=self.awaiting,
            device_name="IPAD-0001",
            enrollment_failure="",
        )
        fresh = VirtualDevice.objects.get(pk=virtual.pk)
        InstalledProfile.objects.update_or_create(
            virtual_device=fresh,
            identifier="com.example.mdm.enrollment",
            defaults={
                "uuid": "A-1",
                "display_name": "Management Profile",
                "organization": "Contoso",
                "payloads": [
                    {"type": "com.apple.mdm", "identifier": "m", "uuid": "u", "display_name": "MDM"}
                ],
                "is_enrollment": True,
                "removal_disallowed": not self.removable,
                "content": b"<plist/>",
                "installed_at": now,
            },
        )
        return enrollment.EnrollmentOutcome(awaiting_configuration=self.awaiting)

    def remote_management(self, virtual: VirtualDevice) -> enrollment.EnrollmentOutcome:
        self.calls.append("remote_management")
        return self._enroll(virtual)

    def install_aspen_config(self, virtual: VirtualDevice, body: bytes) -> enrollment.EnrollmentOutcome:
        self.calls.append(f"install_aspen_config:{body.decode()}")
        return self._enroll(virtual)

    def aspen_deviceinfo_header(self, virtual: VirtualDevice) -> str:
        return f"signed-machine-info-of-{virtual.udid}"

    def check_in_now(self, virtual: VirtualDevice) -> session.SessionResult:
        self.calls.append("check_in_now")
        VirtualDevice.objects.filter(pk=virtual.pk).update(
            awaiting_configuration=self.awaiting, apps=self.apps, last_session_at=clock.now()
        )
        return session.SessionResult(commands=0, http_status=200)

    def release(self, apps: list[dict[str, Any]] | None = None) -> None:
        """DeviceConfigured (and InstallApplication) came: the next check-in shows it."""
        self.awaiting = False
        self.apps = apps or []

    def power_on_wake(self, virtual: VirtualDevice) -> None:
        self.calls.append("power_on_wake")

    def remove_management(self, virtual: VirtualDevice) -> bool:
        if not self.removable:
            return False
        VirtualDevice.objects.filter(pk=virtual.pk).update(enrolled=False)
        InstalledProfile.objects.filter(virtual_device=virtual).delete()
        virtual.enrolled = False
        return True

    def wipe(self, virtual: VirtualDevice) -> VirtualDevice:
        self.calls.append("wipe")
        InstalledProfile.objects.filter(virtual_device=virtual).delete()
        SharedIPadUser.objects.filter(virtual_device=virtual).delete()
        VirtualDevice.objects.filter(pk=virtual.pk).update(
            state=VirtualDevice.State.SETUP,
            pane="hello",
            panes_ahead=[],
            language="",
            region="",
            wifi_network="",
            activated_at=None,
            activation=None,
            enrollment_url="",
            enrolled=False,
            device_name="",
            apps=[],
            locked=False,
            lost_mode=False,
            awaiting_configuration=False,
            session_kind="",
            session_user=None,
            open_app="",
            erased_at=clock.now(),
        )
        virtual.refresh_from_db()
        return virtual

    def install(self, monkeypatch: Any) -> None:
        monkeypatch.setattr(enrollment, "remote_management", self.remote_management)
        monkeypatch.setattr(enrollment, "install_aspen_config", self.install_aspen_config)
        monkeypatch.setattr(enrollment, "aspen_deviceinfo_header", self.aspen_deviceinfo_header)
        monkeypatch.setattr(enrollment, "remove_management", self.remove_management)
        monkeypatch.setattr(session, "check_in_now", self.check_in_now)
        monkeypatch.setattr(wake, "power_on_wake", self.power_on_wake)
        monkeypatch.setattr(engine_device, "wipe", self.wipe)


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
