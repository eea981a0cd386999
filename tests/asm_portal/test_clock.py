from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from asm_portal import clock


class ClockTests:
    def test_it_follows_real_time_by_default(self, db) -> None:
        assert abs(clock.now() - timezone.now()) < timedelta(seconds=2)

    def test_an_offset_moves_it_forward(self, db) -> None:
        clock.set_offset(timedelta(days=8))
        assert clock.now() - timezone.now() > timedelta(days=7, hours=23)
        clock.set_offset(timedelta(0))
        assert abs(clock.now() - timezone.now()) < timedelta(seconds=2)

    def test_it_can_be_frozen(self, db) -> None:
        moment = datetime(2026, 1, 1, tzinfo=UTC)
        with clock.frozen_at(moment):
            assert clock.now() == moment
        assert clock.now() != moment
