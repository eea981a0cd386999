"""What the profiles app shows on the blades of the apps below it (registered by ProfilesConfig.ready)."""

from __future__ import annotations

from typing import Any

from asm_portal.blades import register_blade_context
from profiles.models import EnrollmentProfile
from tokens.models import EnrollmentProgramToken


def token_detail_context(*, token: EnrollmentProgramToken) -> dict[str, Any]:
    return {"default_profile": EnrollmentProfile.objects.filter(token=token, is_default=True).first()}


def register() -> None:
    register_blade_context("tokens:detail", token_detail_context)
