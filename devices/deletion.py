"""Deleting devices from Intune (the administrator's Delete), and purging those Apple removed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from asm_portal import clock, roles
from asm_portal.ids import parse_ids
from asm_portal.models import AuditEvent
from asm_portal.roles import Actor
from asm_portal.services import audit_record
from devices.models import DeletedDevice, Device
from devices.selection import MAX_SELECTION, DeviceActionRefused


def devices_delete(*, actor: Actor, device_ids: Iterable[Any]) -> int:
    """Delete devices from Intune. Apple still assigns them: they come back at the next full sync."""
    roles.require_change_permission(actor)
    ids = parse_ids(list(device_ids))
    if not ids:
        raise DeviceActionRefused(_("Select at least one device."))
    if len(ids) > MAX_SELECTION:
        raise DeviceActionRefused(
            _("You can delete at most %(limit)s devices at a time.") % {"limit": f"{MAX_SELECTION:,}"}
        )
    now = clock.now()
    user = actor if isinstance(actor, User) else None
    with transaction.atomic():
        rows = list(Device.objects.filter(pk__in=ids).values_list("pk", "token_id", "serial_number"))
        if not rows:
            raise DeviceActionRefused(_("The selected devices no longer exist."))
        DeletedDevice.objects.bulk_create(
            [
                DeletedDevice(token_id=token_id, serial_number=serial, deleted_at=now, deleted_by=user)
                for _, token_id, serial in rows
            ],
            ignore_conflicts=True,
        )
        Device.objects.filter(pk__in=[pk for pk, _, _ in rows]).delete()
        audit_record(
            actor=actor,
            category=AuditEvent.Category.ENROLLMENT,
            action=gettext_noop("Delete enrollment program devices"),
            target_type=gettext_noop("Enrollment program device"),
            details={"count": len(rows), "serial_numbers": sorted(serial for _, _, serial in rows)[:50]},
        )
    return len(rows)


def removed_devices_purge(*, now: datetime | None = None) -> int:
    """Devices Apple reported deleted stay listed for SYNC_REMOVED_RETENTION_DAYS, then go."""
    cutoff = (now or clock.now()) - timedelta(days=settings.SYNC_REMOVED_RETENTION_DAYS)
    deleted, _ = Device.objects.filter(removed_by_apple=True, removed_at__lt=cutoff).delete()
    return deleted
