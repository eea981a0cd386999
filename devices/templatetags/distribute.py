from __future__ import annotations

from django import template

from devices.distribute import distribute_url as _distribute_url

register = template.Library()


@register.filter
def distribute_url(serial: str) -> str:
    """{{ device.serial_number|distribute_url }}: the device's own link on Apple's side."""
    return _distribute_url(serial)
