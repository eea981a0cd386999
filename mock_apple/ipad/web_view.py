"""Setup Assistant's web view (the DEP profile's `configuration_web_url`), as a server-side
proxy: the mock fetches each page for the device and shows it inside the iPad's frame.

Why a proxy and not an iframe of the MDM's page: a browser's iframe cannot send the
`x-apple-aspen-deviceinfo` header, cannot tell what type a response was, and the MDM's page
would have to allow framing by the mock. Here, as on an iPad:
- the first GET of `configuration_web_url` carries `x-apple-aspen-deviceinfo` (the engine's
  `aspen_deviceinfo_header`: base64 of the CMS-signed MachineInfo);
- each device has its own cookie jar (the MDM's session and CSRF cookies), kept in the cache
  with the web view's state; an erase or a new web view starts empty;
- the page's links, form actions, scripts, styles and images are rewritten to come back through
  the proxy, so the user may navigate anywhere;
- a response typed `application/x-apple-aspen-config` is the enrollment profile: from the host
  of `configuration_web_url` only (Apple's rule), it is handed to the engine's
  `install_aspen_config`; from another host it is refused.
Nothing here knows the portal: any MDM server's pages work.

The proxied pages are served from the mock's origin in a sandbox (Content-Security-Policy
`sandbox`, no allow-same-origin): their scripts run in an opaque origin and can reach neither
the mock's cookies nor the device page. The web view's address carries its own random key
(`WebView.key`), not the device's link: the page can learn it, and it opens this web view only.
"""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language, gettext
from requests.cookies import RequestsCookieJar

from mock_apple.ipad import enrollment
from mock_apple.ipad.enrollment import EnrollmentOutcome
from mock_apple.ipad.transport import DeviceHttp, Unreachable
from mock_apple.models import VirtualDevice
from mock_apple.setup_panes import OS_VERSION

ASPEN_CONFIG = "application/x-apple-aspen-config"
DEVICEINFO_HEADER = "x-apple-aspen-deviceinfo"
MAX_BYTES = 4 * 1024 * 1024
# How long a web view stays open without a request (Setup Assistant waits as long as the user).
KEEP_SECONDS = 3600
USER_AGENT = (
    f"Mozilla/5.0 (iPad; CPU OS {OS_VERSION.replace('.', '_')} like Mac OS X) "
    "AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
)
# Attributes that name a URL the browser would fetch or go to.
_URL_ATTRIBUTE = re.compile(
    r"""(?P<lead>\s(?:href|src|action|formaction|poster)\s*=\s*)(?P<quote>["'])(?P<value>.*?)(?P=quote)""",
    re.IGNORECASE | re.DOTALL,
)
_CSS_URL = re.compile(r"""url\(\s*(?P<quote>["']?)(?P<value>[^"')]+)(?P=quote)\s*\)""", re.IGNORECASE)
_KEEP_AS_IS = ("#", "javascript:", "data:", "mailto:", "tel:", "about:", "blob:")


@dataclass
class WebView:
    """One web view's state: its key, where it started, and the device's cookie jar."""

    key: str
    start_url: str
    # Domain- and path-aware, as a browser's: one host's cookies never go to another.
    cookies: RequestsCookieJar = field(default_factory=RequestsCookieJar)
    header_sent: bool = False

    @property
    def host(self) -> str:
        return urlsplit(self.start_url).netloc.lower()


@dataclass(frozen=True)
class WebViewAnswer:
    """What the proxy shows: a page (`content`, `content_type`, `status`), or the profile was
    installed (`outcome`): the device page moves on."""

    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    content: bytes = b""
    outcome: EnrollmentOutcome | None = None
    unreachable: bool = False


def _cache_key(virtual: VirtualDevice) -> str:
    return f"ipad-web-view:{virtual.pk}"


def web_view_open(virtual: VirtualDevice) -> WebView:
    """A new web view on the cloud configuration's `configuration_web_url` (empty cookie jar)."""
    start = str((virtual.activation or {}).get("configuration_web_url") or "")
    view = WebView(key=secrets.token_urlsafe(24), start_url=start)
    _save(virtual, view)
    return view


def web_view_close(virtual: VirtualDevice) -> None:
    cache.delete(_cache_key(virtual))


def web_view_current(virtual: VirtualDevice) -> WebView | None:
    """The device's open web view (for its screen), if any."""
    data = cache.get(_cache_key(virtual))
    return _view(data) if isinstance(data, dict) else None


def web_view_get(virtual: VirtualDevice, key: str) -> WebView | None:
    """The device's web view if `key` is its key (the proxy's address)."""
    data = cache.get(_cache_key(virtual))
    if not isinstance(data, dict) or not key or not secrets.compare_digest(str(data.get("key", "")), key):
        return None
    return _view(data)


def _view(data: dict[str, Any]) -> WebView:
    return WebView(
        key=str(data["key"]),
        start_url=str(data.get("start_url", "")),
        cookies=jar if isinstance(jar := data.get("cookies"), RequestsCookieJar) else RequestsCookieJar(),
        header_sent=bool(data.get("header_sent")),
    )


def _save(virtual: VirtualDevice, view: WebView) -> None:
    cache.set(
        _cache_key(virtual),
        {
            "key": view.key,
            "start_url": view.start_url,
            "cookies": view.cookies,
            "header_sent": view.header_sent,
        },
        KEEP_SECONDS,
    )


