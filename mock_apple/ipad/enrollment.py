"""Automated Device Enrollment as Setup Assistant does it, the device's side (issue 23).

At *Remote Management* the iPad POSTs its CMS-signed MachineInfo to the DEP profile's `url`
(trusting the profile's `anchor_certs`), installs the enrollment profile it gets back as iOS
does (signature, payloads, SCEP or PKCS#12 identity), then sends Authenticate and TokenUpdate.
With `configuration_web_url` the web view (mock_apple.ipad_views) sends the header
`aspen_deviceinfo_header` builds and hands the `application/x-apple-aspen-config` page to
`install_aspen_config`. Nothing is half-enrolled: any failure rolls back what was installed.

Every request goes over HTTP to whatever server the profile names (the portal or any MDM
server); nothing here imports the portal.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import plistlib
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from mock_apple import clock
from mock_apple.db import DB
from mock_apple.ipad import hardware, profiles, scep
from mock_apple.ipad.channel import exchange_log, mdm_put
from mock_apple.ipad.keys import certificate_pem, key_pem
from mock_apple.ipad.transport import ENROLLMENT_USER_AGENT, DeviceHttp, Unreachable
from mock_apple.models import InstalledProfile, MdmExchange, VirtualDevice
from mock_apple.setup_panes import OS_VERSION


class FailureCode(StrEnum):
    """Why enrollment stopped, one per screen iOS shows (each with *Try again*)."""

    # The device is in no MDM server, or its server has no profile for it.
    NOT_ASSIGNED = "not_assigned"
    # No connection to the enrollment server (DNS, refused, timeout, TLS not trusted by anchor_certs).
    SERVER_UNREACHABLE = "server_unreachable"
    # The server answered, but not with a profile (4xx/5xx, wrong content type).
    PROFILE_DOWNLOAD_FAILED = "profile_download_failed"
    # 401 on the MachineInfo POST: legacy Setup Assistant authentication is required.
    AUTHENTICATION_REQUIRED = "authentication_required"
    # 403 com.apple.softwareupdate.required: update iPadOS first.
    SOFTWARE_UPDATE_REQUIRED = "software_update_required"
    # The profile is not a plist, its signature does not verify, or its payloads are wrong.
    INVALID_PROFILE = "invalid_profile"
    # The SCEP server refused the request (CertRep FAILURE) or could not be reached.
    SCEP_FAILED = "scep_failed"
    # Authenticate or TokenUpdate was refused by the MDM server.
    CHECKIN_REFUSED = "checkin_refused"


FAILURE_TITLES = {
    FailureCode.NOT_ASSIGNED: _("This iPad is not assigned to a management server"),
    FailureCode.SERVER_UNREACHABLE: _("Could not connect to the server"),
    FailureCode.PROFILE_DOWNLOAD_FAILED: _("The configuration for your iPad could not be downloaded"),
    FailureCode.AUTHENTICATION_REQUIRED: _("Authentication required"),
    FailureCode.SOFTWARE_UPDATE_REQUIRED: _("Software update required"),
    FailureCode.INVALID_PROFILE: _("The profile is not valid"),
    FailureCode.SCEP_FAILED: _("The SCEP server returned an invalid response"),
    FailureCode.CHECKIN_REFUSED: _("The management server refused this iPad"),
}


@dataclass(frozen=True)
class EnrollmentOutcome:
    """What Remote Management ends with.

    `failure` is "" on success, else a FailureCode; `detail` is the server's words (a status,
    a reason) for the screen's small print, never a secret; `awaiting_configuration` is True when
    the DEP profile awaits DeviceConfigured and the MDM has not sent it yet (Setup Assistant
    then shows « Awaiting final configuration » until `VirtualDevice.awaiting_configuration`
    turns False)."""

    failure: str = ""
    detail: str = ""
    awaiting_configuration: bool = False

    @property
    def ok(self) -> bool:
        return not self.failure


ENROLLMENT = MdmExchange.Kind.ENROLLMENT
CHECKIN = MdmExchange.Kind.CHECKIN
SOFTWARE_UPDATE_REQUIRED = "com.apple.softwareupdate.required"


class _Stop(Exception):
    def __init__(self, failure: FailureCode, detail: str = "") -> None:
        super().__init__(detail)
        self.failure, self.detail = failure, detail[:300]


def _configuration(virtual: VirtualDevice) -> dict[str, Any]:
    return dict(virtual.activation or {})


def _http(virtual: VirtualDevice) -> DeviceHttp:
    anchors = _configuration(virtual).get("anchor_certs") or []
    return DeviceHttp(anchor_certs=[str(each) for each in anchors], user_agent=ENROLLMENT_USER_AGENT)


def _answer_words(response: requests.Response) -> str:
    """What a refusal says, for the small print: a JSON or plist message, or the status."""
    text = response.text[:2000]
    for load in (json.loads, lambda raw: plistlib.loads(raw.encode())):
        try:
            data = load(text)
        except Exception:  # noqa: BLE001 - any unreadable body falls through to the status
            continue
        if isinstance(data, dict):
            for key in ("message", "detail", "code", "error"):
                if isinstance(data.get(key), str):
                    return f"HTTP {response.status_code}: {data[key]}"
    return f"HTTP {response.status_code}"


def _refusal_code(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        try:
            data = plistlib.loads(response.content)
        except profiles.PLIST_ERRORS:
            return ""
    return str(data.get("code", "")) if isinstance(data, dict) else ""


def aspen_deviceinfo_header(virtual: VirtualDevice) -> str:
    """The `x-apple-aspen-deviceinfo` header of the web view's first GET of
    `configuration_web_url`: base64 of the CMS-signed (attached) MachineInfo plist."""
    return base64.b64encode(hardware.machine_info_signed(virtual)).decode()


def remote_management(virtual: VirtualDevice) -> EnrollmentOutcome:
    """The Remote Management pane's *Continue*: POST the signed MachineInfo to the cloud
    configuration's `url` (VirtualDevice.activation), install the profile, Authenticate,
    TokenUpdate, then run one check-in session at once (the MDM's first commands). On success
    `virtual.enrolled` is True; on failure nothing of the enrollment is kept and
    `virtual.enrollment_failure` holds the code. Does not change `pane` (the screens do)."""
    url = _configuration(virtual).get("url") or virtual.enrollment_url
    if not virtual.activation or not url:
        return _failed(virtual, _Stop(FailureCode.NOT_ASSIGNED))
    with _http(virtual) as http:
        try:
            try:
                response = _machine_info_post(virtual, http, str(url))
            except Unreachable as exc:
                raise _Stop(FailureCode.SERVER_UNREACHABLE, str(exc)) from None
            _profile_answer_check(response)
            return _install(virtual, http, response.content)
        except _Stop as stop:
            return _failed(virtual, stop)


def report_without_configuration(virtual: VirtualDevice) -> None:
    """Activation gave no cloud configuration, but the device is assigned to an MDM server
    (`virtual.enrollment_url`, that server's last profile url): the device's signed MachineInfo
    goes there once, so that the MDM records the refused enrollment (the portal's « Failed »,
    NO_PROFILE). Best effort: whatever the answer, Setup Assistant shows its failure screen."""
    if not virtual.enrollment_url:
        return
    with _http(virtual) as http, contextlib.suppress(Unreachable):
        _machine_info_post(virtual, http, virtual.enrollment_url)


def _machine_info_post(virtual: VirtualDevice, http: DeviceHttp, url: str) -> requests.Response:
    """POST the device's signed MachineInfo to `url`, logged (an unreachable server too: then
    Unreachable goes on)."""
    machine_info = hardware.machine_info(virtual)
    try:
        response = http.request(
            "POST",
            url,
            data=hardware.machine_info_signed(virtual),
            headers={"Content-Type": "application/pkcs7-signature"},
        )
    except Unreachable:
        exchange_log(virtual, kind=ENROLLMENT, request_type="MachineInfo", request=machine_info)
        raise
    exchange_log(
        virtual,
        kind=ENROLLMENT,
        request_type="MachineInfo",
        request=machine_info,
        http_status=response.status_code,
    )
    return response


def _profile_answer_check(response: requests.Response) -> None:
    if response.status_code == 401:
        raise _Stop(FailureCode.AUTHENTICATION_REQUIRED, _answer_words(response))
    if response.status_code == 403 and _refusal_code(response) == SOFTWARE_UPDATE_REQUIRED:
        raise _Stop(FailureCode.SOFTWARE_UPDATE_REQUIRED, _answer_words(response))
    if response.status_code != 200 or not response.content:
        raise _Stop(FailureCode.PROFILE_DOWNLOAD_FAILED, _answer_words(response))


def install_aspen_config(virtual: VirtualDevice, body: bytes) -> EnrollmentOutcome:
    """The web view met a page typed `application/x-apple-aspen-config`: install that enrollment
    profile exactly as `remote_management` installs the one from `url` (and check in)."""
    return install_enrollment_profile(virtual, body)


def install_enrollment_profile(virtual: VirtualDevice, body: bytes) -> EnrollmentOutcome:
    """Install an enrollment profile (signed or not) and check in: also used by ReturnToService
    with its MDMProfileData. Everything or nothing."""
    with _http(virtual) as http:
        try:
            return _install(virtual, http, body)
        except _Stop as stop:
            return _failed(virtual, stop)


def _failed(virtual: VirtualDevice, stop: _Stop) -> EnrollmentOutcome:
    virtual.enrollment_failure = str(stop.failure)
    virtual.enrollment_failure_detail = stop.detail
    virtual.save(update_fields=["enrollment_failure", "enrollment_failure_detail"])
    return EnrollmentOutcome(failure=str(stop.failure), detail=stop.detail)


def _identity(http: DeviceHttp, profile: profiles.Profile, mdm: dict[str, Any]) -> tuple[str, str]:
    """The identity the com.apple.mdm payload names: by SCEP, or from the PKCS#12 payload.
    Returns (certificate PEM, key PEM)."""
    payload = next(each for each in profile.payloads if each["PayloadUUID"] == mdm["IdentityCertificateUUID"])
    kind = payload["PayloadType"]
    if kind == "com.apple.security.scep":
        settings = payload.get("PayloadContent")
        if not isinstance(settings, dict):
            raise _Stop(FailureCode.INVALID_PROFILE, "the SCEP payload has no settings")
        try:
            identity = scep.scep_enroll(http, settings)
        except scep.ScepFailed as exc:
            raise _Stop(FailureCode.SCEP_FAILED, str(exc)) from None
        return certificate_pem(identity.certificate), key_pem(identity.key)
    if kind == "com.apple.security.pkcs12":
        data, password = payload.get("PayloadContent"), payload.get("Password")
        if not isinstance(data, bytes):
            raise _Stop(FailureCode.INVALID_PROFILE, "the PKCS#12 payload has no data")
        try:
            key, certificate, _chain = pkcs12.load_key_and_certificates(
                data, password.encode() if isinstance(password, str) else None
            )
        except ValueError as exc:
            raise _Stop(FailureCode.INVALID_PROFILE, f"the PKCS#12 payload: {exc}") from None
        if not isinstance(key, rsa.RSAPrivateKey) or certificate is None:
            raise _Stop(FailureCode.INVALID_PROFILE, "the PKCS#12 payload holds no RSA identity")
        return certificate_pem(certificate), key_pem(key)
    # ACME needs hardware-bound keys and attestation the mock does not model.
    raise _Stop(FailureCode.INVALID_PROFILE, f"{kind} identities are not supported by the virtual iPad")


MDM_KEYS = (
    "ServerURL",
    "CheckInURL",
    "Topic",
    "IdentityCertificateUUID",
    "SignMessage",
    "CheckOutWhenRemoved",
    "AccessRights",
    "ServerCapabilities",
    "UseDevelopmentAPNS",
)


def _install(virtual: VirtualDevice, http: DeviceHttp, body: bytes) -> EnrollmentOutcome:
    """Install the enrollment profile and check in; saves nothing unless all of it worked."""
    try:
        profile = profiles.profile_parse(body)
        mdm = profiles.mdm_payload_check(profile)
    except profiles.InvalidProfile as exc:
        exchange_log(virtual, kind=ENROLLMENT, request_type="InstallProfile", status="Error")
        raise _Stop(FailureCode.INVALID_PROFILE, str(exc)) from None
    configuration = _configuration(virtual)
    if configuration.get("is_multi_user") and "com.apple.mdm.per-user-connections" not in (
        mdm.get("ServerCapabilities") or []
    ):
        raise _Stop(FailureCode.INVALID_PROFILE, "a Shared iPad needs com.apple.mdm.per-user-connections")
    certificate, key = _identity(http, profile, mdm)
    # The checks in below use the new identity; the device row is saved only at the end.
    virtual.mdm_payload = {
        **{key: mdm[key] for key in MDM_KEYS if key in mdm},
        "ProfileIdentifier": profile.identifier,
    }
    virtual.mdm_certificate_pem, virtual.mdm_private_key = certificate, key
    awaiting = bool(configuration.get("await_device_configured"))
    token = os.urandom(32)
    push_magic = str(uuid.uuid4()).upper()
    try:
        _checkin(virtual, http, "Authenticate", _authenticate_fields(virtual))
        _checkin(
            virtual,
            http,
            "TokenUpdate",
            {
                "Token": token,
                "PushMagic": push_magic,
                # No UnlockToken on a Shared iPad (Apple's TokenUpdate): it has no passcode to clear.
                **({} if configuration.get("is_multi_user") else {"UnlockToken": os.urandom(64)}),
                "AwaitingConfiguration": awaiting,
            },
        )
    except _Stop:
        virtual.refresh_from_db()
        raise
    removal_disallowed = configuration.get("is_mdm_removable") is False
    with transaction.atomic(using=DB):
        profiles.profile_record(virtual, profile, is_enrollment=True, removal_disallowed=removal_disallowed)
        virtual.enrolled = True
        virtual.enrolled_at = clock.now()
        virtual.push_token = token.hex()
        virtual.push_magic = push_magic
        virtual.awaiting_configuration = awaiting
        virtual.enrollment_failure = virtual.enrollment_failure_detail = ""
        virtual.device_name = virtual.device_name or "iPad"
        virtual.save()
    from mock_apple.ipad import session  # the session runs commands that can unenroll: a cycle

    session.check_in_now(virtual)
    virtual.refresh_from_db()
    return EnrollmentOutcome(awaiting_configuration=virtual.awaiting_configuration)


def _authenticate_fields(virtual: VirtualDevice) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "SerialNumber": virtual.device.serial_number,
        "OSVersion": OS_VERSION,
        "BuildVersion": hardware.BUILD_VERSION,
        "ProductName": hardware.product_name(virtual),
    }
    if hardware.cellular(virtual):
        fields["IMEI"], fields["MEID"] = hardware.imei(virtual), hardware.meid(virtual)
    return fields


def _checkin(virtual: VirtualDevice, http: DeviceHttp, message_type: str, fields: dict[str, Any]) -> None:
    message = {
        "MessageType": message_type,
        "UDID": virtual.udid,
        "Topic": str((virtual.mdm_payload or {}).get("Topic", "")),
        **fields,
    }
    try:
        response = mdm_put(virtual, http, message=message, checkin=True)
    except Unreachable as exc:
        exchange_log(virtual, kind=CHECKIN, request_type=message_type, request=message)
        raise _Stop(FailureCode.SERVER_UNREACHABLE, str(exc)) from None
    exchange_log(
        virtual, kind=CHECKIN, request_type=message_type, request=message, http_status=response.status_code
    )
    if response.status_code != 200:
        raise _Stop(FailureCode.CHECKIN_REFUSED, f"{message_type}: {_answer_words(response)}")


def remove_management(virtual: VirtualDevice) -> bool:
    """Settings › VPN & Device Management › Remove Management: refused (False) when the DEP
    profile made the MDM profile non-removable; otherwise removes the MDM profile and every
    managed profile and app, sending CheckOut when CheckOutWhenRemoved."""
    enrollment = InstalledProfile.objects.filter(virtual_device=virtual, is_enrollment=True).first()
    if enrollment is None or enrollment.removal_disallowed:
        return False
    unenroll(virtual, check_out=True)
    return True


def unenroll(virtual: VirtualDevice, *, check_out: bool) -> None:
    """The MDM profile goes (Remove Management, RemoveProfile of it, or the server's 401): with it
    every managed profile and app and the MDM identity; CheckOut first when the profile asks."""
    virtual.refresh_from_db()
    if check_out and virtual.enrolled and (virtual.mdm_payload or {}).get("CheckOutWhenRemoved"):
        # Best effort, as on an iPad: the profile goes anyway.
        with DeviceHttp() as http, contextlib.suppress(_Stop):
            _checkin(virtual, http, "CheckOut", {})
    with transaction.atomic(using=DB):
        InstalledProfile.objects.filter(virtual_device=virtual, is_managed=True).delete()
        for name, value in UNENROLLED.items():
            setattr(virtual, name, value)
        virtual.apps = [app for app in virtual.apps or [] if not app.get("managed", True)]
        virtual.save(update_fields=[*UNENROLLED, "apps"])


UNENROLLED: dict[str, Any] = {
    "enrolled": False,
    "mdm_payload": None,
    "mdm_certificate_pem": "",
    "mdm_private_key": "",
    "push_token": "",
    "push_magic": "",
    "awaiting_configuration": False,
    "mdm_settings": {},
}
