"""One family of refusals: what a service turns down, for a reason a person can read.

A service raises a `Refusal` (or a subclass named after its domain) before it changes anything;
the views show it the same way everywhere: on the form (`add_to_form`), else as the blade's
error banner (`str(refusal)`). `errors` maps form fields (or "__all__") to messages; `code` is
a stable identifier for machines (Apple's error code, a device-facing refusal), never shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.functional import Promise

Message = str | Promise


class Refusal(Exception):
    def __init__(
        self,
        message: Message | None = None,
        *,
        errors: Mapping[str, Sequence[Message]] | None = None,
        code: str = "",
    ) -> None:
        self.errors: dict[str, list[Message]] = {
            field: list(texts) for field, texts in (errors or {}).items()
        }
        if message is None:
            message = next((text for texts in self.errors.values() for text in texts), "")
        self.message: Message = message
        self.code = code
        super().__init__(str(message))

    def __str__(self) -> str:
        return str(self.message)

    def add_to_form(self, form: Any) -> None:
        """Show the refusal on a Django form: each field's messages, the rest on the form."""
        if not self.errors:
            form.add_error(None, str(self.message))
            return
        for field, texts in self.errors.items():
            target = None if field == "__all__" or field not in form.fields else field
            for text in texts:
                form.add_error(target, text)
