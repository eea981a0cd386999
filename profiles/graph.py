"""The profile as Microsoft Graph shows it: `#microsoft.graph.depIOSEnrollmentProfile` (beta)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace
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


# --- Graph's JSON back to the form's values (POST and PATCH of enrollmentProfiles) -------------

_PAIRING_BACK = {graph_name: value for value, graph_name in _PAIRING.items()}
# What Graph computes or this portal does not store: accepted in a request and ignored.
READ_ONLY = frozenset(
    {
        "@odata.type",
        "id",
        "isDefault",
        "isMandatory",
        "configurationEndpointUrl",
        "managementCertificates",
        "userlessSharedAadModeEnabled",
        "createdDateTime",
        "lastModifiedDateTime",
        "roleScopeTagIds",
        "enrollmentTimeAzureAdGroupIds",
        "locationDisabled",
        "restoreBlocked",
        "appleIdDisabled",
        "termsAndConditionsDisabled",
        "touchIdDisabled",
        "applePayDisabled",
        "siriDisabled",
        "diagnosticsDisabled",
        "displayToneSetupDisabled",
        "privacyPaneDisabled",
        "screenTimeScreenDisabled",
    }
)
_STRINGS = {
    "displayName": "name",
    "description": "description",
    "supportDepartment": "department",
    "supportPhoneNumber": "department_phone",
    "deviceNameTemplate": "device_name_template",
    "carrierActivationUrl": "carrier_activation_url",
    "companyPortalVppTokenId": "vpp_token",
}
_BOOLEANS = {
    "requireCompanyPortalOnSetupAssistantEnrolledDevices": "install_company_portal",
    "enableSingleAppEnrollmentMode": "single_app_mode",
    "supervisedModeEnabled": "supervised",
    "profileRemovalDisabled": "locked_enrollment",
    "enableSharedIPad": "shared_ipad",
    "forceTemporarySession": "temporary_session_only",
    "awaitDeviceConfiguredConfirmation": "await_final_configuration",
    "waitForDeviceConfiguredConfirmation": "await_final_configuration",
}
_INTEGERS = {
    "sharedIPadMaximumUserCount": "max_cached_users",
    "passcodeLockGracePeriodInSeconds": "passcode_grace_seconds",
    "userSessionTimeoutInSeconds": "user_session_timeout",
    "temporarySessionTimeoutInSeconds": "temporary_session_timeout",
}
_METHOD_FLAGS = ("requiresUserAuthentication", "enableAuthenticationViaCompanyPortal", "configurationWebUrl")


class GraphBodyError(ValueError):
    """A property Graph does not know, or a value of the wrong type: Graph's 400."""


def graph_properties() -> frozenset[str]:
    """Every property of a depIOSEnrollmentProfile a request may carry."""
    screen_flags = {screen.graph_flag for screen in SCREENS if screen.graph_flag}
    return frozenset(
        {
            *READ_ONLY,
            *_STRINGS,
            *_BOOLEANS,
            *_INTEGERS,
            *_METHOD_FLAGS,
            "iTunesPairingMode",
            "enabledSkipKeys",
        }
        | screen_flags
    )


def _typed(body: dict[str, Any], name: str, kind: type, nullable: bool = False) -> Any:
    value = body[name]
    if value is None and nullable:
        return None
    # bool is an int in Python: an integer property refuses true/false.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise GraphBodyError(f"Invalid value for property '{name}': expected {kind.__name__}.")
    return value


def values_from_graph(body: dict[str, Any], *, base: ProfileValues) -> ProfileValues:
    """The values a Graph request body gives, on top of `base` (the defaults for a POST, the
    profile's values for a PATCH): only the properties present change."""
    unknown = sorted(set(body) - graph_properties())
    if unknown:
        raise GraphBodyError(
            f"Property '{unknown[0]}' does not exist on type 'microsoft.graph.depIOSEnrollmentProfile'."
        )
    changes: dict[str, Any] = {}
    for name, field_name in _STRINGS.items():
        if name in body:
            changes[field_name] = _typed(body, name, str, nullable=True) or ""
    for name, field_name in _BOOLEANS.items():
        if name in body:
            changes[field_name] = _typed(body, name, bool)
    for name, field_name in _INTEGERS.items():
        if name in body:
            value = _typed(body, name, int, nullable=True)
            changes[field_name] = (
                None if value in (None, 0) and name == "sharedIPadMaximumUserCount" else value
            )
    if "requiresUserAuthentication" in body:
        with_affinity = _typed(body, "requiresUserAuthentication", bool)
        changes["user_affinity"] = Affinity.WITH if with_affinity else Affinity.WITHOUT
    if "enableAuthenticationViaCompanyPortal" in body or "configurationWebUrl" in body:
        portal = "enableAuthenticationViaCompanyPortal" in body and _typed(
            body, "enableAuthenticationViaCompanyPortal", bool
        )
        modern = "configurationWebUrl" in body and _typed(body, "configurationWebUrl", bool)
        changes["authentication_method"] = (
            AuthMethod.COMPANY_PORTAL
            if portal
            else AuthMethod.MODERN
            if modern
            else AuthMethod.SETUP_ASSISTANT
        )
    if "iTunesPairingMode" in body:
        mode = body["iTunesPairingMode"]
        if mode not in _PAIRING_BACK:
            raise GraphBodyError(f"Invalid value for property 'iTunesPairingMode': {mode!r}.")
        changes["pairing"] = _PAIRING_BACK[mode]
    if "deviceNameTemplate" in body:
        changes["apply_device_name_template"] = bool(changes["device_name_template"])
    if "carrierActivationUrl" in body:
        changes["cellular_data_plan"] = bool(changes["carrier_activation_url"])
    hidden = set(base.hidden_screens)
    if "enabledSkipKeys" in body:
        keys = body["enabledSkipKeys"]
        if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
            raise GraphBodyError(
                "Invalid value for property 'enabledSkipKeys': expected a string collection."
            )
        hidden = set(keys)
    for screen in SCREENS:
        if screen.graph_flag and screen.graph_flag in body:
            if _typed(body, screen.graph_flag, bool):
                hidden.add(screen.key)
            else:
                hidden.discard(screen.key)
    changes["hidden_screens"] = frozenset(hidden)
    return replace(base, **changes)
