"""Reads of enrollment profiles for the views of every app."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from asm_portal.roles import Actor
from profiles.models import EnrollmentProfile
from tokens.models import token_secrets_via


def profile_get_for_user(*, user: Actor, pk: int) -> EnrollmentProfile:
    """The profile this signed-in user may see, with its token (never the token's secrets), else 404.

    Another tenant's profile is a 404, as for tokens (`tokens.selectors.token_get_for_user`):
    the request's tenant scope sees only the user's tenant's rows; roles decide changes after.
    """
    profiles = EnrollmentProfile.objects.select_related("token", "vpp_token").defer(
        *token_secrets_via("token")
    )
    return get_object_or_404(profiles, pk=pk)
