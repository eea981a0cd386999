"""The application's one clock.

Every rule that depends on time (sync windows, token expiry, cursor age) asks this module,
so that tests can freeze time and trainers can move it forward with an offset.

`now()` and `frozen_at()` have a deliberate twin in `mock_apple/clock.py`: the mock Apple service
keeps its own clock (its offset lives in its own database) and may not import the portal.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone

from asm_portal.models import ClockOffset

_CACHE_KEY = "asm:clock-offset-seconds"
_frozen: ContextVar[datetime | None] = ContextVar("asm_clock_frozen", default=None)


def offset() -> timedelta:
    seconds = cache.get(_CACHE_KEY)
    if seconds is None:
        row = ClockOffset.objects.filter(pk=1).first()
        seconds = row.seconds if row else 0
        cache.set(_CACHE_KEY, seconds, 5)
    return timedelta(seconds=int(seconds))


def set_offset(value: timedelta) -> None:
    ClockOffset.objects.update_or_create(pk=1, defaults={"seconds": int(value.total_seconds())})
    cache.delete(_CACHE_KEY)


def now() -> datetime:
    frozen = _frozen.get()
    if frozen is not None:
        return frozen
    return timezone.now() + offset()


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Pin the clock for the current thread or task (tests and benchmarks)."""
    token = _frozen.set(moment)
    try:
        yield
    finally:
        _frozen.reset(token)
