"""How a School Data Sync worker records its progress and reports how a job ended.

Both jobs (a roster upload's import, a sync to Apple School Manager) end the same way: one
audit event, then a toast for whoever asked, stored as message ids with their parameters and
shown in the reader's language (asm_portal.texts); its words as stored are in the language they
asked in (the worker has no request to take it from).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.db import models
from django.utils import translation

from asm_portal.models import AuditEvent
from asm_portal.services import audit_record, notification_send
from asm_portal.texts import Text

# A toast: its title, its body (stored texts, shown in the reader's language) and its level.
Toast = tuple[Text, Text, str]


def progress_save(row: models.Model, **fields: object) -> None:
    """A committed step of progress, so that the polling page sees it at once."""
    type(row)._default_manager.filter(pk=row.pk).update(**fields)
    for name, value in fields.items():
        setattr(row, name, value)


def outcome_report(
    *,
    actor: User | None,
    action: str,
    target: models.Model,
    succeeded: bool,
    details: dict[str, Any],
    language: str,
    toast: Callable[[], Toast],
    link: str,
) -> None:
    """Audit how the job ended, then tell `actor` (if any) with the toast `toast()` writes."""
    audit_record(
        actor=actor,
        category=AuditEvent.Category.SCHOOL_DATA_SYNC,
        action=action,
        target=target,
        result=AuditEvent.Result.SUCCESS if succeeded else AuditEvent.Result.FAILURE,
        details=details,
    )
    if actor is None:
        return
    with translation.override(language):
        title, body, level = toast()
        notification_send(user=actor, title=title, body=body, level=level, link=link)
