from __future__ import annotations

from django import template

from mock_apple import inventory

register = template.Library()


@register.filter
def asm_model(model: str) -> str:
    """{{ device.model|asm_model }}: the model as Apple's pages name it in the reader's language."""
    return inventory.model_label(model or "")


@register.filter
def asm_color(color: str) -> str:
    """{{ device.color|asm_color }}: the colour as Apple's pages name it in the reader's language."""
    return inventory.color_label(color) if color else ""
