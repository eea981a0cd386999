"""Issue 8's "done when", end to end in Chromium: the portal (live server), the mock Apple service
in its own process (its virtual iPads talk to the portal over HTTP, signed with their device
certificate) and a real Celery worker (the final configuration). Nothing is faked: the tenant is
built by the "Shared iPad cart with roster" trainer preset through the real services (token,
sync, Shared iPad profile, SDS roster sent to Apple School Manager).

- a Shared iPad profile with screens hidden: exactly the expected panes, a Managed Apple Account
  of the class roster signs in, the portal shows the device enrolled;
- no profile (and no default profile): the device says so, the portal shows it failed;
- an enrolled device assigned another profile: « Reset required » until it is erased, then it
  enrolls with the new profile;
- user affinity: the directory user signs in in the framed Microsoft page, the Company Portal
  lists the device and installs an app that appears on the Home Screen.

Screenshots in test-artifacts/distribute-*.png.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from asm_portal.celery import app as celery_app
from devices.assignment import profile_assign
from devices.models import Device, EnrollmentState
from mdm.directory import directory_users_seed
from mock_apple.ipad.links import device_link_key
from mock_apple.ipad.setup_assistant import device_capabilities
from mock_apple.models import Device as AppleDevice
from mock_apple.models import Person, RosterClass
from mock_apple.models import Profile as AppleProfile
from mock_apple.setup_panes import panes_after_activation
from profiles import rules
from profiles.models import EnrollmentProfile
from profiles.services import profile_create
from tests.browser.conftest import directory_sign_in_fill, portal_signin, screenshot
from tests.browser.steps import ipad_pane, ipad_wait_pane_change
from tests.conftest import (
    ARTIFACTS,
    PASSWORD,
    apple_service,
    celery_worker_start,
    free_port,
    stop,
    subprocess_env,
    worker_log,
)
from tests.mock_apple.conftest import live, organization_create
from tests.trainer.conftest import trainer_user  # noqa: F401
from tokens.models import EnrollmentProgramToken
from trainer.scenario_reset import scenario_reset

BEFORE_ACTIVATION = ["hello", "language", "region", "wifi"]
# Every pane the device page shows is recorded, even one it leaves at once (sessionStorage: the
# sign-in web view sends the top page to the device page again).
RECORD_PANES = """
(() => {
  const record = () => {
    const screen = document.getElementById('screen');
    if (!screen) return;
    const seen = JSON.parse(sessionStorage.getItem('panes') || '[]');
    const pane = screen.dataset.pane;
    if (seen[seen.length - 1] !== pane) {
      seen.push(pane);
      sessionStorage.setItem('panes', JSON.stringify(seen));
    }
  };
  document.addEventListener('DOMContentLoaded', () => {
    record();
    new MutationObserver(record).observe(document.body, {subtree: true, childList: true, attributes: true});
  });
})();
"""


@pytest.fixture(scope="module")
def apple_for_devices(live_server: Any, django_db_setup: None) -> Iterator[str]:
    """The mock Apple service whose devices enroll at this live portal and whose pages the
    portal's sign-in and Company Portal may frame: same host as the live server (same site, so
    the portal's SameSite=Lax cookies go along in the frames), another port. Threaded: a device
    request to the portal makes the portal fetch Apple's device CA from this same process."""
    port = free_port()
    host = str(urlsplit(live_server.url).hostname)
    base_url = f"http://{host}:{port}"
    with apple_service(
        port,
        host=host,
        PORTAL_BASE_URL=live_server.url,
        APPLE_PUBLIC_URL=base_url,
        APPLE_BASE_URL=base_url,
    ):
        yield base_url


@pytest.fixture(scope="module")
def worker_queue(live_server: Any, apple_for_devices: str) -> Iterator[str]:
    """A real Celery worker (profile assignments, final configuration) on a queue of its own."""
    queue = f"asm-distribute-{uuid.uuid4().hex[:8]}"
    ARTIFACTS.mkdir(exist_ok=True)
    process = celery_worker_start(
        queue,
        ARTIFACTS / f"worker-{queue}.log",
        env=subprocess_env(
            APPLE_BASE_URL=apple_for_devices,
            APPLE_PUBLIC_URL=apple_for_devices,
            PORTAL_BASE_URL=live_server.url,
        ),
    )
    try:
        yield queue
    finally:
        stop(process)


