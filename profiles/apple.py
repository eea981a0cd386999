"""The profile Apple receives: a pure mapping from an enrollment profile to Apple's JSON.

The keys are those of Apple's `Profile` object (POST /profile). Intune's names map as:
Locked enrollment → `is_mdm_removable = false`, Shared iPad → `is_multi_user`, Await final
configuration → `await_device_configured`, hidden Setup Assistant screens → `skip_setup_items`,
Sync with computers → `allow_pairing` + `supervising_host_certs`.
"""

from __future__ import annotations

import base64
from typing import Any

from profiles.choices import AuthMethod, Pairing
from profiles.rules import ProfileValues
from profiles.screens import SCREENS


def apple_profile(
    values: ProfileValues,
    *,
    enrollment_url: str,
    configuration_web_url: str,
    org_magic: str,
    certificates_der: list[bytes],
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "profile_name": values.name,
        "url": enrollment_url,
        "allow_pairing": values.pairing != Pairing.DENY_ALL,
        "is_supervised": values.supervised,
        # Intune makes enrollment mandatory: the user cannot skip Remote Management.
        "is_mandatory": True,
        "is_mdm_removable": not values.locked_enrollment,
        "is_multi_user": values.shared_ipad,
        "await_device_configured": values.await_final_configuration,
        "department": values.department,
        "support_phone_number": values.department_phone,
        "org_magic": org_magic,
        # Apple's order of keys does not matter; Intune's screen order keeps the JSON readable.
        "skip_setup_items": [screen.key for screen in SCREENS if screen.key in values.hidden_screens],
    }
    if values.shared_ipad:
        # Not Apple's: Intune sends these to the device by MDM command once it is enrolled. The
        # emulator carries them in the cloud configuration so that the virtual iPad knows them
        # from the start (contract amendment, device side).
        body["shared_ipad_temporary_session_only"] = values.temporary_session_only
        if values.max_cached_users and not values.temporary_session_only:
            body["shared_ipad_maximum_user_count"] = values.max_cached_users
    if values.pairing == Pairing.BY_CERTIFICATE:
        body["supervising_host_certs"] = [base64.b64encode(der).decode("ascii") for der in certificates_der]
    if values.authentication_method == AuthMethod.MODERN:
        # Modern authentication happens in a web view that Setup Assistant loads from this URL.
        body["configuration_web_url"] = configuration_web_url
    return body
