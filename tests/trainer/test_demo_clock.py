"""The demo clock moves the portal's clock and the mock Apple's together, over real HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from asm_portal import clock
from asm_portal.models import AuditEvent
from tests.trainer.conftest import control, live
from trainer import demo_clock
from trainer.apple_control import AppleControlError
from trainer.refusals import TrainerError


def apple_offset(base_url: str) -> int:
    return int(control(base_url, "GET", "state").json()["clock"]["offset_seconds"])


@pytest.mark.integration
@live
@pytest.mark.usefixtures("served_apple")
class DemoClockTests:
    def test_it_moves_both_clocks_forward_and_adds_up(self, trainer_user, dep_server) -> None:
        before = clock.now()
        demo_clock.demo_clock_move(actor=trainer_user, seconds=8 * 86_400)
        demo_clock.demo_clock_move(actor=trainer_user, seconds=3600)
        expected = timedelta(days=8, hours=1)
        assert clock.offset() == expected
        assert apple_offset(dep_server) == expected.total_seconds()
        assert clock.now() - before >= expected
        event = AuditEvent.objects.filter(category="Trainer", action="Move demo clock").first()
        assert event is not None and event.actor == trainer_user
        assert event.details == {"before_seconds": 8 * 86_400, "after_seconds": int(expected.total_seconds())}

    def test_reset_puts_both_back_to_real_time(self, trainer_user, dep_server) -> None:
        demo_clock.demo_clock_move(actor=trainer_user, seconds=30 * 86_400)
        demo_clock.demo_clock_reset(actor=trainer_user)
        assert clock.offset() == timedelta(0)
        assert apple_offset(dep_server) == 0
        assert AuditEvent.objects.filter(category="Trainer", action="Reset demo clock").exists()

    def test_when_apple_is_unreachable_neither_clock_moves(self, trainer_user, settings, dep_server) -> None:
        settings.APPLE_BASE_URL = "http://127.0.0.1:9"
        with pytest.raises(AppleControlError, match="cannot be reached at http://127.0.0.1:9"):
            demo_clock.demo_clock_move(actor=trainer_user, seconds=86_400)
        assert clock.offset() == timedelta(0)
        assert apple_offset(dep_server) == 0
        failure = AuditEvent.objects.get(category="Trainer")
        assert failure.result == AuditEvent.Result.FAILURE

    def test_a_wrong_control_token_changes_nothing(self, trainer_user, settings, dep_server) -> None:
        settings.MOCK_APPLE_CONTROL_TOKEN = "wrong"
        with pytest.raises(AppleControlError, match="refused the control token"):
            demo_clock.demo_clock_move(actor=trainer_user, seconds=86_400)
        assert clock.offset() == timedelta(0)

    def test_it_refuses_bad_moves(self, trainer_user, dep_server) -> None:
        with pytest.raises(TrainerError):
            demo_clock.demo_clock_move(actor=trainer_user, seconds=0)
        with pytest.raises(TrainerError):
            demo_clock.demo_clock_move(actor=trainer_user, seconds=3651 * 86_400)
        assert clock.offset() == timedelta(0)
        assert apple_offset(dep_server) == 0

    def test_only_trainers_move_the_clock(self, admin_user, operator_user, dep_server) -> None:
        for user in (admin_user, operator_user):
            with pytest.raises(PermissionDenied):
                demo_clock.demo_clock_move(actor=user, seconds=3600)
            with pytest.raises(PermissionDenied):
                demo_clock.demo_clock_reset(actor=user)
        assert apple_offset(dep_server) == 0


class OffsetTextTests:
    def test_it_says_how_far_the_clock_moved(self) -> None:
        assert demo_clock.offset_text(timedelta(days=8)) == "8 days"
        assert demo_clock.offset_text(timedelta(days=1, hours=3)) == "1 day 3 hours"
        assert demo_clock.offset_text(timedelta(minutes=45)) == "45 minutes"
        assert demo_clock.demo_clock_banner_text(timedelta(0)) == ""
        assert (
            demo_clock.demo_clock_banner_text(timedelta(days=8))
            == "Demo clock: the time is moved forward by 8 days."
        )