@dataclass
class World:
    """The tenant the tests act on: its token, the administrator (a trainer), the device host,
    the portal and a signed-in admin center window."""

    token: EnrollmentProgramToken
    admin: User
    apple: str
    portal: str
    portal_page: Any

    def profile(self, **values: Any) -> EnrollmentProfile:
        """A profile made by the real service (defined on Apple when it is assigned)."""
        values = {"supervised": True, "locked_enrollment": True, **values}
        return profile_create(
            actor=self.admin, token=self.token, values=replace(rules.ProfileValues(), **values)
        ).profile

    def assign(self, profile: EnrollmentProfile, serial: str) -> None:
        """Assign the profile to one device; the worker asks Apple."""
        profile_assign(actor=self.admin, profile=profile, serials=[serial])
        self.wait_assigned(profile, serial)

    def wait_assigned(self, profile: EnrollmentProfile, serial: str) -> None:
        for _ in range(100):
            if Device.objects.filter(serial_number=serial, assigned_profile=profile).exists():
                profile.refresh_from_db()  # Apple's uuid, recorded by the worker
                return
            self.portal_page.wait_for_timeout(100)
        raise AssertionError(
            f"the assignment did not finish:\n{worker_log(celery_app.conf.task_default_queue)}"
        )

    def serial(self, **filters: Any) -> str:
        return str(Device.objects.filter(token=self.token, **filters).order_by("pk")[0].serial_number)

    def device_seen(self, serial: str) -> dict[str, str]:
        """The devices grid's row of the serial, then its blade: what an administrator reads."""
        page = self.portal_page
        page.goto(f"{self.portal}/enrollment/apple/tokens/{self.token.pk}/devices/?q={serial}")
        row = page.locator("#grid tbody tr", has_text=serial)
        headers = [text.strip() for text in page.locator("#grid thead th").all_inner_texts()]
        cells = [text.strip() for text in row.locator("td").all_inner_texts()]
        grid = dict(zip(headers, cells, strict=False))
        page.click(f"#grid >> text={serial}")
        page.locator(".blade .essentials").wait_for()
        blade = dict(
            zip(
                [text.strip() for text in page.locator(".essentials dt").all_inner_texts()],
                [text.strip() for text in page.locator(".essentials dd").all_inner_texts()],
                strict=True,
            )
        )
        return {**{f"grid {key}": value for key, value in grid.items()}, **blade}


@pytest.fixture
def world(
    settings: Any,
    browser: Any,
    live_server: Any,
    apple_for_devices: str,
    worker_queue: str,
    trainer_user: User,  # noqa: F811
) -> Iterator[World]:
    """The "Shared iPad cart with roster" preset, loaded through the real services; tasks go to
    the worker. The admin center has a window of its own: a background tab of the device's
    window would be throttled by Chromium (its timers and animation frames)."""
    settings.APPLE_BASE_URL = settings.APPLE_PUBLIC_URL = apple_for_devices
    settings.PORTAL_BASE_URL = live_server.url
    settings.SYNC_RETRY_BACKOFF_SECONDS = 0
    organization_create(devices=0)
    scenario_reset(actor=trainer_user, preset_key="shared-ipad-cart")
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = worker_queue
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    portal_page = context.new_page()
    portal_page.set_default_timeout(15_000)
    portal_signin(portal_page, live_server.url, trainer_user.username)
    yield World(
        token=EnrollmentProgramToken.objects.get(),
        admin=trainer_user,
        apple=apple_for_devices,
        portal=live_server.url,
        portal_page=portal_page,
    )
    context.close()
    celery_app.conf.task_default_queue = "celery"


