"""Template helpers for the blade UI: icons, htmx navigation attributes, formatting."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from django import template
from django.template.loader import get_template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from asm_portal import clock

register = template.Library()


@cache
def _icon_svg(name: str) -> str:
    source: str = get_template(f"icons/{name}.svg").template.source  # type: ignore[attr-defined]
    return source.strip()


@register.simple_tag
def icon(name: str, css_class: str = "") -> SafeString:
    """Inline a Fluent icon so that it takes the text colour (`fill: currentColor`)."""
    svg = _icon_svg(name).replace(
        "<svg ",
        f'<svg class="icon {css_class}" aria-hidden="true" focusable="false" fill="currentColor" ',
        1,
    )
    return mark_safe(svg)  # noqa: S308 - our own files


@register.simple_tag
def nav(url: str, push: bool = True) -> SafeString:
    """Attributes for a link that opens a blade: a real href plus htmx navigation."""
    return format_html(
        'href="{0}" hx-get="{0}" hx-target="#journey" hx-swap="innerHTML show:window:top"{1}',
        url,
        mark_safe(' hx-push-url="true"') if push else "",
    )


@register.simple_tag
def pane(url: str) -> SafeString:
    """Attributes for a link that opens the right-hand context pane (no URL push)."""
    return format_html('href="{0}" hx-get="{0}" hx-target="#pane" hx-swap="innerHTML"', url)


@register.filter
def when(value: datetime | None) -> str:
    """A date and time as the portal shows it, or the portal's own "not available"."""
    if value is None:
        return _("Not available")
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


@register.filter
def days_until(value: datetime | None) -> str:
    if value is None:
        return _("Not available")
    days = (value - clock.now()).days
    if days < 0:
        return _("Expired")
    return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key)


@register.filter
def ago(value: datetime | None) -> str:
    """How long ago, as notifications say it: "Just now" under a minute."""
    if value is None:
        return ""
    if (clock.now() - value).total_seconds() < 60:
        return _("Just now")
    return _("%(time)s ago") % {"time": timesince(value, clock.now())}
