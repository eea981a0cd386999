"""The pages a device shows in an iframe, in Chromium: the Company Portal, framed by a stand-in for the virtual iPad's page on APPLE_PUBLIC_URL (Playwright serves
it), and refused in a frame of any other origin. Screenshots in test-artifacts/."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from devices.models import Device, EnrollmentState
from mdm.models import DeviceAppInstall
from mock_apple.ipad.links import device_link_key
from profiles.choices import Affinity, AuthMethod
from tests.browser.conftest import portal_signin, screenshot
from tests.devices.conftest import DIRECTORY_PASSWORD, enrollment_setup_create


@pytest.fixture
def device_host() -> Iterator[str]:
    """A stand-in for the mock Apple service's virtual iPad page: a real HTTP server on loopback
    (Chromium lets only local pages frame local ones), whose /ipad/… page frames `?src=`."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            src = parse_qs(urlsplit(self.path).query).get("src", [""])[0]
            body = (
                "<!doctype html><body style='margin:0;background:#111'><iframe id=screen "
                f"src='{escape(src, quote=True)}' style='width:820px;height:1000px;border:0;background:#fff'>"
                "</iframe></body>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield str(server.server_address[1])
    server.shutdown()
    server.server_close()


def _framed(page, origin: str, src: str) -> None:
    page.set_viewport_size({"width": 820, "height": 1000})
    page.goto(f"{origin}/ipad/DMPQ000001/?{urlencode({'src': src})}")


@pytest.mark.browser
class EnrollmentBrowserTests:
    def test_the_company_portal_binds_the_user_then_installs(
        self, live_server, page, settings, device_host
    ) -> None:
        # The virtual device's origin: the same site as the live server (localhost), another
        # port, as in the demo (portal :8000 framed by the mock Apple service :8001).
        apple = settings.APPLE_PUBLIC_URL = f"http://localhost:{device_host}"
        setup = enrollment_setup_create()
        # Enrolled with Company Portal authentication: the app binds the user, then installs.
        setup.profile.authentication_method = AuthMethod.COMPANY_PORTAL
        setup.profile.save()
        Device.objects.filter(pk=setup.device.pk).update(
            enrollment_state=EnrollmentState.ENROLLED,
            enrolled_profile=setup.profile,
            device_name="iPad-DMPQ000001",
        )
        _framed(page, apple, f"{live_server.url}/company-portal/?serial=DMPQ000001")
        frame = page.frame_locator("#screen")
        frame.locator("#cp-upn").fill("OKlein@contoso.onmicrosoft.com")
        frame.locator("#cp-password").fill(DIRECTORY_PASSWORD)
        screenshot(page, "company-portal-signin")
        frame.locator("button.cp-button").click()
        frame.locator(".cp-badge").wait_for()  # « This device » in My devices
        assert Device.objects.get(pk=setup.device.pk).enrolled_user_name == "OKlein@contoso.onmicrosoft.com"
        screenshot(page, "company-portal-devices")
        frame.locator("nav.cp-tabs >> text=Apps").click()
        frame.locator("button[aria-label='Install Microsoft Teams']").click()
        frame.locator("text=is being installed").wait_for()
        assert DeviceAppInstall.objects.get().bundle_id == "com.microsoft.skype.teams"
        screenshot(page, "company-portal-apps")

    def test_without_user_affinity_the_company_portal_says_why(
        self, live_server, page, settings, device_host
    ) -> None:
        apple = settings.APPLE_PUBLIC_URL = f"http://localhost:{device_host}"
        setup = enrollment_setup_create(user_affinity=Affinity.WITHOUT, authentication_method="")
        Device.objects.filter(pk=setup.device.pk).update(
            enrollment_state=EnrollmentState.ENROLLED, enrolled_profile=setup.profile
        )
        _framed(page, apple, f"{live_server.url}/company-portal/?serial=DMPQ000001")
        page.frame_locator("#screen").locator("text=without user affinity").wait_for()
        screenshot(page, "company-portal-refused")

    def test_another_origin_cannot_frame_the_pages(self, live_server, page, settings, device_host) -> None:
        settings.APPLE_PUBLIC_URL = f"http://localhost:{device_host}"
        enrollment_setup_create()
        # The same server under another name: not APPLE_PUBLIC_URL, so the frame stays empty.
        _framed(
            page, f"http://127.0.0.1:{device_host}", f"{live_server.url}/company-portal/?serial=DMPQ000001"
        )
        page.wait_for_timeout(1000)
        assert page.frame_locator("#screen").locator("body.cp").count() == 0
        _framed(
            page, f"http://localhost:{device_host}", f"{live_server.url}/company-portal/?serial=DMPQ000001"
        )
        page.frame_locator("#screen").locator("body.cp").wait_for()


@pytest.mark.browser
class DistributeBrowserTests:
    def test_the_grid_and_the_device_blade_distribute_the_device(
        self, live_server, page, settings, admin_user
    ) -> None:
        settings.APPLE_PUBLIC_URL = "http://127.0.0.1:8001"
        setup = enrollment_setup_create()
        Device.objects.filter(pk=setup.device.pk).update(
            enrollment_state=EnrollmentState.FAILED,
            enrollment_error="NO_PROFILE",
            last_contacted_at=setup.device.created_at,
        )
        portal = live_server.url
        portal_signin(page, portal, admin_user.username)
        page.goto(f"{portal}/enrollment/apple/tokens/{setup.token.pk}/devices/")
        link = page.locator("#grid a.row-action")
        own_link = f"http://127.0.0.1:8001/ipad/DMPQ000001/?key={device_link_key('DMPQ000001')}"
        assert link.get_attribute("href") == own_link
        assert link.get_attribute("target") == "_blank"
        screenshot(page, "devices-grid-distribute")
        page.click("#grid >> text=DMPQ000001")
        page.locator(".banner >> text=Enrollment failed").wait_for()
        assert page.locator(".commandbar a:has-text('Distribute')").get_attribute("href") == own_link
        screenshot(page, "device-blade-failed")
