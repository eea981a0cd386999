"""What the worker does for a sync to Apple School Manager: send the profile's roster batch by
batch through the token shared with School Data Sync, count what Apple did, and say how it went.

Apple's 429, 5xx and timeouts are tried again with the device sync's back-off
(`tokens.apple_retry.apple_call`: SYNC_RETRY_ATTEMPTS tries, SYNC_RETRY_BACKOFF_SECONDS doubled or
Apple's Retry-After).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from functools import partial
from itertools import islice
from typing import Any, TypeVar

from django.urls import reverse
from django.utils.translation import gettext_noop

from asm_portal import clock, texts
from asm_portal.jobs import job_lease_release, job_lease_take, job_out_of_attempts, worker_id
from asm_portal.models import Notification
from asm_portal.texts import Text
from sds import apple_roster
from sds.models import AppleRosterSync
from sds.outcomes import Toast, outcome_report, progress_save
from tokens.apple_errors import apple_error_text as tokens_apple_error_text
from tokens.apple_retry import Reschedule, apple_call, error_code
from tokens.dep_client import DepError
from tokens.models import EnrollmentProgramToken
from tokens.services import (
    token_apple_call_failed,
    token_apple_call_succeeded,
    token_dep_client,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

# The failures a sync keeps to show (the counts cover them all).
MAX_STORED_FAILURES = 1000
WORKER_ERROR = "WORKER_ERROR"

# What one answer of POST /roster/import adds to: (sync field, part of the answer, count).
_TALLIES = (
    ("locations_created", "locations", "created"),
    ("locations_updated", "locations", "updated"),
    ("people_created", "people", "created"),
    ("people_updated", "people", "updated"),
    ("people_deactivated", "people", "deactivated"),
    ("people_failed", "people", "failed"),
    ("classes_created", "classes", "created"),
    ("classes_updated", "classes", "updated"),
    ("classes_switched_to_manual", "classes", "switched_to_manual"),
    ("classes_failed", "classes", "failed"),
    ("members_not_found", "classes", "members_not_found"),
)
COUNT_FIELDS = ("batches_done", *(field_name for field_name, _kind, _name in _TALLIES), "failures")


def _count(answer: dict[str, Any], kind: str, name: str) -> int:
    part = answer.get(kind)
    value = part.get(name, 0) if isinstance(part, dict) else 0
    return value if isinstance(value, int) and value >= 0 else 0


def _tally(sync: AppleRosterSync, answer: Any) -> None:
    """Add one answer of POST /roster/import to the sync's counts."""
    if not isinstance(answer, dict):
        raise DepError("Apple's roster answer is not an object.", code="INVALID_RESPONSE")
    for field_name, kind, name in _TALLIES:
        setattr(sync, field_name, getattr(sync, field_name) + _count(answer, kind, name))
    room = MAX_STORED_FAILURES - len(sync.failures)
    failures = answer.get("failures")
    if room > 0 and isinstance(failures, list):
        sync.failures = [
            *sync.failures,
            *(
                {key: str(failure.get(key, ""))[:255] for key in ("record", "id", "code", "field")}
                for failure in failures[:room]
                if isinstance(failure, dict)
            ),
        ]


def _apple_call(call: Callable[[], T]) -> T:
    """One call to Apple with the device sync's retries.

    A roster sync is not put off for later: when Apple asks to wait longer than a worker sleeps,
    the sync fails with Apple's answer, and "Sync to Apple School Manager" runs it again.
    """
    try:
        return apple_call(call)
    except Reschedule as reschedule:
        if isinstance(reschedule.__cause__, DepError):
            raise reschedule.__cause__ from None
        raise


def apple_roster_sync_run(*, sync_id: int, worker: str | None = None) -> AppleRosterSync:
    """What the worker does: send the profile's roster to Apple School Manager, batch by batch,
    with the shared token (GET /session, then POST /roster/import), counting what Apple did.

    One worker at a time holds the sync's lease (asm_portal.jobs). Each batch's counts are
    committed with it, so a worker lost in the middle is resumed after the last batch it
    counted; the batch it was sending is sent again (Apple's import updates by id: a record sent
    twice is updated, never doubled). One lost JOBS_MAX_ATTEMPTS times fails with its reason."""
    worker = worker or worker_id()
    rows = AppleRosterSync.objects.all()
    attempt = job_lease_take(rows, pk=sync_id, worker=worker, states=AppleRosterSync.PENDING_STATES)
    if attempt is None:
        # Done already (a task delivered twice), or another worker is at it.
        return AppleRosterSync.objects.select_related("profile", "requested_by").get(pk=sync_id)
    try:
        if job_out_of_attempts(attempt):
            apple_roster_sync_fail(sync_id=sync_id)
        else:
            _sync_send(sync_id)
    finally:
        job_lease_release(rows, pk=sync_id, worker=worker)
    return AppleRosterSync.objects.select_related("profile", "requested_by").get(pk=sync_id)


