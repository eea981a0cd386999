"""The article's sync rules: which sync a request gets, when one may be requested, what a run's
end means for the administrator. Whoever asks (a blade, a task, a test), these decide:
- a full sync (every serial number Apple assigns) at most once per SYNC_FULL_INTERVAL_SECONDS
  and token; a request inside that interval adds only the serial numbers not known yet;
- each request has SYNC_REQUEST_WINDOW_SECONDS to finish, and until then, or until it
  succeeds, another request is refused with the time left;
- a delta sync every SYNC_DELTA_INTERVAL_SECONDS (Celery beat); a failed delta makes the next
  sync full.

Nothing here sends a task: `devices.sync_requests` and `devices.tasks` send the runs created here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from asm_portal import clock, texts
from asm_portal.jobs import owner_gone
from asm_portal.models import Notification
from asm_portal.refusals import Refusal
from asm_portal.services import notification_send
from asm_portal.texts import Text
from devices.models import SyncRun, TokenSyncState
from devices.sync import run_fail, sync_state_for
from tokens.apple_errors import apple_error_text
from tokens.models import EnrollmentProgramToken


class SyncRefused(Refusal):
    """A sync request the rules refuse; `available_at` says when one will be accepted."""

    def __init__(self, message: str, available_at: datetime | None = None) -> None:
        super().__init__(message)
        self.available_at = available_at


def _seconds(name: str) -> timedelta:
    return timedelta(seconds=int(getattr(settings, name)))


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def time_left(seconds: float) -> str:
    """ "12 minutes", "40 seconds": how long until something is allowed."""
    seconds = max(0, math.ceil(seconds))
    if seconds >= 120:
        minutes = math.ceil(seconds / 60)
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}


# --- Rules --------------------------------------------------------------------------------


def sync_latest_run(*, token: EnrollmentProgramToken) -> SyncRun | None:
    return SyncRun.objects.filter(token=token).order_by("-requested_at", "-id").first()


def sync_kind(*, state: TokenSyncState, trigger: str, now: datetime) -> str:
    """Which sync a request gets. Automatic syncs are deltas; requests get a full sync when the
    last one is SYNC_FULL_INTERVAL_SECONDS old, else only the serial numbers not known yet.
    Without a cursor, or after a failed sync, every kind is full (Intune's rule)."""
    if state.next_must_be_full or not state.cursor or state.last_full_sync_at is None:
        return SyncRun.Kind.FULL
    if trigger == SyncRun.Trigger.AUTOMATIC:
        return SyncRun.Kind.DELTA
    if now - state.last_full_sync_at >= _seconds("SYNC_FULL_INTERVAL_SECONDS"):
        return SyncRun.Kind.FULL
    return SyncRun.Kind.NEW_SERIALS


@dataclass(frozen=True)
class SyncAvailability:
    """Whether Sync may be requested now, why not, and the window's progress for the bar."""

    allowed: bool
    reason: str = ""
    available_at: datetime | None = None
    window_elapsed: float = 1.0  # 0..1 of SYNC_REQUEST_WINDOW_SECONDS since the last request
    seconds_left: int = 0  # until available_at, for the countdown

    @property
    def percent(self) -> int:
        return round(self.window_elapsed * 100)

    @property
    def countdown(self) -> str:
        """ "14:05": minutes and seconds left, as the countdown starts."""
        minutes, seconds = divmod(max(0, self.seconds_left), 60)
        return f"{minutes}:{seconds:02d}"


def sync_availability(*, token: EnrollmentProgramToken, now: datetime | None = None) -> SyncAvailability:
    now = now or clock.now()
    if token.expires_at <= now:
        return SyncAvailability(
            False,
            _("This token expired on %(date)s. Renew it before you sync its devices.")
            % {"date": _when(token.expires_at)},
        )
    latest = sync_latest_run(token=token)
    if latest is None:
        return SyncAvailability(True)
    window = _seconds("SYNC_REQUEST_WINDOW_SECONDS")
    end = latest.requested_at + window
    elapsed = min(1.0, max(0.0, (now - latest.requested_at) / window)) if window else 1.0
    if latest.is_active and now < latest.deadline_at:
        return SyncAvailability(
            False,
            _("A sync is in progress. You can request another sync in %(time)s.")
            % {"time": time_left((latest.deadline_at - now).total_seconds())},
            latest.deadline_at,
            elapsed,
            math.ceil((latest.deadline_at - now).total_seconds()),
        )
    if latest.state != SyncRun.State.SUCCEEDED and now < end:
        return SyncAvailability(
            False,
            _("The last sync request has not succeeded. You can request another sync in %(time)s.")
            % {"time": time_left((end - now).total_seconds())},
            end,
            elapsed,
            math.ceil((end - now).total_seconds()),
        )
    return SyncAvailability(True, window_elapsed=elapsed)


def sync_error_message(code: str) -> str:
    """What a sync error code means for the administrator."""
    return str(sync_error_text(code))


def sync_error_text(code: str) -> Text:
    """`sync_error_message` as a stored text, rendered in the reader's language when shown."""
    if code == "TIMEOUT":
        return texts.gettext(
            "The sync did not finish within the %(minutes)d minutes a request has. Request sync again.",
            minutes=settings.SYNC_REQUEST_WINDOW_SECONDS // 60,
        )
    if code == "token_expired":
        return texts.gettext("The token has expired: Apple no longer accepts it. Renew the token.")
    return apple_error_text(code)


def sync_run_notify(run: SyncRun) -> None:
    """Tell whoever requested the run how it ended (a toast with a link to the Sync blade)."""
    user = run.requested_by
    if user is None:
        return
    token_name = EnrollmentProgramToken.objects.filter(pk=run.token_id).values_list("token_name", flat=True)
    name = token_name[0] if token_name else ""
    link = reverse("devices:sync", args=[run.token_id])
    if run.state == SyncRun.State.SUCCEEDED:
        body = texts.gettext(
            "%(added)d added, %(updated)d updated, %(removed)d removed.",
            added=run.added,
            updated=run.updated,
            removed=run.removed,
        )
        if run.warning_code:
            body = texts.join(body, sync_warning_text(run.warning_code))
        notification_send(
            user=user,
            title=texts.gettext("Sync of “%(name)s” completed", name=name),
            body=body,
            level=Notification.Level.WARNING if run.warning_code else Notification.Level.SUCCESS,
            link=link,
        )
    else:
        notification_send(
            user=user,
            title=texts.gettext("Sync of “%(name)s” failed", name=name),
            body=sync_error_text(run.error_code),
            level=Notification.Level.ERROR,
            link=link,
        )


def sync_warning_message(code: str) -> str:
    return str(sync_warning_text(code))


def sync_warning_text(code: str) -> Text:
    if code == "ECHOED_CURSOR":
        return texts.gettext(
            "Apple answered the same position twice (a known Apple issue): the sync stopped there, and "
            "the next sync continues from it."
        )
    return Text(parts=(code,))


# --- Runs: created here, sent by the caller -----------------------------------------------------


def sync_runs_expire_overdue(*, token_id: int | None = None) -> int:
    """Runs past their deadline have failed (TIMEOUT), even if no worker is left to say so."""
    overdue = SyncRun.objects.filter(state__in=SyncRun.ACTIVE_STATES, deadline_at__lte=clock.now())
    if token_id is not None:
        overdue = overdue.filter(token_id=token_id)
    count = 0
    for run in overdue:
        if run_fail(run=run, code="TIMEOUT"):
            sync_run_notify(run)
            count += 1
    return count


def sync_run_create(
    *, token: EnrollmentProgramToken, trigger: str, requested_by: User | None
) -> SyncRun | None:
    """A queued run (the caller sends its task after commit); None if the token already has one
    running."""
    now = clock.now()
    state = sync_state_for(token.pk)
    # Requests for one token are serialized on its sync state (PostgreSQL row lock; SQLite
    # takes the database write lock at the start of the transaction).
    state = TokenSyncState.objects.select_for_update().get(pk=state.pk)
    kind = sync_kind(state=state, trigger=trigger, now=now)
    delta = kind == SyncRun.Kind.DELTA
    try:
        with transaction.atomic():
            return SyncRun.objects.create(
                token=token,
                kind=kind,
                trigger=trigger,
                requested_by=requested_by,
                requested_at=now,
                deadline_at=now + _seconds("SYNC_REQUEST_WINDOW_SECONDS"),
                phase=SyncRun.Phase.SYNC if delta else SyncRun.Phase.FETCH,
                cursor=state.cursor if delta else "",
            )
    except IntegrityError:
        return None  # one_active_sync_per_token: a run of this token is queued or running


def syncs_due_tokens(*, now: datetime) -> QuerySet[EnrollmentProgramToken]:
    """The tokens whose last request is SYNC_DELTA_INTERVAL old: their automatic delta is due."""
    cutoff = now - _seconds("SYNC_DELTA_INTERVAL_SECONDS")
    return (
        EnrollmentProgramToken.objects.all()
        .filter(expires_at__gt=now)
        .annotate(last_request=Max("sync_runs__requested_at"))
        .filter(Q(last_request__isnull=True) | Q(last_request__lte=cutoff))
    )


def sync_runs_to_resend(*, now: datetime, queued_before: datetime) -> list[int]:
    """The runs nobody is doing: queued before `queued_before` and never started (a lost
    message, a broker that was down at the request), or running with a lease that expired or
    whose owner process is gone (a killed worker). The worker that gets one first takes the
    lease; the others find it taken or finished and stop."""
    runs = SyncRun.objects.filter(state__in=SyncRun.ACTIVE_STATES).values_list(
        "pk", "state", "requested_at", "lease_owner", "lease_expires_at"
    )
    resend = []
    for run_id, state, requested_at, owner, expires in runs:
        if not owner:
            if state == SyncRun.State.RUNNING or requested_at <= queued_before:
                resend.append(run_id)
        elif expires is None or expires <= now or owner_gone(owner):
            resend.append(run_id)
    return resend
