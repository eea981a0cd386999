"""What the token services turn down: an upload Apple or the portal refuses, a deletion that
would strand devices or profiles. Both are the portal's one `Refusal`, shown the same way."""

from __future__ import annotations

from typing import Any

from django.utils import formats, timezone

from asm_portal.refusals import Refusal


class UploadError(Refusal):
    """A refused upload (a push certificate or a server token); `code` names the case for tests
    and logs, the message says what is wrong and what to do."""


class TokenDeletionError(Refusal):
    """The token still has what Intune requires to be deleted first; one message per reason."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(" ".join(reasons), errors={"__all__": reasons})
        self.reasons = reasons


def refusal_date(value: Any) -> str:
    """A date in a refusal's message: the request's format, the tenant's local day."""
    return formats.date_format(timezone.localtime(value), "DATE_FORMAT")
