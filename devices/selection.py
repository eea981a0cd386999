"""What an action on selected devices accepts (delete, assign): the selection and its limit."""

from __future__ import annotations

from collections.abc import Iterable

from asm_portal.refusals import Refusal

# The article: the header checkbox selects up to 1,000 listed devices; repeat for more.
MAX_SELECTION = 1000


class DeviceActionRefused(Refusal):
    """Bad input for a devices action (assign, delete): nothing was changed."""


def selected_serials(values: Iterable[str]) -> list[str]:
    """Serial numbers as Apple writes them (upper case), each once, in the order given."""
    seen: dict[str, None] = {}
    for value in values:
        serial = str(value).strip().upper()
        if serial:
            seen[serial] = None
    return list(seen)
