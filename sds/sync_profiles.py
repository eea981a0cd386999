"""Sync profiles: the inbound CSV flows of School Data Sync."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.utils.translation import gettext_noop

from asm_portal import clock, roles
from asm_portal.models import AuditEvent
from asm_portal.roles import Actor
from asm_portal.services import audit_record
from sds.models import SyncProfile


def sync_profile_create(
    *, actor: Actor, name: str, roster_format: str, domain_suffix: str = ""
) -> SyncProfile:
    roles.require_change_permission(actor)
    profile = SyncProfile.objects.create(
        name=name,
        roster_format=roster_format,
        domain_suffix=domain_suffix,
        created_at=clock.now(),
        created_by=actor if isinstance(actor, User) else None,
    )
    audit_record(
        actor=actor,
        category=AuditEvent.Category.SCHOOL_DATA_SYNC,
        action=gettext_noop("Create sync profile"),
        target=profile,
        details={"format": roster_format, "domain_suffix": domain_suffix},
    )
    return profile
