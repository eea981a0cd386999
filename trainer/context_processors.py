"""What the shell shows the Trainer role on every page: the tour panel and the demo clock banner."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.http import HttpRequest

from asm_portal import clock, roles
from trainer.demo_clock import demo_clock_banner_text
from trainer.tour import SESSION_TOUR_OPEN, SESSION_TOUR_STEP, TourState, tour_state


def trainer_shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    trainer = roles.is_trainer(user)
    session = getattr(request, "session", {})

    @cache
    def tour() -> TourState | None:
        # Computed once per render, and only when the open panel shows it.
        if not trainer:
            return None
        return tour_state(user, chosen=session.get(SESSION_TOUR_STEP))

    @cache  # the banner asks twice (is there one? its text)
    def demo_clock_banner() -> str:
        return demo_clock_banner_text(clock.offset())

    return {
        "is_trainer": trainer,
        "tour_open": trainer and bool(session.get(SESSION_TOUR_OPEN)),
        "tour": tour,
        "demo_clock_banner": demo_clock_banner,
    }
