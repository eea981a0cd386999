"""Modern authentication end to end, over HTTP: the virtual iPad's web view (the device side,
mock_apple.ipad.web_view with the engine's real MachineInfo and profile install) opens the
portal's configuration_web_url, a directory user signs in, the page typed
application/x-apple-aspen-config is installed, and the device enrolls with that user."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.cache import cache

from devices.models import Device as PortalDevice
from mdm import identity as portal_identity
from mdm.models import ManagedDevice
from mock_apple.ipad import setup_assistant, web_view
from mock_apple.models import CertificateAuthority, Device, VirtualDevice
from mock_apple.services.push import certificate_authority
from profiles.choices import AuthMethod
from tests.devices.conftest import DIRECTORY_PASSWORD, enrollment_setup_create
from tests.mock_apple.conftest import organization_create
from tests.mock_apple.engine.conftest import ipad_assigned
from tests.mock_apple.ipad_fake import setup_to_wifi
from tests.tokens.conftest import push_certificate, push_portal  # noqa: F401

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def portal(live_server: Any, settings: Any, push_certificate: Any, monkeypatch: pytest.MonkeyPatch) -> str:  # noqa: F811
    settings.PORTAL_BASE_URL = live_server.url
    from mdm import tasks

    pem = certificate_authority(CertificateAuthority.Purpose.DEVICE).certificate_pem.encode()
    monkeypatch.setattr(portal_identity, "ca_pem_fetch", lambda: pem)
    monkeypatch.setattr(tasks, "devices_push_enqueue", lambda *, device_ids: None)
    cache.clear()
    return str(live_server.url)


def _form(page: str) -> tuple[str, dict[str, str]]:
    """The proxied page's form: the real URL it posts to, and its hidden fields."""
    action = re.search(r'<form method="post" action="([^"]+)"', page)
    assert action, page
    target = parse_qs(urlsplit(html.unescape(action[1])).query)["url"][0]
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    return target, {name: html.unescape(value) for name, value in hidden.items()}


@pytest.mark.django_db(transaction=True, databases=["default", "apple"])
def test_modern_authentication_enrolls_the_ipad_with_the_user_who_signed_in(portal: str) -> None:
    organization = organization_create(devices=6)
    setup = enrollment_setup_create(authentication_method=AuthMethod.MODERN)
    base = f"{portal}/enroll/{setup.token.pk}/"
    virtual = ipad_assigned(
        organization, base, configuration_web_url=f"{base}web/", await_device_configured=True
    )
    Device.objects.filter(pk=virtual.device_id).update(serial_number=setup.device.serial_number)
    virtual = VirtualDevice.objects.get(pk=virtual.pk)
    setup_to_wifi(virtual, language="fr")
    setup_assistant.remote_management_continue(virtual)
    assert virtual.pane == "web_view"
    view = web_view.web_view_current(virtual)
    assert view is not None

    page = web_view.web_view_fetch(virtual, view, url=view.start_url)
    text = page.content.decode()
    assert page.status == 200 and "Se connecter" in text  # the device's language
    target, fields = _form(text)
    wrong = web_view.web_view_fetch(
        virtual,
        view,
        url=target,
        method="POST",
        body=urlencode({**fields, "upn": setup.user.upn, "password": "wrong"}).encode(),
        content_type=FORM,
    )
    assert wrong.outcome is None and 'role="alert"' in wrong.content.decode()
    answer = web_view.web_view_fetch(
        virtual,
        view,
        url=target,
        method="POST",
        body=urlencode({**fields, "upn": setup.user.upn, "password": DIRECTORY_PASSWORD}).encode(),
        content_type=FORM,
    )
    assert answer.outcome is not None and answer.outcome.ok, answer.outcome
    setup_assistant.enrolled(virtual, answer.outcome)
    virtual.refresh_from_db()
    assert virtual.enrolled
    managed = ManagedDevice.objects.get(udid=virtual.udid)
    assert managed.user_principal_name == setup.user.upn
    assert PortalDevice.objects.get(pk=setup.device.pk).enrolled_user_name == setup.user.upn
    # Awaiting final configuration until the portal's DeviceConfigured.
    assert virtual.pane in ("configuring", "home") or virtual.pane.startswith("pane:")
