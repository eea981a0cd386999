"""Apple's limits on the strings of a profile (POST /profile), in one table.

The form (its fields' `max_length`), the rules (`rules.check`) and the define-profile call
(`apple.apple_profile_refusal`, before anything is sent) all read this table, so that a value
Apple would refuse is refused when it is typed, not at every later assignment. Apple's codes are
those it answers for each key (Device Assignment, "Define profile" errors).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AppleLimit:
    key: str  # the key of Apple's Profile object
    max_length: int
    code: str  # what Apple answers for a longer value
    field: str = ""  # the profile's setting (form field) it comes from; "" when the portal fills it


APPLE_LIMITS: tuple[AppleLimit, ...] = (
    AppleLimit("profile_name", 125, "CONFIG_NAME_INVALID", field="name"),
    AppleLimit("department", 125, "DEPARTMENT_INVALID", field="department"),
    AppleLimit("support_phone_number", 50, "SUPPORT_PHONE_INVALID", field="department_phone"),
    AppleLimit("support_email_address", 250, "SUPPORT_EMAIL_INVALID"),
    AppleLimit("org_magic", 256, "MAGIC_INVALID"),
    AppleLimit("language", 3, "LOCALE_INVALID"),  # ISO 639 code: two or three letters
    AppleLimit("region", 2, "LOCALE_INVALID"),  # ISO 3166-1 alpha-2
)
FIELD_LIMITS: dict[str, AppleLimit] = {limit.field: limit for limit in APPLE_LIMITS if limit.field}


def max_length(field: str) -> int:
    """The longest value of a profile setting that Apple accepts."""
    return FIELD_LIMITS[field].max_length


def body_over_limit(body: Mapping[str, Any]) -> AppleLimit | None:
    """The first key of a define-profile body that Apple would refuse as too long, if any."""
    for limit in APPLE_LIMITS:
        value = body.get(limit.key)
        if isinstance(value, str) and len(value) > limit.max_length:
            return limit
    return None
