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

from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from mock_apple.models import VirtualDevice


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


def remote_management(virtual: VirtualDevice) -> EnrollmentOutcome:
    """The Remote Management pane's *Continue*: POST the signed MachineInfo to the cloud
    configuration's `url` (VirtualDevice.activation), install the profile, Authenticate,
    TokenUpdate, then run one check-in session at once (the MDM's first commands). On success
    `virtual.enrolled` is True; on failure nothing of the enrollment is kept and
    `virtual.enrollment_failure` holds the code. Does not change `pane` (the screens do)."""
    raise NotImplementedError


def aspen_deviceinfo_header(virtual: VirtualDevice) -> str:
    """The `x-apple-aspen-deviceinfo` header of the web view's first GET of
    `configuration_web_url`: base64 of the CMS-signed (attached) MachineInfo plist."""
    raise NotImplementedError


def install_aspen_config(virtual: VirtualDevice, body: bytes) -> EnrollmentOutcome:
    """The web view met a page typed `application/x-apple-aspen-config`: install that enrollment
    profile exactly as `remote_management` installs the one from `url` (and check in)."""
    raise NotImplementedError


def install_enrollment_profile(virtual: VirtualDevice, body: bytes) -> EnrollmentOutcome:
    """Install an enrollment profile (signed or not) and check in: also used by ReturnToService
    with its MDMProfileData. Everything or nothing."""
    raise NotImplementedError


def remove_management(virtual: VirtualDevice) -> bool:
    """Settings › VPN & Device Management › Remove Management: refused (False) when the DEP
    profile made the MDM profile non-removable; otherwise removes the MDM profile and every
    managed profile and app, sending CheckOut when CheckOutWhenRemoved."""
    raise NotImplementedError
