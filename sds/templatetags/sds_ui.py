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


@register.filter
def apple_failure_message(failure: dict[str, str]) -> str:
    """What a record Apple School Manager refused means, and what to do about it."""
    code = failure.get("code", "")
    if code == "MANAGED_ID_GENERATION_FAILED":
        return _(
            "No Managed Apple Account could be made: %(field)s is part of the account format but is "
            "empty for this person. Fill it in the roster, or change the format in Apple School Manager."
        ) % {"field": failure.get("field", "")}
    if code == "LOCATION_REQUIRED":
        return _(
            "This person belongs to no active school; Apple School Manager needs a location for everyone."
        )
    if code == "LOCATION_NOT_FOUND":
        return _(
            "The school of this record is not a location in Apple School Manager (it is inactive in the roster)."
        )
    return _("Apple School Manager refused this record (%(code)s).") % {"code": code}