def proxy_url(virtual: VirtualDevice, view: WebView, url: str) -> str:
    """The address, on the mock, that fetches `url` for this web view."""
    # The mock's URLconf by name: the engine also runs inside the portal's tests and commands.
    base = reverse("ipad_web_view", args=[virtual.device.serial_number, view.key], urlconf="mock_apple.urls")
    return f"{base}?{urlencode({'url': url})}"


def _rewrite_url(virtual: VirtualDevice, view: WebView, base: str, value: str) -> str:
    raw = html.unescape(value).strip()
    if not raw or raw.lower().startswith(_KEEP_AS_IS):
        return value
    absolute = urljoin(base, raw)
    if urlsplit(absolute).scheme not in ("http", "https"):
        return value
    return html.escape(proxy_url(virtual, view, absolute), quote=True)


def rewrite_html(virtual: VirtualDevice, view: WebView, base: str, text: str) -> str:
    """Every URL attribute of the page, and url() in its styles, through the proxy. A form
    without an action posts to the page's own address, which is already the proxy's."""

    def attribute(match: re.Match[str]) -> str:
        rewritten = _rewrite_url(virtual, view, base, match["value"])
        return f"{match['lead']}{match['quote']}{rewritten}{match['quote']}"

    return rewrite_css(virtual, view, base, _URL_ATTRIBUTE.sub(attribute, text))


def rewrite_css(virtual: VirtualDevice, view: WebView, base: str, text: str) -> str:
    def css_url(match: re.Match[str]) -> str:
        value = match["value"]
        if value.lower().startswith(_KEEP_AS_IS):
            return match[0]
        return f'url("{proxy_url(virtual, view, urljoin(base, html.unescape(value)))}")'

    return _CSS_URL.sub(css_url, text)


def _error_page(title: str, text: str, retry_url: str) -> WebViewAnswer:
    """What Safari's web view shows when a page cannot be shown, with a way to try again."""
    body = render_to_string(
        "mock_apple/ipad/web_view_error.html",
        {"title": title, "text": text, "retry_url": retry_url, "language": get_language()},
    )
    return WebViewAnswer(status=502, content=body.encode(), unreachable=True)


def web_view_fetch(
    virtual: VirtualDevice,
    view: WebView,
    *,
    url: str,
    method: str = "GET",
    body: bytes = b"",
    content_type: str = "",
) -> WebViewAnswer:
    """Fetch `url` for the device (its cookies, the deviceinfo header on the first request to
    configuration_web_url), and answer what the web view shows."""
    target = url or view.start_url
    if urlsplit(target).scheme not in ("http", "https"):
        target = view.start_url
    headers = {
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "Accept-Language": virtual.language or "en",
    }
    # Apple sends the header with the web view's first load; it goes with every GET of that
    # host here, so that a page loaded again (the screen redrawn) still identifies the device.
    if method == "GET" and urlsplit(target).netloc.lower() == view.host:
        headers[DEVICEINFO_HEADER] = enrollment.aspen_deviceinfo_header(virtual)
    if method == "POST" and content_type:
        headers["Content-Type"] = content_type
    # The DEP profile's anchor_certs pin the web view's https host too (Apple).
    anchors = [str(each) for each in (virtual.activation or {}).get("anchor_certs") or []]
    http = DeviceHttp(anchor_certs=anchors, user_agent=USER_AGENT)
    http.session.cookies = view.cookies
    try:
        response = http.request(method, target, data=body if method == "POST" else None, headers=headers)
        content = response.content[: MAX_BYTES + 1]
    except Unreachable:
        return _error_page(
            gettext("Cannot Connect to Server"),
            gettext("The page could not be loaded because the server could not be reached."),
            proxy_url(virtual, view, target),
        )
    finally:
        http.close()
    if DEVICEINFO_HEADER in headers:
        view.header_sent = True
    view.cookies = http.session.cookies
    _save(virtual, view)
    final = response.url or target
    kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if kind == ASPEN_CONFIG:
        if urlsplit(final).netloc.lower() != view.host:
            # Apple: the profile must come from configuration_web_url's host.
            return _error_page(
                gettext("Profile Installation Failed"),
                gettext("The enrollment profile did not come from the management server's address."),
                proxy_url(virtual, view, view.start_url),
            )
        outcome = enrollment.install_aspen_config(virtual, content)
        if outcome.ok:
            web_view_close(virtual)
        return WebViewAnswer(outcome=outcome)
    if len(content) > MAX_BYTES:
        return _error_page(
            gettext("Cannot Open Page"),
            gettext("The page is too large."),
            proxy_url(virtual, view, view.start_url),
        )
    header = response.headers.get("Content-Type", "application/octet-stream")
    if kind in ("text/html", "application/xhtml+xml"):
        text = response.text if len(response.content) <= MAX_BYTES else content.decode("utf-8", "replace")
        content = rewrite_html(virtual, view, final, text).encode("utf-8")
        header = f"{kind}; charset=utf-8"
    elif kind == "text/css":
        content = rewrite_css(virtual, view, final, response.text).encode("utf-8")
        header = "text/css; charset=utf-8"
    return WebViewAnswer(status=response.status_code, content_type=header, content=content)
