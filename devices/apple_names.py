"""Apple's model names and colours in the reader's language.

Apple's DEP API names a device's model and colour in English ("iPad mini (6th generation)",
"SPACE GRAY"); the portal stores them as Apple sent them and shows them as Apple's own French
pages do (« iPad mini (6ᵉ génération) », « Gris sidéral »). A name Apple sends that is not listed
here is shown as stored.

The colour table has a deliberate twin in `mock_apple/inventory.py`: Apple's side names its own
colours on its own pages, and the portal may not import it (it reaches Apple over HTTP only).
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

MODEL_NAMES: dict[str, str | Promise] = {
    "iPad (9th generation)": pgettext_lazy("Apple device model", "iPad (9th generation)"),
    "iPad (10th generation)": pgettext_lazy("Apple device model", "iPad (10th generation)"),
    "iPad Air (5th generation)": pgettext_lazy("Apple device model", "iPad Air (5th generation)"),
    "iPad mini (6th generation)": pgettext_lazy("Apple device model", "iPad mini (6th generation)"),
    "iPad Pro 11-inch (4th generation)": pgettext_lazy(
        "Apple device model", "iPad Pro 11-inch (4th generation)"
    ),
    "iPhone SE (3rd generation)": pgettext_lazy("Apple device model", "iPhone SE (3rd generation)"),
}

# Keyed by the value Apple's API sends (upper case).
COLOR_NAMES: dict[str, str | Promise] = {
    "BLACK": pgettext_lazy("Apple device colour", "Black"),
    "BLUE": pgettext_lazy("Apple device colour", "Blue"),
    "GREEN": pgettext_lazy("Apple device colour", "Green"),
    "MIDNIGHT": pgettext_lazy("Apple device colour", "Midnight"),
    "PINK": pgettext_lazy("Apple device colour", "Pink"),
    "PURPLE": pgettext_lazy("Apple device colour", "Purple"),
    "SILVER": pgettext_lazy("Apple device colour", "Silver"),
    "SPACE GRAY": pgettext_lazy("Apple device colour", "Space Gray"),
    "STARLIGHT": pgettext_lazy("Apple device colour", "Starlight"),
    "YELLOW": pgettext_lazy("Apple device colour", "Yellow"),
}


def model_name(model: str) -> str:
    """The model as Apple names it in the active language."""
    return str(MODEL_NAMES.get(model, model))


def color_name(color: str) -> str:
    """The colour as Apple names it in the active language ("SPACE GRAY" → « Gris sidéral »)."""
    known = COLOR_NAMES.get(color.strip().upper())
    return str(known) if known is not None else color.title()