def _sync_send(sync_id: int) -> AppleRosterSync:
    sync = AppleRosterSync.objects.select_related("profile", "requested_by").get(pk=sync_id)
    token = (
        EnrollmentProgramToken.objects.filter(pk=sync.token_id, shared_with_sds=True).first()
        if sync.token_id is not None
        else None
    )
    if token is None:
        # Blocked (or moved to another token) since it was asked for: nothing goes to Apple.
        progress_save(sync, state=AppleRosterSync.State.CANCELLED, finished_at=clock.now())
        _sync_report(sync)
        return sync
    batches = apple_roster.roster_batches(sync.profile)
    resumed = sync.batches_done if sync.state == AppleRosterSync.State.RUNNING else 0
    if resumed:
        logger.warning("Roster sync %s resumed after batch %s of %s", sync.pk, resumed, batches.total)
    progress_save(
        sync,
        state=AppleRosterSync.State.RUNNING,
        started_at=sync.started_at or clock.now(),
        batches_total=batches.total,
    )
    client = token_dep_client(token=token)
    try:
        for body in islice(batches.requests, resumed, None):
            answer = _apple_call(partial(client.request, "POST", apple_roster.PATH, json_body=body))
            _tally(sync, answer)
            sync.batches_done += 1
            progress_save(sync, **{name: getattr(sync, name) for name in COUNT_FIELDS})
    except DepError as error:
        logger.info("Roster sync %s refused by Apple: HTTP %s %s", sync.pk, error.status, error.code)
        token_apple_call_failed(token=token, error=error)
        progress_save(
            sync, state=AppleRosterSync.State.FAILED, finished_at=clock.now(), error_code=error_code(error)
        )
    else:
        token_apple_call_succeeded(token=token)
        progress_save(sync, state=AppleRosterSync.State.SUCCEEDED, finished_at=clock.now())
    _sync_report(sync)
    return sync


def apple_roster_sync_fail(*, sync_id: int) -> None:
    """The worker could not finish (a crash, a time limit): the sync must not stay pending."""
    logger.error("Roster sync %s failed", sync_id, exc_info=sys.exc_info()[0] is not None)
    sync = AppleRosterSync.objects.select_related("profile", "requested_by").filter(pk=sync_id).first()
    if sync is None or not sync.is_pending:
        return
    progress_save(sync, state=AppleRosterSync.State.FAILED, finished_at=clock.now(), error_code=WORKER_ERROR)
    _sync_report(sync)


def apple_error_text(code: str) -> str:
    """Why a sync stopped, for people."""
    return str(sync_error_words(code))


def sync_error_words(code: str) -> Text:
    """`apple_error_text` as a stored text (the toast is rendered in its reader's language)."""
    if code == WORKER_ERROR:
        return texts.gettext("The sync stopped unexpectedly. Run it again with Sync to Apple School Manager.")
    return tokens_apple_error_text(code)


def _sync_toast(sync: AppleRosterSync) -> Toast:
    profile = sync.profile.name
    if sync.state == AppleRosterSync.State.SUCCEEDED:
        body = texts.gettext(
            "%(profile)s: %(created)s new people with a Managed Apple Account, %(updated)s updated, "
            "%(classes)s classes.",
            profile=profile,
            created=sync.people_created,
            updated=sync.people_updated,
            classes=sync.classes_created + sync.classes_updated,
        )
        if sync.failure_count:
            body = texts.join(
                body,
                texts.ngettext(
                    "%(count)s record was refused.",
                    "%(count)s records were refused.",
                    "count",
                    count=sync.failure_count,
                ),
            )
        level = Notification.Level.WARNING if sync.failure_count else Notification.Level.SUCCESS
        return texts.gettext("Roster synced to Apple School Manager"), body, level
    if sync.state == AppleRosterSync.State.CANCELLED:
        body = texts.gettext(
            "%(profile)s: the token “%(token)s” is no longer shared with School Data Sync, so nothing was sent.",
            profile=profile,
            token=sync.token_name,
        )
        return texts.gettext("Roster sync cancelled"), body, Notification.Level.WARNING
    body = texts.gettext("%(profile)s: %(reason)s", profile=profile, reason=sync_error_words(sync.error_code))
    return texts.gettext("Roster sync to Apple School Manager failed"), body, Notification.Level.ERROR


def _sync_report(sync: AppleRosterSync) -> None:
    outcome_report(
        actor=sync.requested_by,
        action=gettext_noop("Sync roster to Apple School Manager"),
        target=sync.profile,
        succeeded=sync.state == AppleRosterSync.State.SUCCEEDED,
        details={
            "sync": sync.pk,
            "token": sync.token_name,
            "state": sync.state,
            "people_created": sync.people_created,
            "people_updated": sync.people_updated,
            "people_failed": sync.people_failed,
            "error": sync.error_code,
        },
        language=sync.language,
        toast=lambda: _sync_toast(sync),
        link=reverse("sds:apple_sync_detail", args=[sync.pk]),
    )
