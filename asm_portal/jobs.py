"""Background jobs: the database row is the truth, the broker message only a wake-up.

Every job (a sync run, a profile assignment, a roster upload, a roster push to Apple School
Manager, a preset reset, a trainee's build, a device's configuration) is a row written in the
request's transaction; its message leaves on commit through `job_send_on_commit`. When the
broker cannot take it, the page still answers, the row stays *queued* and the blades say that
the background service is not reachable (`background_unreachable`).

The reconciler (`jobs_reconcile`: Celery beat every JOBS_RECONCILE_SECONDS, and each worker when
it starts) asks every app, tenant by tenant, to send again what nobody is doing: queued jobs
older than JOBS_RESEND_AFTER_SECONDS, running jobs whose lease expired or whose owner process is
gone. Apps register their function at ready() (`reconciler_register`): asm_portal knows no app.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from kombu.exceptions import OperationalError

from asm_portal import clock
from asm_portal.models import BackgroundService, Tenant
from asm_portal.tenancy import tenant_scope

logger = logging.getLogger(__name__)

# --- Sending ------------------------------------------------------------------------------------

# What a broker that cannot be reached raises on publish (kombu wraps the transport's errors).
BROKER_ERRORS: tuple[type[BaseException], ...] = (OperationalError, ConnectionError, TimeoutError)


def job_send(send: Callable[[], object]) -> bool:
    """Send a job's message; False when the broker could not take it (the row stays queued and
    the reconciler sends it again once the broker is back)."""
    if current_app.conf.task_always_eager:
        send()  # tests run tasks inline: their errors are the test's to see
        return True
    try:
        send()
    except BROKER_ERRORS as error:
        logger.warning("The broker cannot be reached (%s): the job stays queued until it is.", error)
        BackgroundService.objects.update_or_create(pk=1, defaults={"last_send_failed_at": clock.now()})
        return False
    # Once a message gets through again, the blades stop saying the service is unreachable.
    BackgroundService.objects.filter(pk=1, last_send_failed_at__isnull=False).filter(
        Q(last_sent_at__isnull=True) | Q(last_sent_at__lt=F("last_send_failed_at"))
    ).update(last_sent_at=clock.now())
    return True


def job_send_on_commit(send: Callable[[], object]) -> None:
    """Send once the job's row is committed (at once outside a transaction)."""
    transaction.on_commit(partial(job_send, send))


def background_unreachable() -> bool:
    """The last message the portal tried to send did not reach the broker."""
    service = BackgroundService.objects.filter(pk=1).first()
    if service is None or service.last_send_failed_at is None:
        return False
    return service.last_sent_at is None or service.last_sent_at < service.last_send_failed_at


# --- Leases -------------------------------------------------------------------------------------


def worker_id() -> str:
    """Who holds a lease: host, process id (to tell a dead owner) and a nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_gone(owner: str) -> bool:
    """The lease's owner was a process of this host that no longer exists (a pool child the OOM
    killer took, a worker killed whole): its lease need not be waited for."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    # A zombie (killed, not reaped: a container's init may never reap) is gone too.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] == "Z"
    except OSError:
        return False


def lease_live(owner: str, expires_at: datetime | None, *, now: datetime) -> bool:
    """Someone is doing the job: a lease not yet expired, held by a process that still exists."""
    return bool(owner) and expires_at is not None and expires_at > now and not owner_gone(owner)


def job_lease_take(
    rows: QuerySet[Any], *, pk: object, worker: str, states: Collection[str], seconds: int | None = None
) -> int | None:
    """Take the lease of the job `pk` of `rows` (a LeasedJob model) if it is in one of `states`
    and nobody holds a live lease on it, in one atomic UPDATE; a live lease whose owner process
    is gone (a pool child the OOM killer took) is taken over at once. Returns the attempt this
    is (1 for the first), or None when the job is done or someone else is doing it."""
    now = clock.now()
    free = Q(lease_owner="") | Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now)
    holder = rows.filter(pk=pk).values_list("lease_owner", flat=True).first()
    if holder and owner_gone(holder):
        logger.warning(
            "%s %s: its lease holder %s is gone, the job is taken over", rows.model.__name__, pk, holder
        )
        free |= Q(lease_owner=holder)
    expires = now + timedelta(seconds=settings.JOBS_LEASE_SECONDS if seconds is None else seconds)
    if not rows.filter(free, pk=pk, state__in=list(states)).update(
        lease_owner=worker, lease_expires_at=expires, attempts=F("attempts") + 1
    ):
        return None
    attempts: int = rows.filter(pk=pk).values_list("attempts", flat=True).get()
    return attempts


def job_lease_release(rows: QuerySet[Any], *, pk: object, worker: str) -> None:
    rows.filter(pk=pk, lease_owner=worker).update(lease_owner="", lease_expires_at=None)


def jobs_to_resend(*, queued: QuerySet[Any], running: QuerySet[Any]) -> list[Any]:
    """The jobs of an app that nobody is doing: `queued` (its queued jobs old enough to have
    been picked up) and `running` (its jobs a worker started) that hold no live lease."""
    now = clock.now()
    return [
        pk
        for rows in (queued, running)
        for pk, owner, expires_at in rows.values_list("pk", "lease_owner", "lease_expires_at")
        if not lease_live(owner, expires_at, now=now)
    ]


def job_out_of_attempts(attempt: int) -> bool:
    """The job was taken more times than a job may be (it kills its worker each time)."""
    return attempt > settings.JOBS_MAX_ATTEMPTS


def stale_before() -> datetime:
    """A queued job older than this was not picked up: its message is sent again."""
    return clock.now() - timedelta(seconds=settings.JOBS_RESEND_AFTER_SECONDS)


# --- Reconciling --------------------------------------------------------------------------------

_reconcilers: dict[str, Callable[[], int]] = {}


def reconciler_register(name: str, reconcile: Callable[[], int]) -> None:
    """`reconcile()` runs in a tenant's scope and returns how many jobs it sent again."""
    _reconcilers[name] = reconcile


def jobs_reconcile() -> dict[str, int]:
    """Every tenant, every app: send again what nobody is doing. One failing app does not stop
    the others."""
    sent: dict[str, int] = dict.fromkeys(_reconcilers, 0)
    for tenant_id in Tenant.objects.values_list("pk", flat=True):
        with tenant_scope(tenant_id):
            for name, reconcile in _reconcilers.items():
                try:
                    sent[name] += reconcile()
                except Exception:
                    logger.exception("Reconciling the %s jobs of tenant %s failed", name, tenant_id)
    if any(sent.values()):
        logger.info("Jobs sent again: %s", ", ".join(f"{name} {n}" for name, n in sent.items() if n))
    return sent