class Ipad:
    """The virtual iPad's page, driven as a person would."""

    def __init__(self, page: Any, apple: str, serial: str) -> None:
        self.page = page
        self.serial = serial
        # The Distribute link: the device's page with its key (mock_apple.ipad.links).
        self.url = f"{apple}/ipad/{serial}/?key={device_link_key(serial)}"
        page.on("dialog", lambda dialog: dialog.accept())

    def open(self) -> Ipad:
        self.page.add_init_script(RECORD_PANES)
        response = self.page.goto(self.url)
        assert response is not None and response.ok, (
            response and response.status,
            self.page.content()[:3000],
        )
        return self

    @property
    def pane(self) -> str:
        return ipad_pane(self.page)

    def panes(self) -> list[str]:
        return list(self.page.evaluate("JSON.parse(sessionStorage.getItem('panes') || '[]')"))

    def forget_panes(self) -> None:
        self.page.evaluate("sessionStorage.removeItem('panes')")

    def tap(self, selector: str, *, timeout: float = 20_000) -> None:
        """Tap, then wait for the screen to move on."""
        before = self.pane
        self.page.click(f"#screen {selector}")
        ipad_wait_pane_change(self.page, before, timeout=timeout)

    def power_on(self) -> None:
        if self.pane == "off":
            self.tap("button.power-on")

    def setup_until_activation(self) -> None:
        """Hello → Language → Region → Wi-Fi: then the device asks Apple for its configuration."""
        self.power_on()
        self.tap(".hello-continue")
        self.tap("button[value=en]")
        self.tap("button[value=FR]")
        self.tap("button[value=eduroam]")

    def continue_panes(self) -> None:
        """Wait out « Awaiting final configuration » (at Remote Management, as iOS), then
        continue on each Setup Assistant pane."""
        if self.pane == "configuring":
            ipad_wait_pane_change(self.page, "configuring", timeout=60_000)
        while self.pane.startswith("pane:"):
            self.tap(".setup-actions .ios-button")

    def settings(self, *pages: str) -> None:
        self.page.click("#screen button[value=settings]")
        for name in pages:
            self.page.click(f"#screen button[value={name}]")

    def erase(self) -> None:
        """Settings › General › Transfer or Reset iPad › Erase All Content and Settings."""
        self.settings("general", "reset")
        self.tap("button:has-text('Erase All Content and Settings')")
        assert self.pane == "hello"


def _expected_panes(profile: EnrollmentProfile, serial: str) -> list[str]:
    """What the profile makes this device show, as Apple's configuration of it says."""
    configuration = AppleProfile.objects.get(profile_uuid=profile.apple_profile_uuid).data
    hardware = device_capabilities(AppleDevice.objects.get(serial_number=serial))
    after = [
        f"pane:{key}" for key in panes_after_activation(configuration, language="en", capabilities=hardware)
    ]
    # « Awaiting final configuration » is not shown: the portal queues DeviceConfigured at the
    # first TokenUpdate, and the device runs it in its first session, before leaving Remote
    # Management (mock_apple.ipad.enrollment._install, mdm.checkin.final_configuration_enqueue).
    assert configuration.get("await_device_configured")
    return [*BEFORE_ACTIVATION, "remote_management", *after, "home"]


