"""Reads of tokens for the views of every app."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from asm_portal.roles import Actor
from tokens.models import EnrollmentProgramToken


def token_get_for_user(*, user: Actor, pk: int) -> EnrollmentProgramToken:
    """The token this signed-in user may see, else 404 (never its secrets).

    One tenant per deployment today: every signed-in user sees every token, and roles decide
    changes. The one place that will scope tokens to the user's tenant.
    """
    return get_object_or_404(EnrollmentProgramToken.objects.all(), pk=pk)
