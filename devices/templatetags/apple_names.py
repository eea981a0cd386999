from __future__ import annotations

from django import template

from devices import apple_names

register = template.Library()


@register.filter
def apple_model(model: str) -> str:
    """{{ device.model|apple_model }}: Apple's model name in the reader's language."""
    return apple_names.model_name(model or "")


@register.filter
def apple_color(color: str) -> str:
    """{{ device.color|apple_color }}: Apple's colour in the reader's language."""
    return apple_names.color_name(color or "") if color else ""
