"""Setup Assistant with modern authentication (mdm.web_enrollment): the web view at the DEP
profile's configuration_web_url, over the Django test client. The device side (the virtual
iPad's web view) is in tests/mock_apple/ipad/test_web_view.py."""

from __future__ import annotations

import base64
import plistlib
from typing import Any

import pytest
from asn1crypto import cms
from django.test import Client

from asm_portal.models import AuditEvent
from devices.models import Device
from mdm.web_enrollment import DEVICEINFO_HEADER
from profiles.choices import AuthMethod
from profiles.services import configuration_web_url
from tests.devices.conftest import DIRECTORY_PASSWORD
from tests.mdm.mdm_client import signed_data
from tests.tokens.conftest import push_certificate, push_portal  # noqa: F401

ASPEN_CONFIG = "application/x-apple-aspen-config"


def device_info(vdev, **extra: Any) -> str:
    info = {
        "UDID": vdev.udid,
        "SERIAL": vdev.serial_number,
        "PRODUCT": "iPad13,18",
        "VERSION": "22B83",
        "OS_VERSION": "18.1",
        "LANGUAGE": "fr",
        **extra,
    }
    return base64.b64encode(signed_data(plistlib.dumps(info), vdev.certificate, vdev.key)).decode()


@pytest.fixture
def modern(setup, push_certificate):  # noqa: F811
    setup.profile.authentication_method = AuthMethod.MODERN
    setup.profile.save()
    return setup


def _url(setup) -> str:
    return f"/enroll/{setup.token.pk}/web/"


def _signed_field(response) -> str:
    html: str = response.content.decode()
    start = html.index('name="device" value="') + len('name="device" value="')
    return html[start : html.index('"', start)]


@pytest.mark.django_db
class WebEnrollmentTests:
    def test_the_dep_profile_points_at_the_page(self, modern) -> None:
        assert configuration_web_url(modern.token).endswith(_url(modern))

    def test_sign_in_answers_the_enrollment_profile_and_records_the_user(
        self, modern, virtual_device, device_ca
    ) -> None:
        vdev = virtual_device(modern.device.serial_number)
        client = Client()
        page = client.get(_url(modern), headers={DEVICEINFO_HEADER: device_info(vdev)})
        assert page.status_code == 200
        html = page.content.decode()
        # In the device's language (its MachineInfo says fr), with Microsoft's look.
        assert 'lang="fr"' in html and "Se connecter" in html and "ms-logo" in html
        assert modern.device.serial_number in html
        answer = client.post(
            _url(modern),
            {
                "device": _signed_field(page),
                "upn": "oklein@contoso.onmicrosoft.com",
                "password": DIRECTORY_PASSWORD,
            },
        )
        assert answer.status_code == 200
        assert answer["Content-Type"] == ASPEN_CONFIG
        content = cms.ContentInfo.load(answer.content)["content"]["encap_content_info"]["content"].native
        profile = plistlib.loads(content)
        types = {payload["PayloadType"] for payload in profile["PayloadContent"]}
        assert {"com.apple.mdm", "com.apple.security.scep", "com.apple.security.root"} <= types
        device = Device.objects.get(pk=modern.device.pk)
        assert device.enrolled_user_name == modern.user.upn
        assert AuditEvent.objects.filter(
            action="Sign in to enroll device", actor_name=modern.user.upn
        ).exists()

    def test_wrong_credentials_show_the_page_again_and_change_nothing(
        self, modern, virtual_device, device_ca
    ) -> None:
        vdev = virtual_device(modern.device.serial_number)
        client = Client()
        page = client.get(_url(modern), headers={DEVICEINFO_HEADER: device_info(vdev, LANGUAGE="en")})
        answer = client.post(
            _url(modern), {"device": _signed_field(page), "upn": modern.user.upn, "password": "nope"}
        )
        assert answer.status_code == 200 and answer["Content-Type"].startswith("text/html")
        assert 'role="alert"' in answer.content.decode()
        assert Device.objects.get(pk=modern.device.pk).enrolled_user_name == ""

    @pytest.mark.parametrize(
        "header",
        [
            None,
            "not base64!",
            base64.b64encode(b"not a CMS").decode(),
            base64.b64encode(plistlib.dumps({"UDID": "X", "SERIAL": "DMPQ000001"})).decode(),
        ],
    )
    def test_a_missing_or_bad_header_is_a_clear_page(self, modern, device_ca, header) -> None:
        headers = {DEVICEINFO_HEADER: header} if header is not None else {}
        response = Client().get(_url(modern), headers=headers)
        assert response.status_code == 400
        html = response.content.decode()
        assert 'role="alert"' in html and 'name="password"' not in html

    def test_a_device_signed_by_another_ca_is_refused(self, modern, device_ca) -> None:
        from tests.mdm.virtual_device import ca_create, device_issue

        stranger = device_issue(ca_create("Not Apple"), modern.device.serial_number)
        response = Client().get(_url(modern), headers={DEVICEINFO_HEADER: device_info(stranger)})
        assert response.status_code == 400

    def test_a_serial_not_of_the_token_is_refused(self, modern, virtual_device, device_ca) -> None:
        vdev = virtual_device("ZZZZ000001")
        response = Client().get(_url(modern), headers={DEVICEINFO_HEADER: device_info(vdev)})
        assert response.status_code == 403
        assert 'name="password"' not in response.content.decode()

    def test_a_forged_or_foreign_form_is_refused(self, modern, virtual_device, device_ca) -> None:
        client = Client()
        for value in ("", "forged", "a:b:c"):
            response = client.post(
                _url(modern), {"device": value, "upn": modern.user.upn, "password": DIRECTORY_PASSWORD}
            )
            assert response.status_code == 400
        assert Device.objects.get(pk=modern.device.pk).enrolled_user_name == ""

    def test_an_unknown_token_is_a_page_not_a_500(self, modern, virtual_device, device_ca) -> None:
        vdev = virtual_device(modern.device.serial_number)
        response = Client().get("/enroll/999999/web/", headers={DEVICEINFO_HEADER: device_info(vdev)})
        assert response.status_code in (403, 404)

    def test_wrong_method(self, modern) -> None:
        assert Client().put(_url(modern)).status_code == 405
