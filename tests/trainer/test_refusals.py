"""Trainer refusals are the portal's one refusal family, and refused actions are audited."""

from __future__ import annotations

import pytest

from asm_portal.models import AuditEvent
from asm_portal.refusals import Refusal
from trainer.apple_control import AppleControlError
from trainer.refusals import TrainerError, trainer_failure_audit
from trainer.scenario_reset import ResetFailed


def test_every_trainer_refusal_is_a_refusal() -> None:
    for error in (TrainerError("No."), AppleControlError("Apple is away."), ResetFailed("Stopped.")):
        assert isinstance(error, Refusal)
        assert str(error) == error.message


@pytest.mark.django_db
def test_a_refused_action_is_audited_as_a_trainer_failure(trainer_user) -> None:
    trainer_failure_audit(
        actor=trainer_user,
        action="Move demo clock",
        error=AppleControlError("Apple is away."),
        offset_seconds=60,
    )
    event = AuditEvent.objects.get()
    assert event.category == AuditEvent.Category.TRAINER
    assert event.result == AuditEvent.Result.FAILURE
    assert event.details == {"offset_seconds": 60, "error": "Apple is away."}
