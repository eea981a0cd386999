"""The demo clock: the portal's and the mock Apple's clocks moved forward together, and what it
changes on the tokens. Trainer role only; every move is audited under the category "Trainer".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from asm_portal import clock, roles, texts
from asm_portal.models import AuditEvent
from asm_portal.roles import Actor
from asm_portal.services import audit_record
from asm_portal.texts import Text
from devices.models import SyncRun, TokenSyncState
from devices.sync_rules import sync_kind
from tokens.models import EnrollmentProgramToken
from trainer import apple_control
from trainer.apple_control import AppleControlError
from trainer.refusals import TrainerError, trainer_failure_audit

MAX_OFFSET = timedelta(days=3650)  # the mock Apple service refuses more than ten years


def offset_text(offset: timedelta) -> str:
    """« 8 days », « 1 day 3 hours », « 45 minutes »: how far the clock is moved."""
    return str(offset_words(offset))


def offset_words(offset: timedelta) -> Text:
    """`offset_text` as a stored text (the audit log shows it in the reader's language)."""
    total = int(offset.total_seconds())
    days, rest = divmod(abs(total), 86_400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(texts.ngettext("%(count)d day", "%(count)d days", "count", count=days))
    if hours:
        parts.append(texts.ngettext("%(count)d hour", "%(count)d hours", "count", count=hours))
    if minutes and not days:
        parts.append(texts.ngettext("%(count)d minute", "%(count)d minutes", "count", count=minutes))
    if not parts:
        return texts.ngettext("%(count)d second", "%(count)d seconds", "count", count=total)
    return texts.join(*parts)


def clock_position_text(offset: timedelta) -> Text:
    """Where the demo clock stands: the audit log's target of a clock move."""
    if not offset:
        return texts.gettext("Real time")
    if offset < timedelta(0):
        return texts.gettext("Moved back by %(offset)s", offset=offset_words(offset))
    return texts.gettext("Moved forward by %(offset)s", offset=offset_words(offset))


def demo_clock_banner_text(offset: timedelta) -> str:
    """The shell's banner while the clock is moved; empty at real time."""
    if not offset:
        return ""
    if offset < timedelta(0):
        return _("Demo clock: the time is moved back by %(offset)s.") % {"offset": offset_text(offset)}
    return _("Demo clock: the time is moved forward by %(offset)s.") % {"offset": offset_text(offset)}


def _clocks_set(*, actor: Actor, offset: timedelta, action: str) -> timedelta:
    """Move both clocks to `offset`, Apple's first: when Apple cannot follow, nothing moves."""
    before = clock.offset()
    try:
        apple_control.clock_set(offset_seconds=int(offset.total_seconds()))
    except AppleControlError as error:
        trainer_failure_audit(
            actor=actor,
            action=action,
            error=error,
            target_type=gettext_noop("Demo clock"),
            target_text=clock_position_text(offset),
            offset_seconds=int(offset.total_seconds()),
        )
        raise
    try:
        with transaction.atomic():
            clock.set_offset(offset)
            audit_record(
                actor=actor,
                category=AuditEvent.Category.TRAINER,
                action=action,
                target_type=gettext_noop("Demo clock"),
                target_text=clock_position_text(offset),
                details={
                    "before_seconds": int(before.total_seconds()),
                    "after_seconds": int(offset.total_seconds()),
                },
            )
    except Exception:
        # Keep the two clocks together: put Apple's back where it was.
        apple_control.clock_set(offset_seconds=int(before.total_seconds()))
        raise
    return offset


def demo_clock_move(*, actor: Actor, seconds: int) -> timedelta:
    """Move the portal's and the mock Apple's clocks forward by `seconds` together."""
    roles.require_trainer(actor)
    if seconds <= 0:
        raise TrainerError(_("Move the clock forward by at least one hour."))
    offset = clock.offset() + timedelta(seconds=seconds)
    if offset > MAX_OFFSET:
        raise TrainerError(_("The demo clock can be moved forward by at most ten years."))
    return _clocks_set(actor=actor, offset=offset, action=gettext_noop("Move demo clock"))


def demo_clock_reset(*, actor: Actor) -> None:
    """Both clocks back to real time."""
    roles.require_trainer(actor)
    _clocks_set(actor=actor, offset=timedelta(0), action=gettext_noop("Reset demo clock"))


@dataclass(frozen=True)
class ClockSummary:
    now: datetime
    offset: timedelta
    offset_text: str
    apple_offset: timedelta | None  # None when Apple could not be asked

    @property
    def apple_in_step(self) -> bool:
        return self.apple_offset is None or self.apple_offset == self.offset


def demo_clock_summary(apple_state: dict[str, Any] | None) -> ClockSummary:
    offset = clock.offset()
    apple_offset = None
    if apple_state is not None:
        apple_offset = timedelta(seconds=int(apple_state["clock"]["offset_seconds"]))
    return ClockSummary(clock.now(), offset, offset_text(offset) if offset else "", apple_offset)


@dataclass(frozen=True)
class TokenClockEffect:
    """What the demo clock changes on one token: expiry, and when a full sync is allowed again."""

    token_id: int
    token_name: str
    expires_at: datetime
    next_sync_full: bool
    full_sync_allowed_at: datetime | None


def demo_clock_effects() -> list[TokenClockEffect]:

    now = clock.now()
    interval = timedelta(seconds=settings.SYNC_FULL_INTERVAL_SECONDS)
    effects = []
    tokens = EnrollmentProgramToken.objects.all().order_by("token_name")
    for token in tokens.select_related("device_sync")[:10]:
        state = getattr(token, "device_sync", None) or TokenSyncState(token=token)
        kind = sync_kind(state=state, trigger=SyncRun.Trigger.MANUAL, now=now)
        last_full = state.last_full_sync_at
        effects.append(
            TokenClockEffect(
                token.pk,
                token.token_name,
                token.expires_at,
                kind == SyncRun.Kind.FULL,
                last_full + interval if last_full else None,
            )
        )
    return effects
