"""Every dependency between the settings of an enrollment profile, as Intune enforces them.

Pure functions over plain values, so that the form, the services and the tests share one
implementation. `check` returns the values as they will be saved (rules that *switch* settings
applied), field errors, and notices to tell the user about switches it made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from asm_portal import texts
from asm_portal.texts import Text
from profiles.apple_limits import FIELD_LIMITS, max_length
from profiles.choices import (
    GRACE_PERIODS,
    MAX_CACHED_USERS,
    MAX_CERTIFICATES,
    MIN_SESSION_TIMEOUT,
    NAME_TEMPLATE_MAX,
    NAME_TEMPLATE_VARIABLES,
    Affinity,
    AuthMethod,
    Pairing,
    RulesEdition,
)
from profiles.screens import ALL_KEYS

NAME_MAX = max_length("name")  # Apple: CONFIG_NAME_INVALID above 125 characters


@dataclass(frozen=True)
class ProfileValues:
    name: str = ""
    description: str = ""
    user_affinity: str = Affinity.WITH
    authentication_method: str = AuthMethod.SETUP_ASSISTANT
    install_company_portal: bool = False
    vpp_token: str = ""
    single_app_mode: bool = False
    supervised: bool = True
    locked_enrollment: bool = False
    shared_ipad: bool = False
    max_cached_users: int | None = None
    passcode_grace_seconds: int | None = None
    user_session_timeout: int | None = None
    temporary_session_only: bool = False
    temporary_session_timeout: int | None = None
    pairing: str = Pairing.DENY_ALL
    await_final_configuration: bool = True
    apply_device_name_template: bool = False
    device_name_template: str = ""
    cellular_data_plan: bool = False
    carrier_activation_url: str = ""
    department: str = ""
    department_phone: str = ""
    hidden_screens: frozenset[str] = frozenset()


@dataclass
class Outcome:
    values: ProfileValues
    errors: dict[str, list[str]] = field(default_factory=dict)
    notices: list[Text] = field(default_factory=list)

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    @property
    def ok(self) -> bool:
        return not self.errors


def shared_ipad_affinity(edition: str) -> str:
    """The 2017 article: Shared iPad requires enrollment *with* user affinity. Today: *without*."""
    return Affinity.WITH if edition == RulesEdition.ARTICLE_2017 else Affinity.WITHOUT


def shared_ipad_turned_off(edition: str) -> Text:
    """The article's note, said when turning affinity or Supervised off switches Shared iPad off
    (a stored text: the toast after saving keeps it in the reader's language)."""
    return texts.gettext(
        "Shared iPad was turned off for this profile, because it requires %(affinity)s and Supervised.",
        affinity=Affinity(shared_ipad_affinity(edition)).label,
    )


_VARIABLE = re.compile(r"\{\{[^{}]*\}\}")


def name_template_errors(template: str) -> list[str]:
    errors = []
    if not template.strip():
        errors.append(_("Enter a device name template."))
        return errors
    if len(template) > NAME_TEMPLATE_MAX:
        errors.append(
            _("The device name template can be at most %(max)d characters, variables included.")
            % {"max": NAME_TEMPLATE_MAX}
        )
    unknown = [match for match in _VARIABLE.findall(template) if match not in NAME_TEMPLATE_VARIABLES]
    if unknown:
        errors.append(
            _("Unknown variable %(variable)s: only {{SERIAL}} and {{DEVICETYPE}} are supported.")
            % {"variable": unknown[0]}
        )
    leftover = _VARIABLE.sub("", template)
    if "{" in leftover or "}" in leftover:
        errors.append(_("Braces must enclose a variable, such as {{SERIAL}}."))
    if any(ord(char) < 32 for char in template):
        errors.append(_("The device name template cannot contain control characters."))
    return errors


def render_device_name(template: str, *, serial: str, device_type: str) -> str:
    return template.replace("{{SERIAL}}", serial).replace("{{DEVICETYPE}}", device_type)


def _timeout_errors(value: int | None) -> list[str]:
    if value in (None, 0):
        return []
    assert value is not None
    if value < MIN_SESSION_TIMEOUT:
        return [_("Enter at least %(min)d seconds, or leave blank for never.") % {"min": MIN_SESSION_TIMEOUT}]
    return []


def check(
    values: ProfileValues,
    *,
    edition: str,
    previous: ProfileValues | None = None,
    certificate_count: int = 0,
) -> Outcome:
    """Apply every rule. `previous` is the saved profile when editing, None when creating."""
    outcome = Outcome(values)
    v = values

    # Basics
    if not v.name.strip():
        outcome.error("name", _("Enter a name for the profile."))
    elif len(v.name) > NAME_MAX:
        outcome.error("name", _("The name can be at most %(max)d characters.") % {"max": NAME_MAX})

    # User affinity. Today's Intune no longer lets an existing profile change it.
    if previous is not None and edition == RulesEdition.CURRENT and previous.user_affinity != v.user_affinity:
        outcome.error(
            "user_affinity",
            _("User affinity can't be changed in an existing profile. Create a new profile instead."),
        )
    with_affinity = v.user_affinity == Affinity.WITH

    # Authentication: only with user affinity.
    if not with_affinity:
        v = replace(
            v, authentication_method="", install_company_portal=False, vpp_token="", single_app_mode=False
        )
    else:
        if v.authentication_method not in AuthMethod.values:
            outcome.error("authentication_method", _("Select where users must authenticate."))
        if v.authentication_method == AuthMethod.COMPANY_PORTAL and not v.supervised:
            # Intune greys Supervised to Yes: Company Portal authentication needs supervision.
            v = replace(v, supervised=True)
            outcome.notices.append(
                texts.gettext(
                    "Supervision is required for devices using Company Portal as their authorization method."
                )
            )
        if v.authentication_method != AuthMethod.SETUP_ASSISTANT:
            # "Install Company Portal" belongs to legacy Setup Assistant authentication.
            v = replace(v, install_company_portal=False)
        if v.single_app_mode:
            if v.authentication_method != AuthMethod.COMPANY_PORTAL:
                outcome.error(
                    "single_app_mode",
                    _("Single App Mode needs Company Portal as the authentication method."),
                )
            if not v.vpp_token:
                outcome.error(
                    "single_app_mode",
                    _("Single App Mode needs a VPP token to install the Company Portal."),
                )

    # Shared iPad and what depends on it.
    required_affinity = shared_ipad_affinity(edition)
    if v.shared_ipad and (v.user_affinity != required_affinity or not v.supervised):
        dependency_just_changed = (
            previous is not None
            and previous.shared_ipad
            and (previous.user_affinity != v.user_affinity or previous.supervised != v.supervised)
        )
        if dependency_just_changed:
            # The article: turning affinity or Supervised off switches Shared iPad off.
            v = replace(v, shared_ipad=False, max_cached_users=None)
            outcome.notices.append(shared_ipad_turned_off(edition))
        else:
            outcome.error(
                "shared_ipad",
                _("Shared iPad requires %(affinity)s and Supervised.")
                % {"affinity": Affinity(required_affinity).label},
            )

    if v.shared_ipad:
        if v.max_cached_users is None:
            outcome.error("max_cached_users", _("Enter the maximum number of cached users."))
        elif not 1 <= v.max_cached_users <= MAX_CACHED_USERS:
            outcome.error(
                "max_cached_users",
                _("Enter a number from 1 to %(max)d.") % {"max": MAX_CACHED_USERS},
            )
        if v.passcode_grace_seconds is not None and v.passcode_grace_seconds not in GRACE_PERIODS:
            outcome.error("passcode_grace_seconds", _("Choose one of the offered values."))
        for name in ("user_session_timeout", "temporary_session_timeout"):
            for message in _timeout_errors(getattr(v, name)):
                outcome.error(name, message)
        if v.temporary_session_only:
            # Guest-only sign-in voids the cached-user settings.
            v = replace(v, max_cached_users=None, passcode_grace_seconds=None, user_session_timeout=None)
            outcome.errors.pop("max_cached_users", None)
        else:
            v = replace(v, temporary_session_timeout=None)
        if v.user_affinity == Affinity.WITHOUT and v.await_final_configuration:
            outcome.error(
                "await_final_configuration",
                _("Await final configuration isn't available for Shared iPad without user affinity."),
            )
    else:
        # The Shared iPad settings are void without Shared iPad (the form greys them out).
        v = replace(
            v,
            max_cached_users=None,
            passcode_grace_seconds=None,
            user_session_timeout=None,
            temporary_session_only=False,
            temporary_session_timeout=None,
        )

    # Locked enrollment requires Supervised.
    if v.locked_enrollment and not v.supervised:
        outcome.error("locked_enrollment", _("Locked enrollment requires Supervised mode."))

    # Pairing with computers.
    if v.pairing not in Pairing.values:
        outcome.error("pairing", _("Select whether devices can sync with computers."))
    elif v.pairing == Pairing.BY_CERTIFICATE and certificate_count == 0:
        outcome.error("pairing", _("Upload at least one Apple Configurator certificate."))
    if certificate_count > MAX_CERTIFICATES:
        outcome.error(
            "pairing", _("At most %(max)d certificates can be uploaded.") % {"max": MAX_CERTIFICATES}
        )

    # Device name template (supervised only).
    if v.apply_device_name_template:
        if not v.supervised:
            outcome.error(
                "apply_device_name_template", _("A device name template applies to supervised devices only.")
            )
        for message in name_template_errors(v.device_name_template):
            outcome.error("device_name_template", message)
    else:
        v = replace(v, device_name_template="")

    # Cellular data plan.
    if v.cellular_data_plan:
        parts = urlsplit(v.carrier_activation_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            outcome.error(
                "carrier_activation_url", _("Enter the carrier activation server URL (http or https).")
            )
    else:
        v = replace(v, carrier_activation_url="")

    # Apple's limits on the strings it receives (the name's own message is above).
    for name, limit in FIELD_LIMITS.items():
        if name != "name" and len(getattr(v, name)) > limit.max_length:
            outcome.error(
                name,
                _("Enter at most %(max)d characters: Apple accepts no more.") % {"max": limit.max_length},
            )

    # Setup Assistant.
    if edition == RulesEdition.CURRENT:
        if not v.department.strip():
            outcome.error("department", _("Enter the department name."))
        if not v.department_phone.strip():
            outcome.error("department_phone", _("Enter the department phone."))
    unknown = v.hidden_screens - ALL_KEYS
    if unknown:
        outcome.error(
            "hidden_screens", _("Unknown Setup Assistant screen: %(key)s") % {"key": sorted(unknown)[0]}
        )

    outcome.values = v
    return outcome
