"""The profile as Microsoft Graph shows it: `#microsoft.graph.depIOSEnrollmentProfile` (beta)."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any

from profiles.choices import Affinity, AuthMethod, Pairing
from profiles.rules import ProfileValues
from profiles.screens import SCREENS

_PAIRING = {
    Pairing.DENY_ALL: "disallow",
    Pairing.ALLOW_ALL: "allow",
    Pairing.BY_CERTIFICATE: "requiresCertificate",
}


def graph_profile(
    values: ProfileValues,
    *,
    profile_id: str,
    is_default: bool,
    certificates_der: list[bytes],
    vpp_token_id: str | None,
    configuration_endpoint_url: str,
    created: datetime | None,
    modified: datetime | None,
) -> dict[str, Any]:
    with_affinity = values.user_affinity == Affinity.WITH
    body: dict[str, Any] = {
        "@odata.type": "#microsoft.graph.depIOSEnrollmentProfile",
        "id": profile_id,
        "displayName": values.name,
        "description": values.description,
        "requiresUserAuthentication": with_affinity,
        "configurationEndpointUrl": configuration_endpoint_url,
        "enableAuthenticationViaCompanyPortal": values.authentication_method == AuthMethod.COMPANY_PORTAL,
        "requireCompanyPortalOnSetupAssistantEnrolledDevices": values.install_company_portal,
        "isDefault": is_default,
        "supervisedModeEnabled": values.supervised,
        "supportDepartment": values.department,
        "supportPhoneNumber": values.department_phone,
        "isMandatory": True,
        "profileRemovalDisabled": values.locked_enrollment,
        "deviceNameTemplate": values.device_name_template,
        # Graph calls it a URL but types it Boolean: true means modern authentication.
        "configurationWebUrl": values.authentication_method == AuthMethod.MODERN,
        "enabledSkipKeys": [screen.key for screen in SCREENS if screen.key in values.hidden_screens],
        "awaitDeviceConfiguredConfirmation": values.await_final_configuration,
        "waitForDeviceConfiguredConfirmation": values.await_final_configuration,
        "iTunesPairingMode": _PAIRING[Pairing(values.pairing)],
        "managementCertificates": [
            {
                "thumbprint": hashlib.sha1(der).hexdigest().upper(),
                "certificate": base64.b64encode(der).decode(),
            }  # noqa: S324
            for der in certificates_der
        ],
        "enableSharedIPad": values.shared_ipad,
        "sharedIPadMaximumUserCount": values.max_cached_users or 0,
        "passcodeLockGracePeriodInSeconds": values.passcode_grace_seconds,
        "userSessionTimeoutInSeconds": values.user_session_timeout,
        "forceTemporarySession": values.temporary_session_only,
        "temporarySessionTimeoutInSeconds": values.temporary_session_timeout,
        "companyPortalVppTokenId": vpp_token_id,
        "enableSingleAppEnrollmentMode": values.single_app_mode,
        "carrierActivationUrl": values.carrier_activation_url,
        "userlessSharedAadModeEnabled": False,
        "createdDateTime": created.isoformat() if created else None,
        "lastModifiedDateTime": modified.isoformat() if modified else None,
    }
    for screen in SCREENS:
        if screen.graph_flag:
            body[screen.graph_flag] = screen.key in values.hidden_screens
    return body
