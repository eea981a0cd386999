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

from mock_apple import tenancy
from mock_apple.models import MockConfig, acting_q

_frozen: ContextVar[datetime | None] = ContextVar("mock_apple_clock_frozen", default=None)
# (organisation id, offset) read once for a whole call: see offset_known().
_known: ContextVar[tuple[int | None, timedelta] | None] = ContextVar("mock_apple_clock_known", default=None)


def offset() -> timedelta:
    """The offset of the organisation the code acts for."""
    known = _known.get()
    if known is not None and known[0] == tenancy.acting_organization_id():
        return known[1]
    seconds = MockConfig.objects.filter(acting_q()).values_list("clock_offset_seconds", flat=True).first()
    return timedelta(seconds=int(seconds or 0))


@contextmanager
def offset_known(config: MockConfig) -> Iterator[None]:
    """Use `config`'s offset, already loaded, for the rest of the block while the code acts for
    its organisation: an API call asks the clock several times (token expiry, rate window, due
    activities) and need not read it each time. A call sees one clock from start to end."""
    token = _known.set((config.organization_id, timedelta(seconds=config.clock_offset_seconds)))
    try:
        yield
    finally:
        _known.reset(token)


def set_offset(value: timedelta) -> None:
    _known.set(None)
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
