"""What trainer mode turns down, and how a refused trainer action is audited."""

from __future__ import annotations

from typing import Any

from asm_portal.models import AuditEvent
from asm_portal.refusals import Refusal
from asm_portal.roles import Actor
from asm_portal.services import audit_record
from asm_portal.texts import Text


class TrainerError(Refusal):
    """Bad input for a trainer action; str() is the translated message. Nothing was changed."""


def trainer_failure_audit(
    *,
    actor: Actor,
    action: str,
    error: Exception,
    target_type: str = "",
    target_text: Text | None = None,
    **details: Any,
) -> None:
    """A trainer action Apple's side could not do, in the audit log (nothing was changed)."""
    audit_record(
        actor=actor,
        category=AuditEvent.Category.TRAINER,
        action=action,
        target_type=target_type,
        target_text=target_text,
        result=AuditEvent.Result.FAILURE,
        details={**details, "error": str(error)},
    )
