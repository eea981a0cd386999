"""Assigning a profile to devices: the administrator's Assign (from the devices grid or from a
profile's Device assignments) and the token's default profile. Each records an assignment and
sends `profile_assignment_task` after commit; `devices.assignment_rounds` runs it."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from asm_portal import clock, roles
from asm_portal.models import AuditEvent
from asm_portal.roles import Actor
from asm_portal.services import audit_record
from devices.assignment_rounds import assignment_create, default_profile_assignments_create
from devices.models import Device, ProfileAssignment
from devices.selection import MAX_SELECTION, DeviceActionRefused, selected_serials
from devices.tasks import assignment_enqueue
from profiles.models import EnrollmentProfile


def profile_assign(
    *,
    actor: Actor,
    profile: EnrollmentProfile,
    serials: Iterable[str],
    source: str = ProfileAssignment.Source.PROFILE,
) -> ProfileAssignment:
    """Assign the profile to at most 1,000 devices of its token; Apple is called by a task.

    Every serial number must be a device of the profile's token. Nothing is recorded when one
    is not.
    """
    roles.require_change_permission(actor)
    chosen = selected_serials(serials)
    if not chosen:
        raise DeviceActionRefused(_("Select at least one device."))
    if len(chosen) > MAX_SELECTION:
        raise DeviceActionRefused(
            _(
                "You can assign a profile to at most %(limit)s devices at a time. Assign the first "
                "%(limit)s, then repeat the assignment for the others."
            )
            % {"limit": f"{MAX_SELECTION:,}"}
        )
    token = profile.token
    if token.expires_at <= clock.now():
        raise DeviceActionRefused(
            _("The token “%(name)s” has expired. Renew it before you assign profiles.")
            % {"name": token.token_name}
        )
    found = dict(
        Device.objects.filter(token_id=profile.token_id, serial_number__in=chosen).values_list(
            "serial_number", "pk"
        )
    )
    missing = [serial for serial in chosen if serial not in found]
    if missing:
        raise DeviceActionRefused(
            ngettext(
                "%(serials)s is not a device of the token “%(name)s”.",
                "%(serials)s are not devices of the token “%(name)s”.",
                len(missing),
            )
            % {
                "serials": ", ".join(missing[:10]) + ("…" if len(missing) > 10 else ""),
                "name": token.token_name,
            }
        )
    user = actor if isinstance(actor, User) else None
    with transaction.atomic():
        assignment = assignment_create(profile=profile, devices=found, source=source, requested_by=user)
        transaction.on_commit(partial(assignment_enqueue, assignment_id=assignment.pk))
        audit_record(
            actor=actor,
            category=AuditEvent.Category.ENROLLMENT,
            action=gettext_noop("Assign enrollment profile to devices"),
            target=profile,
            details={"count": len(found), "serial_numbers": sorted(found)[:50], "source": source},
        )
    return assignment


def default_profile_assign(*, token_id: int) -> list[ProfileAssignment]:
    """The token's default profile for its devices without one (see
    `default_profile_assignments_create`), each batch sent to Apple after commit."""
    assignments = default_profile_assignments_create(token_id=token_id)
    for assignment in assignments:
        transaction.on_commit(partial(assignment_enqueue, assignment_id=assignment.pk))
    return assignments
