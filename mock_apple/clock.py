"""The mock Apple side's own clock.

Apple's clock is not the portal's: sessions, cursor age and token expiry ask this module. The
offset lives in the apple database (MockConfig) so that every process serving the mock, and
the control API that moves it, agree; tests in one process may also freeze it. Each
organisation has its own offset: a trainee who moves the clock moves only their own
organisation's (the one the code acts for, see mock_apple.tenancy).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

from django.utils import timezone

from mock_apple.models import MockConfig, acting_q

_frozen: ContextVar[datetime | None] = ContextVar("mock_apple_clock_frozen", default=None)


def offset() -> timedelta:
    """The offset of the organisation the code acts for."""
    seconds = MockConfig.objects.filter(acting_q()).values_list("clock_offset_seconds", flat=True).first()
    return timedelta(seconds=int(seconds or 0))


def set_offset(value: timedelta) -> None:
    config = MockConfig.load()
    MockConfig.objects.filter(pk=config.pk).update(clock_offset_seconds=int(value.total_seconds()))


# now() and frozen_at() are a deliberate copy of asm_portal/clock.py's: the mock is another
# process with its own clock (the offset in MockConfig) and may not import the portal.
def now() -> datetime:
    frozen = _frozen.get()
    if frozen is not None:
        return frozen
    return timezone.now() + offset()


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Pin the clock for the current thread (tests and benchmarks)."""
    token = _frozen.set(moment)
    try:
        yield
    finally:
        _frozen.reset(token)
