"""Labels for the SDS codes the roster pages show."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from sds import formats

register = template.Library()


@register.filter
def role_label(code: str) -> str:
    if not code:
        return _("None")
    return str(formats.ROLE_LABELS.get(code, code))


@register.filter
def org_type_label(code: str) -> str:
    return str(formats.ORG_TYPE_LABELS.get(code, code))
