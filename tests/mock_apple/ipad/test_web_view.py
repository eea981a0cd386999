"""Setup Assistant's web view (mock_apple.ipad.web_view) against a small MDM web server of the
tests — not the portal: any server's pages work. The first GET carries
x-apple-aspen-deviceinfo, the device keeps its cookies, the page's URLs come back through the
proxy, and the page typed application/x-apple-aspen-config is installed — from the host of
configuration_web_url only. The portal's side is tests/mdm/test_web_enrollment.py."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

from mock_apple.ipad import setup_assistant
from mock_apple.models import VirtualDevice
from tests.mock_apple.conftest import APPLE_DB, admin_of, signed_in
from tests.mock_apple.ipad_fake import ipad_with_profile, setup_to_wifi

FORM = "application/x-www-form-urlencoded"


class MdmWebServer:
    """An MDM server's enrollment pages: a sign-in form (session cookie), then the profile."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, content_type: str, body: bytes, **headers: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name.replace("_", "-"), value)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                server.seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
                if self.path == "/start":
                    page = (
                        "<html><head><link rel='stylesheet' href='/s.css'></head><body>"
                        "<form method='post' action='/login'><input name='user'><button>Sign in</button></form>"
                        "<a href='mailto:help@example.com'>help</a></body></html>"
                    )
                    self._send(200, "text/html", page.encode(), Set_Cookie="sid=s3cret; Path=/")
                elif self.path == "/s.css":
                    self._send(200, "text/css", b"body { background: url('/bg.png'); }")
                elif self.path == "/elsewhere-profile":
                    self._send(200, "application/x-apple-aspen-config", b"PROFILE-FROM-ELSEWHERE")
                else:
                    self._send(404, "text/plain", b"no")

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                server.seen.append(
                    {"path": self.path, "form": str(form), **{k.lower(): v for k, v in self.headers.items()}}
                )
                if "sid=s3cret" in (self.headers.get("Cookie") or "") and form.get("user") == ["ora"]:
                    self._send(200, "application/x-apple-aspen-config", b"PROFILE")
                else:
                    self._send(200, "text/html", b"<p>Wrong user</p>")

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def mdm_web() -> Iterator[MdmWebServer]:
    server = MdmWebServer()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def _src(body: str) -> str:
    match = re.search(r'<iframe class="web-view" src="([^"]+)"', body)
    assert match, body
    return html.unescape(match[1])


def _action(page: str) -> str:
    match = re.search(r"action='([^']+)'", page)
    assert match, page
    return html.unescape(match[1])


@pytest.mark.django_db(databases=APPLE_DB)
class WebViewTests:
    def start(self, organization, mdm_web) -> tuple[Any, VirtualDevice, str]:
        url = f"http://127.0.0.1:{mdm_web.port}/start"
        virtual, _ = ipad_with_profile(organization, configuration_web_url=url)
        setup_to_wifi(virtual)
        setup_assistant.remote_management_continue(virtual)
        client = signed_in(admin_of(organization))
        body = client.get(f"/ipad/{virtual.device.serial_number}/").content.decode()
        return client, virtual, _src(body)

    def test_sign_in_through_the_proxy_installs_the_profile(
        self, apple_settings, organization, engine, mdm_web
    ) -> None:
        client, virtual, src = self.start(organization, mdm_web)
        serial = virtual.device.serial_number
        page = client.get(src)
        assert page.status_code == 200
        assert "sandbox" in page["Content-Security-Policy"]
        first = mdm_web.seen[0]
        assert first["x-apple-aspen-deviceinfo"] == f"signed-machine-info-of-{virtual.udid}"
        assert "iPad" in first["user-agent"]
        text = page.content.decode()
        assert "mailto:help@example.com" in text  # left as it is
        css_link = re.search(r"href='([^']+)'", text)
        assert css_link and css_link[1].startswith(f"/ipad/{serial}/web/")
        css = client.get(html.unescape(css_link[1])).content.decode()
        assert f"/ipad/{serial}/web/" in css and "bg.png" in css
        # The form posts back through the proxy, with the device's cookie, without the header.
        answer = client.post(_action(text), "user=ora", content_type=FORM)
        assert answer.status_code == 200
        post = mdm_web.seen[-1]
        assert post["path"] == "/login" and "x-apple-aspen-deviceinfo" not in post
        assert engine.calls == ["install_aspen_config:PROFILE"]
        virtual.refresh_from_db()
        assert virtual.enrolled and virtual.pane.startswith("pane:")
        # The web view is closed: its address opens nothing any more.
        assert client.get(src).status_code == 404

    def test_wrong_credentials_stay_in_the_web_view(
        self, apple_settings, organization, engine, mdm_web
    ) -> None:
        client, virtual, src = self.start(organization, mdm_web)
        answer = client.post(_action(client.get(src).content.decode()), "user=someone", content_type=FORM)
        assert b"Wrong user" in answer.content and not engine.calls
        virtual.refresh_from_db()
        assert virtual.pane == "web_view" and not virtual.enrolled

    def test_a_profile_from_another_host_is_refused(
        self, apple_settings, organization, engine, mdm_web
    ) -> None:
        client, virtual, src = self.start(organization, mdm_web)
        key = src.split("/web/")[1].split("/")[0]
        elsewhere = f"http://localhost:{mdm_web.port}/elsewhere-profile"
        answer = client.get(f"/ipad/{virtual.device.serial_number}/web/{key}/", {"url": elsewhere})
        assert answer.status_code == 502 and not engine.calls

    def test_an_unreachable_server_shows_try_again(
        self, apple_settings, organization, engine, mdm_web
    ) -> None:
        client, virtual, src = self.start(organization, mdm_web)
        key = src.split("/web/")[1].split("/")[0]
        answer = client.get(
            f"/ipad/{virtual.device.serial_number}/web/{key}/", {"url": "http://127.0.0.1:9/nothing"}
        )
        assert answer.status_code == 502 and b"Try Again" in answer.content

    def test_only_the_web_view_s_key_opens_it(self, apple_settings, organization, engine, mdm_web) -> None:
        client, virtual, src = self.start(organization, mdm_web)
        wrong = re.sub(r"/web/[^/]+/", "/web/not-the-key/", src)
        assert client.get(wrong).status_code == 404
        setup_assistant.web_view_cancel(virtual)
        assert client.get(src).status_code == 404
