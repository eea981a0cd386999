"""Reads of tokens for the views of every app."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from asm_portal.roles import Actor
from tokens.models import EnrollmentProgramToken


def token_get_for_user(*, user: Actor, pk: int) -> EnrollmentProgramToken:
    """The token this signed-in user may see, else 404 (never its secrets).

    The request's tenant scope (asm_portal.tenancy) sees only the user's tenant's tokens, so
    another tenant's token is a 404 here, whatever the user's role; roles decide changes after.
    """
    return get_object_or_404(EnrollmentProgramToken.objects.all(), pk=pk)
