"""*Export Profile* on an enrollment program profile (Intune's direct enrollment, for Apple
Configurator or a device outside Automated Device Enrollment): the signed .mobileconfig with its
own SCEP challenge, valid two weeks, bound to no serial number and usable once; the device
client of the tests enrolls with it over real HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from django.urls import reverse

from asm_portal.models import AuditEvent
from mdm.models import IssuedCertificate, ManagedDevice, ScepChallenge
from tests.conftest import HTMX
from tests.devices.conftest import enrollment_setup_create
from tests.mdm.mdm_client import ScepClient
from tests.mdm.test_mdm_protocol import device_from_profile, identity_keys, portal, signed_profile  # noqa: F401
from tests.tokens.conftest import push_certificate, push_portal  # noqa: F401
from tokens.models import ApplePushCertificate

pytestmark = pytest.mark.django_db(transaction=True)


def export_url(profile) -> str:
    return reverse("mdm:profile_export", args=[profile.pk])


def test_the_exported_profile_enrolls_one_device_outside_ade(portal, admin_client, identity_keys) -> None:  # noqa: F811
    setup = enrollment_setup_create()
    response = admin_client.post(export_url(setup.profile))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-apple-aspen-config"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Disposition"].endswith('.mobileconfig"')
    profile = signed_profile(response.content)  # signed by the tenant CA, Apple's schema
    scep = next(p for p in profile["PayloadContent"] if p["PayloadType"] == "com.apple.security.scep")
    # Bound to no device: no serial number in the subject, nor on the challenge; two weeks.
    assert [oid for [[oid, _value]] in scep["PayloadContent"]["Subject"]] == ["CN", "O"]
    challenge = ScepChallenge.objects.get()
    assert challenge.serial_number == "" and challenge.expires_at - challenge.created_at == timedelta(days=14)
    assert (
        AuditEvent.objects.filter(action="Export enrollment profile", target_id=str(setup.profile.pk)).count()
        == 1
    )

    # A device that is none of the token's enrolls with it, with its own serial number.
    device, _mdm = device_from_profile(
        profile, udid="00008020-00EXPORTED0001", serial_number="DMPEXPORT001", key=identity_keys[0]
    )
    assert device.authenticate().status_code == 200
    assert device.token_update().status_code == 200
    managed = ManagedDevice.objects.get(udid="00008020-00EXPORTED0001")
    assert managed.serial_number == "DMPEXPORT001" and managed.push_token == device.token.hex()
    # Its identity is bound now: it cannot authenticate as another device.
    assert IssuedCertificate.objects.get().serial_number == "DMPEXPORT001"
    device.serial_number = "DMPOTHER0001"
    assert device.authenticate().status_code == 400
    assert ManagedDevice.objects.get(udid=managed.udid).serial_number == "DMPEXPORT001"

    # The file enrolls one device: its challenge does not work a second time.
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "second")])
    _response, rep = ScepClient(scep["PayloadContent"]["URL"]).request(
        key=identity_keys[1], subject=subject, challenge=scep["PayloadContent"]["Challenge"]
    )
    assert rep is not None and (rep.status, rep.fail_info) == ("2", "2")
    assert IssuedCertificate.objects.count() == 1


def test_the_export_pane_shows_the_profile_url_and_the_download(
    portal,  # noqa: F811
    admin_client,
    operator_client,
) -> None:
    setup = enrollment_setup_create()
    detail = admin_client.get(reverse("profiles:detail", args=[setup.profile.pk]))
    assert export_url(setup.profile) in detail.content.decode()
    page = admin_client.get(export_url(setup.profile)).content.decode()
    assert f"{portal}/enroll/{setup.token.pk}/" in page and "data-download-profile" in page
    assert "<html" in page  # the whole blade without htmx
    pane = admin_client.get(export_url(setup.profile), **HTMX).content.decode()
    assert "<html" not in pane and "Direct enrollment" in pane
    # A read-only operator sees the pane, without the download, and cannot download.
    seen = operator_client.get(export_url(setup.profile)).content.decode()
    assert "data-download-profile" not in seen and "Only an administrator" in seen
    assert operator_client.post(export_url(setup.profile)).status_code == 403
    assert ScepChallenge.objects.count() == 0 and not AuditEvent.objects.filter(
        action="Export enrollment profile"
    )
    assert admin_client.put(export_url(setup.profile)).status_code == 405


def test_no_valid_push_certificate_no_export(portal, admin_client) -> None:  # noqa: F811
    setup = enrollment_setup_create()
    ApplePushCertificate.objects.all().delete()
    response = admin_client.post(export_url(setup.profile), **HTMX)
    assert response.status_code == 200
    assert "Apple MDM Push certificate is missing or expired" in response.content.decode()
    assert ScepChallenge.objects.count() == 0


def test_anonymous_is_sent_to_sign_in(client) -> None:
    setup = enrollment_setup_create()
    response = client.get(export_url(setup.profile))
    assert response.status_code == 302 and "/signin/" in response["Location"]
