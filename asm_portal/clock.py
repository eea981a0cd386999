"""The application's one clock.

Every rule that depends on time (sync windows, token expiry, cursor age) asks this module,
so that tests can freeze time and trainers can move it forward with an offset. The offset is
the tenant's (Tenant.clock_offset_seconds): a trainer moving one trainee's clock moves nobody
else's. Outside a tenant scope (the sign-in page, code spanning tenants) the clock is real time.

`now()` and `frozen_at()` have a deliberate twin in `mock_apple/clock.py`: the mock Apple service
keeps its own clock (its offset lives in its own database) and may not import the portal.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone

from asm_portal.models import Tenant
from asm_portal.tenancy import current_tenant

logger = logging.getLogger(__name__)

_frozen: ContextVar[datetime | None] = ContextVar("asm_clock_frozen", default=None)


def _cache_key(tenant_id: int) -> str:
    return f"asm:clock-offset-seconds:{tenant_id}"


def offset() -> timedelta:
    tenant = current_tenant()
    if tenant is None:
        return timedelta(0)
    try:
        seconds = cache.get(_cache_key(tenant.pk))
    except Exception:
        # The cache is a shortcut: without it the database answers (every page would fail else).
        logger.warning("The cache cannot be read; the clock offset comes from the database.")
        seconds = None
    if seconds is None:
        seconds = (
            Tenant.objects.filter(pk=tenant.pk).values_list("clock_offset_seconds", flat=True).first() or 0
        )
        try:
            cache.set(_cache_key(tenant.pk), seconds, 5)
        except Exception:
            logger.warning("The cache cannot be written; the clock offset is read again next time.")
    return timedelta(seconds=int(seconds))


def set_offset(value: timedelta) -> None:
    tenant = current_tenant()
    if tenant is None:
        raise RuntimeError("The clock is a tenant's: set it inside a tenant scope.")
    seconds = int(value.total_seconds())
    Tenant.objects.filter(pk=tenant.pk).update(clock_offset_seconds=seconds)
    tenant.clock_offset_seconds = seconds
    try:
        cache.delete(_cache_key(tenant.pk))
    except Exception:
        logger.warning("The cache cannot be written; other processes see the new offset within 5 s.")


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
