"""What the devices app shows on the blades of the apps below it (registered by DevicesConfig.ready).

The token and profile blades show device counts, but `tokens` and `profiles` may not import
`devices`: they ask `blade_extra_context` and these providers answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from asm_portal.blades import register_blade_context
from devices import selectors
from profiles.models import EnrollmentProfile
from tokens.models import EnrollmentProgramToken


def token_list_context(*, tokens: Sequence[EnrollmentProgramToken]) -> dict[str, Any]:
    # « Devices without profiles », for one page of tokens in one query.
    return {"without_profiles": selectors.devices_without_profile_counts(token_ids=[t.pk for t in tokens])}


def token_detail_context(*, token: EnrollmentProgramToken) -> dict[str, Any]:
    return {"device_counts": selectors.token_device_counts(token=token)}


def profile_grid_context(*, profiles: Sequence[EnrollmentProfile]) -> dict[str, Any]:
    return {"assigned_counts": selectors.assigned_device_counts(profile_ids=[p.pk for p in profiles])}


def register() -> None:
    register_blade_context("tokens:list", token_list_context)
    register_blade_context("tokens:detail", token_detail_context)
    register_blade_context("profiles:grid", profile_grid_context)