@pytest.mark.browser
@pytest.mark.integration
@live
class DistributeBrowserTests:
    def test_a_shared_ipad_with_screens_hidden_enrolls_and_a_student_signs_in(
        self, page, world: World
    ) -> None:
        hidden = {"Privacy", "Passcode", "Location", "Siri", "Appearance"}
        profile = world.profile(
            name="Cart, screens hidden",
            user_affinity="with",
            shared_ipad=True,
            max_cached_users=5,
            department="Contoso IT",
            department_phone="+1 425 555 0100",
            hidden_screens=frozenset(hidden),
        )
        serial = world.serial(assigned_profile__isnull=False)  # one of the cart
        world.assign(profile, serial)
        apple_profile = AppleProfile.objects.get(profile_uuid=profile.apple_profile_uuid)
        assert set(apple_profile.data["skip_setup_items"]) == hidden
        assert apple_profile.data["is_multi_user"] is True

        # The devices grid's Distribute link is the device's page at Apple.
        world.portal_page.goto(f"{world.portal}/enrollment/apple/tokens/{world.token.pk}/devices/?q={serial}")
        distribute = world.portal_page.locator("#grid a.row-action").get_attribute("href")
        ipad = Ipad(page, world.apple, serial)
        assert distribute == ipad.url
        ipad.open()
        ipad.setup_until_activation()
        assert ipad.pane == "remote_management"
        screen = page.locator("#screen").inner_text()
        assert "Contoso School District will automatically configure your iPad." in screen
        assert "Contoso IT" in screen and "+1 425 555 0100" in screen  # About Configuration, Need Help
        screenshot(page, "distribute-shared-remote-management")
        ipad.tap("button:has-text('Enroll This iPad')")
        ipad.continue_panes()
        # A Shared iPad skips every pane after activation whatever the profile hides; released
        # from its final configuration in its first session, it goes straight to the login window.
        assert ipad.panes() == ["off", *_expected_panes(profile, serial)]
        assert ipad.panes() == ["off", "hello", "language", "region", "wifi", "remote_management", "home"]

        # The login window: the class roster synced from SDS to Apple School Manager.
        roster_class = RosterClass.objects.order_by("display_name").first()
        assert roster_class is not None
        student = min(roster_class.students.all(), key=lambda p: (p.last_name, p.first_name, p.pk))
        assert isinstance(student, Person) and student.managed_apple_id.endswith("@appleid.contoso.edu")
        temporary = student.temporary_password  # the sign-in sheet's
        page.click(f"#screen button:has-text('{roster_class.display_name}')")
        page.click(f"#screen button:has-text('{student.display_name}')")
        page.locator("#password").wait_for()
        assert student.managed_apple_id in page.locator("#screen").inner_text()
        page.fill("#password", temporary)
        page.click("#screen button[value=password]")
        page.fill("#current", temporary)
        page.fill("#new", "Cart-Pass-2026")
        page.fill("#confirm", "Cart-Pass-2026")
        page.click("#screen button[value=change_password]")
        page.locator("#screen .app-grid").wait_for()
        assert page.locator("#screen .status-user").inner_text() == student.display_name
        # Shared iPad: no Company Portal (no user affinity on the device for Intune).
        assert page.locator("#screen button[value=company_portal]").count() == 0
        screenshot(page, "distribute-shared-home")

        seen = world.device_seen(serial)
        assert seen["grid State"] == "Enrolled"
        assert seen["State"] == "Enrolled"
        assert seen["Enrolled with profile"] == "Cart, screens hidden"
        assert seen["Last contacted"] != "—"
        assert seen["Final configuration"].startswith("Installed")
        screenshot(world.portal_page, "distribute-shared-portal-blade")

    def test_a_device_with_no_profile_is_refused_and_the_portal_shows_it_failed(
        self, page, world: World
    ) -> None:
        assert not EnrollmentProfile.objects.filter(token=world.token, is_default=True).exists()
        serial = world.serial(assigned_profile__isnull=True)

        ipad = Ipad(page, world.apple, serial).open()
        ipad.setup_until_activation()
        assert ipad.pane == "error"
        screen = page.locator("#screen").inner_text()
        assert "This iPad is not assigned to a management server" in screen
        assert "has not given this iPad a configuration yet" in screen
        assert page.locator("#screen button:has-text('Try Again')").count() == 1
        assert ipad.panes() == ["off", *BEFORE_ACTIVATION, "error"]
        screenshot(page, "distribute-no-profile-device")

        seen = world.device_seen(serial)
        assert seen["grid State"] == "Failed"
        assert seen["State"] == "Failed"
        assert seen["Last contacted"] != "—"
        assert world.portal_page.locator(".banner >> text=Enrollment failed").count() == 1
        screenshot(world.portal_page, "distribute-no-profile-portal-blade")

    def test_reassigning_an_enrolled_device_requires_a_reset_until_it_is_erased(
        self, page, world: World
    ) -> None:
        cart = EnrollmentProfile.objects.get(token=world.token, shared_ipad=True)
        serial = world.serial(assigned_profile=cart)
        ipad = Ipad(page, world.apple, serial).open()
        ipad.setup_until_activation()
        ipad.tap("button:has-text('Enroll This iPad')")
        ipad.continue_panes()
        assert ipad.pane == "home"
        assert Device.objects.get(serial_number=serial).enrollment_state == EnrollmentState.ENROLLED

        # The administrator assigns another profile from the devices grid.
        library = world.profile(
            name="Library iPads",
            user_affinity="without",
            authentication_method="",
            apply_device_name_template=True,
            device_name_template="LIB-{{SERIAL}}",
            hidden_screens=frozenset({"Siri"}),
        )
        portal_page = world.portal_page
        portal_page.goto(f"{world.portal}/enrollment/apple/tokens/{world.token.pk}/devices/?q={serial}")
        portal_page.locator("#grid tbody input[type=checkbox]").first.check()
        portal_page.click("button:has-text('Assign profile')")
        portal_page.locator("#pane label:has-text('Library iPads') input[type=radio]").check()
        portal_page.click("#pane .pane-footer button:has-text('Assign')")
        portal_page.wait_for_url("**/enrollment/apple/assignments/*/")
        world.wait_assigned(library, serial)
        seen = world.device_seen(serial)
        assert seen["grid State"] == "Reset required"
        assert seen["State"] == "Reset required"
        assert seen["Assigned profile"] == "Library iPads"
        assert seen["Enrolled with profile"] == cart.name
        screenshot(world.portal_page, "distribute-reset-required-portal")

        # The device keeps its configuration: a restart changes nothing. A real iPad learns
        # nothing of the new assignment until it is erased (Apple gives the new configuration
        # at activation only), so it has nothing to say about it.
        page.click(".hw-power button")
        expect(page.locator("#screen")).to_have_attribute("data-pane", "off")
        ipad.power_on()
        page.click("#screen button[value=guest]")  # the Shared iPad's login window
        page.locator("#screen .app-grid").wait_for()
        screenshot(page, "distribute-reset-required-device")
        assert world.device_seen(serial)["State"] == "Reset required"

        # Erase All Content and Settings (the device tells its MDM nothing: the portal still
        # says « Reset required » until it enrolls again), power on: the new profile, enrolled.
        ipad.erase()
        assert world.device_seen(serial)["State"] == "Reset required"
        ipad.forget_panes()
        ipad.setup_until_activation()
        ipad.tap("button:has-text('Enroll This iPad')")
        ipad.continue_panes()
        assert ipad.panes() == _expected_panes(library, serial)
        assert "pane:Siri" not in ipad.panes() and "pane:Privacy" in ipad.panes()
        assert ipad.pane == "home"
        assert page.locator("#screen .home-name").inner_text() == f"LIB-{serial}"
        seen = world.device_seen(serial)
        assert seen["State"] == "Enrolled"
        assert seen["Enrolled with profile"] == "Library iPads"
        assert seen["Device name"] == f"LIB-{serial}"
        screenshot(world.portal_page, "distribute-reenrolled-portal")

    def test_user_affinity_sign_in_then_the_company_portal_installs_an_app(self, page, world: World) -> None:
        directory_users_seed(password=PASSWORD)
        profile = world.profile(
            name="1:1 student iPads",
            user_affinity="with",
            authentication_method="setup_assistant_modern",
            install_company_portal=True,
            hidden_screens=frozenset({"Siri", "Privacy", "Location", "Diagnostics"}),
        )
        serial = world.serial(assigned_profile__isnull=True)
        world.assign(profile, serial)

        ipad = Ipad(page, world.apple, serial).open()
        ipad.setup_until_activation()
        assert ipad.pane == "remote_management"
        # Remote Management's Continue: Setup Assistant's web view of the profile's
        # configuration_web_url, the portal's Microsoft sign-in (modern authentication).
        ipad.tap(".setup-actions .ios-button")
        assert ipad.pane == "web_view"
        frame = page.frame_locator("#screen iframe.web-view")
        directory_sign_in_fill(frame, "OKlein@contoso.onmicrosoft.com", PASSWORD)
        screenshot(page, "distribute-affinity-sign-in")
        frame.locator("button[type=submit]").click()
        # The enrollment profile installed (SCEP, Authenticate, TokenUpdate): the next pane.
        ipad_wait_pane_change(page, "web_view", timeout=60_000)
        ipad.continue_panes()
        expected = _expected_panes(profile, serial)
        # « Awaiting final configuration » may be over before the screen's poll shows it.
        panes = [pane for pane in ipad.panes() if pane != "configuring"]
        assert panes == ["off", *expected[:5], "web_view", *[p for p in expected[5:] if p != "configuring"]]
        device = Device.objects.get(serial_number=serial)
        assert device.enrollment_state == EnrollmentState.ENROLLED
        assert device.enrolled_user_name == "OKlein@contoso.onmicrosoft.com"

        # The Company Portal (installed after DeviceConfigured): the user's device, then an app
        # that lands on the Home Screen.
        # The desk's Check in now if no push has woken the device (this world has no APNs).
        company_portal = page.locator("#screen [data-app=company-portal]")
        try:
            company_portal.wait_for(timeout=10_000)
        except PlaywrightTimeoutError:
            page.click(".desk-checkin button")
            company_portal.wait_for(timeout=30_000)
        page.click("#screen [data-app=company-portal]")
        app = page.frame_locator("#screen iframe.app-view")
        app.locator("#cp-upn").fill("OKlein@contoso.onmicrosoft.com")
        app.locator("#cp-password").fill(PASSWORD)
        app.locator("button.cp-button").click()
        app.locator(".cp-badge").wait_for()  # « This device »
        mine = app.locator(".cp-row", has=app.locator(".cp-badge"))
        assert f"{device.model} · {serial}" in mine.inner_text()
        app.locator("nav.cp-tabs >> text=Apps").click()
        app.locator("button[aria-label='Install Microsoft Teams']").click()
        app.locator("text=is being installed").wait_for()
        screenshot(page, "distribute-affinity-company-portal")
        page.click("#screen button[value=close]")
        page.locator("#screen button[value='com.microsoft.skype.teams']").wait_for()
        screenshot(page, "distribute-affinity-home")

        seen = world.device_seen(serial)
        assert seen["State"] == "Enrolled"
        assert seen["User"].endswith("(OKlein@contoso.onmicrosoft.com)")
        screenshot(world.portal_page, "distribute-affinity-portal-blade")
