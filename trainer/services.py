"""Trainer mode: the guided tour of the article's six steps, the demo clock and the fault drills.

Only the Trainer role may use any of it (roles.require_trainer), and every change is audited
under the category "Trainer". Apple's side is changed over HTTP through apple_control.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from asm_portal import clock, roles
from asm_portal.models import AuditEvent
from asm_portal.roles import Actor
from asm_portal.services import audit_record
from trainer import apple_control
from trainer.apple_control import AppleControlError


class TrainerError(Exception):
    """Bad input for a trainer action; str() is the translated message. Nothing was changed."""


# --- The guided tour ---------------------------------------------------------------------------

# The tour panel's state lives in the session: it survives navigation and reloads.
SESSION_TOUR_OPEN = "trainer.tour.open"
SESSION_TOUR_STEP = "trainer.tour.step"


@dataclass(frozen=True)
class TourCheck:
    key: str
    label: str | Promise
    done: bool


@dataclass(frozen=True)
class TourStep:
    number: int
    key: str
    title: str | Promise
    text: str | Promise
    url: str
    checks: list[TourCheck] = field(default_factory=list)
    optional: bool = False

    @property
    def done(self) -> bool:
        return all(check.done for check in self.checks)


def _tour_facts() -> dict[str, bool]:
    """What the tenant really holds, one cheap query per check."""
    from devices.models import Device, EnrollmentState, SyncRun
    from profiles.models import EnrollmentProfile
    from tokens.models import EnrollmentProgramToken, TokenEncryptionKey

    token = EnrollmentProgramToken.objects.exists()
    devices = Device.objects.filter(removed_by_apple=False)
    return {
        # An upload uses up the key it was encrypted to: a token proves a key was downloaded.
        "public_key": token or TokenEncryptionKey.objects.exists(),
        "token": token,
        "profile": EnrollmentProfile.objects.exists(),
        "sds": EnrollmentProgramToken.objects.filter(shared_with_sds=True).exists(),
        "sync": SyncRun.objects.filter(state=SyncRun.State.SUCCEEDED).exists(),
        "assigned": devices.filter(assigned_profile__isnull=False).exists(),
        "enrolled": devices.filter(enrollment_state=EnrollmentState.ENROLLED).exists(),
    }


def _first_token_id() -> int | None:
    from tokens.models import EnrollmentProgramToken

    tokens = EnrollmentProgramToken.objects.order_by("pk")
    asm = tokens.filter(token_type=EnrollmentProgramToken.TokenType.APPLE_SCHOOL_MANAGER).first()
    first = asm or tokens.first()
    return first.pk if first else None


# The article's six steps (« Étapes d'inscription ASM »), each in its own words. Step 1 has two
# checks: the public key (.pem) goes to Apple, the token (.p7m) comes back.
_STEPS: tuple[tuple[str, Promise, Promise, tuple[tuple[str, Promise], ...]], ...] = (
    (
        "token",
        gettext_lazy("Get the ASM token and assign devices"),
        gettext_lazy(
            "Download the Intune public key (.pem), add an MDM server with it in Apple School "
            "Manager, assign devices to the server, then upload the server token (.p7m)."
        ),
        (("public_key", gettext_lazy("Public key downloaded")), ("token", gettext_lazy("Token uploaded"))),
    ),
    (
        "profile",
        gettext_lazy("Create an Apple enrollment profile"),
        gettext_lazy(
            "A device enrollment profile defines the settings applied to a group of devices during enrollment."
        ),
        (("profile", gettext_lazy("Profile created")),),
    ),
    (
        "sds",
        gettext_lazy("Connect School Data Sync (optional)"),
        gettext_lazy(
            "Choose Allow Microsoft School Data Sync to use this token, so that class rosters sync "
            "with Apple School Manager."
        ),
        (("sds", gettext_lazy("School Data Sync connected")),),
    ),
    (
        "sync",
        gettext_lazy("Sync ASM-managed devices"),
        gettext_lazy("Sync Intune with the ASM service to see your managed devices in the Intune portal."),
        (("sync", gettext_lazy("Sync done")),),
    ),
    (
        "assign",
        gettext_lazy("Assign an ASM profile to devices"),
        gettext_lazy(
            "ASM devices managed by Intune must be assigned an ASM profile before they are enrolled."
        ),
        (("assigned", gettext_lazy("Profile assigned")),),
    ),
    (
        "distribute",
        gettext_lazy("Distribute devices to users"),
        gettext_lazy("When an ASM iOS device is turned on, it is enrolled for management by Intune."),
        (("enrolled", gettext_lazy("A device enrolled")),),
    ),
)

STEP_KEYS = tuple(key for key, *_rest in _STEPS)


def _step_urls(token_id: int | None) -> dict[str, str]:
    """The blade each step opens: the token's own blades once there is a token."""
    if token_id is None:
        return {
            "token": reverse("tokens:add"),
            "profile": reverse("profiles:list"),
            "sds": reverse("tokens:list"),
            "sync": reverse("devices:list"),
            "assign": reverse("profiles:list"),
            "distribute": reverse("devices:list"),
        }
    return {
        "token": reverse("tokens:detail", args=[token_id]),
        "profile": reverse("profiles:token_profiles", args=[token_id]),
        "sds": reverse("tokens:sds", args=[token_id]),
        "sync": reverse("devices:sync", args=[token_id]),
        "assign": reverse("devices:token_devices", args=[token_id]),
        "distribute": reverse("devices:token_devices", args=[token_id]),
    }


def tour_steps(user: Actor) -> list[TourStep]:
    """The six steps with check marks computed from the real state of the tenant."""
    roles.require_trainer(user)
    facts = _tour_facts()
    urls = _step_urls(_first_token_id())
    return [
        TourStep(
            number=number,
            key=key,
            title=title,
            text=text,
            url=urls[key],
            checks=[TourCheck(check, label, facts[check]) for check, label in checks],
            optional=key == "sds",
        )
        for number, (key, title, text, checks) in enumerate(_STEPS, start=1)
    ]


def tour_current_step(steps: list[TourStep], chosen: str | None) -> str:
    """The step the trainer last opened, else the first one not done yet."""
    if chosen in STEP_KEYS:
        return str(chosen)
    for step in steps:
        if not step.done and not step.optional:
            return step.key
    return steps[-1].key


@dataclass(frozen=True)
class TourState:
    """What the tour panel shows: the steps, the current one, and the progress."""

    steps: list[TourStep]
    current: str

    @property
    def done_count(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def percent(self) -> int:
        return round(100 * self.done_count / len(self.steps))


def tour_state(user: Actor, *, chosen: str | None) -> TourState:
    steps = tour_steps(user)
    return TourState(steps, tour_current_step(steps, chosen))


# --- The demo clock ----------------------------------------------------------------------------

MAX_OFFSET = timedelta(days=3650)  # the mock Apple service refuses more than ten years


def offset_text(offset: timedelta) -> str:
    """« 8 days », « 1 day 3 hours », « 45 minutes »: how far the clock is moved."""
    total = int(offset.total_seconds())
    days, rest = divmod(abs(total), 86_400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(ngettext("%(count)d day", "%(count)d days", days) % {"count": days})
    if hours:
        parts.append(ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours})
    if minutes and not days:
        parts.append(ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes})
    return " ".join(parts) or ngettext("%(count)d second", "%(count)d seconds", total) % {"count": total}


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
        _audit_failure(actor, action, error, offset_seconds=int(offset.total_seconds()))
        raise
    try:
        with transaction.atomic():
            clock.set_offset(offset)
            audit_record(
                actor=actor,
                category=AuditEvent.Category.TRAINER,
                action=action,
                target_type="Demo clock",
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
    return _clocks_set(actor=actor, offset=offset, action="Move demo clock")


def demo_clock_reset(*, actor: Actor) -> None:
    """Both clocks back to real time."""
    roles.require_trainer(actor)
    _clocks_set(actor=actor, offset=timedelta(0), action="Reset demo clock")


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
    from django.conf import settings

    from devices.models import SyncRun, TokenSyncState
    from devices.sync_rules import sync_kind
    from tokens.models import EnrollmentProgramToken

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


# --- Fault drills ------------------------------------------------------------------------------

# Faults a drill queues answer this many calls (until the trainer clears the drill).
DRILL_FAULT_COUNT = 10_000
THROTTLE_RETRY_AFTER_SECONDS = 120


@dataclass(frozen=True)
class Drill:
    key: str
    title: str | Promise
    description: str | Promise
    hint: str | Promise
    # Drills that act on the MDM servers of the portal's tokens need a token.
    needs_token: bool = False


DRILLS = (
    Drill(
        "terms",
        gettext_lazy("Terms and conditions not signed"),
        gettext_lazy("Apple publishes new terms: every call answers T_C_NOT_SIGNED until they are accepted."),
        gettext_lazy(
            "Request a sync on the token: the sync fails and the token says that an administrator must "
            "accept the new terms in Apple School Manager."
        ),
    ),
    Drill(
        "revoked",
        gettext_lazy("Token revoked"),
        gettext_lazy(
            "Apple revokes the server token of every MDM server the portal has a token for (token_rejected)."
        ),
        gettext_lazy(
            "Request a sync on the token: the token shows the error banner and asks for the newest token "
            "file. Clearing the drill installs a new server token, as a renewal would."
        ),
        needs_token=True,
    ),
    Drill(
        "apple_down",
        gettext_lazy("Apple down"),
        gettext_lazy("Every Apple endpoint answers 503 Service Unavailable."),
        gettext_lazy(
            "Request a sync or assign a profile: the sync fails and the portal says that Apple cannot be "
            "reached right now."
        ),
    ),
    Drill(
        "throttling",
        gettext_lazy("Throttling"),
        gettext_lazy("Every Apple endpoint answers 429 Too Many Requests with Retry-After: 120."),
        gettext_lazy(
            "Request a sync or assign a profile: the portal waits for the time Apple asks and tries again."
        ),
    ),
    Drill(
        "access_denied",
        gettext_lazy("Access denied"),
        gettext_lazy("Apple denies the MDM servers of the portal’s tokens (ACCESS_DENIED)."),
        gettext_lazy(
            "Request a sync on the token: the token shows the error banner and says to check the MDM server "
            "in Apple School Manager."
        ),
        needs_token=True,
    ),
)
DRILLS_BY_KEY = {drill.key: drill for drill in DRILLS}


@dataclass(frozen=True)
class DrillStatus:
    drill: Drill
    active: bool


def _portal_servers(apple_state: dict[str, Any]) -> list[dict[str, Any]]:
    """Apple's MDM servers that one of the portal's tokens speaks for."""
    from tokens.models import EnrollmentProgramToken

    uuids = set(EnrollmentProgramToken.objects.values_list("server_uuid", flat=True))
    return [server for server in apple_state["servers"] if server["server_uuid"] in uuids]


def _drill_faults(apple_state: dict[str, Any], key: str) -> list[int]:
    status = {"apple_down": 503, "throttling": 429}.get(key)
    return [
        fault["id"]
        for fault in apple_state["faults"]
        if fault["endpoint"] == "*" and fault["status"] == status and fault["remaining"] > 0
    ]


_ACTIVE: dict[str, Callable[[dict[str, Any]], bool]] = {
    "terms": lambda s: bool(s["terms"]) and s["terms"]["version"] > s["terms"]["accepted_version"],
    "revoked": lambda s: any(server["token"] is None for server in _portal_servers(s)),
    "apple_down": lambda s: bool(_drill_faults(s, "apple_down")),
    "throttling": lambda s: bool(_drill_faults(s, "throttling")),
    "access_denied": lambda s: any(server["access_denied"] for server in _portal_servers(s)),
}


def drills_status(apple_state: dict[str, Any]) -> list[DrillStatus]:
    """Every drill, and whether Apple's state says it is running (read from /_mock/state)."""
    return [DrillStatus(drill, _ACTIVE[drill.key](apple_state)) for drill in DRILLS]


def _drill(key: str) -> Drill:
    drill = DRILLS_BY_KEY.get(key)
    if drill is None:
        raise TrainerError(_("There is no such fault drill."))
    return drill


def _servers_for(drill: Drill, apple_state: dict[str, Any]) -> list[dict[str, Any]]:
    servers = _portal_servers(apple_state)
    if drill.needs_token and not servers:
        raise TrainerError(
            _("Upload an enrollment program token first: this drill acts on the MDM server of a token.")
        )
    return servers


def _start(drill: Drill, apple_state: dict[str, Any]) -> None:
    if _ACTIVE[drill.key](apple_state):
        return  # already running: starting twice must not stack a second fault
    if drill.key == "terms":
        apple_control.terms(action="publish")
    elif drill.key == "revoked":
        for server in _servers_for(drill, apple_state):
            apple_control.server_revoke(server_uuid=server["server_uuid"])
    elif drill.key == "apple_down":
        apple_control.fault_add(endpoint="*", status=503, count=DRILL_FAULT_COUNT)
    elif drill.key == "throttling":
        apple_control.fault_add(
            endpoint="*", status=429, retry_after=THROTTLE_RETRY_AFTER_SECONDS, count=DRILL_FAULT_COUNT
        )
    elif drill.key == "access_denied":
        for server in _servers_for(drill, apple_state):
            apple_control.server_access(server_uuid=server["server_uuid"], denied=True)


def _clear(drill: Drill, apple_state: dict[str, Any]) -> None:
    if drill.key == "terms":
        if _ACTIVE["terms"](apple_state):
            apple_control.terms(action="accept")
    elif drill.key == "revoked":
        for server in _portal_servers(apple_state):
            if server["token"] is None:
                _token_reissue(server["server_uuid"])
    elif drill.key in ("apple_down", "throttling"):
        for fault_id in _drill_faults(apple_state, drill.key):
            apple_control.fault_delete(fault_id=fault_id)
    elif drill.key == "access_denied":
        for server in _portal_servers(apple_state):
            if server["access_denied"]:
                apple_control.server_access(server_uuid=server["server_uuid"], denied=False)


def _token_reissue(server_uuid: str) -> None:
    """Apple issues a new server token and the portal's token takes it, as after a renewal."""
    from tokens.dep_client import OAuthCredentials
    from tokens.models import EnrollmentProgramToken
    from tokens.services import token_credentials_replace

    values = apple_control.server_token_issue(server_uuid=server_uuid)
    expires_at = parse_datetime(values["access_token_expiry"])
    token = EnrollmentProgramToken.objects.get(server_uuid=server_uuid)
    credentials = OAuthCredentials(
        values["consumer_key"], values["consumer_secret"], values["access_token"], values["access_secret"]
    )
    token_credentials_replace(token=token, credentials=credentials, expires_at=expires_at or token.expires_at)


def drill_start(*, actor: Actor, key: str) -> None:
    roles.require_trainer(actor)
    drill = _drill(key)
    _drill_run(actor, drill, _start, "Start fault drill")


def drill_clear(*, actor: Actor, key: str) -> None:
    roles.require_trainer(actor)
    drill = _drill(key)
    _drill_run(actor, drill, _clear, "Clear fault drill")


def _drill_run(
    actor: Actor, drill: Drill, change: Callable[[Drill, dict[str, Any]], None], action: str
) -> None:
    try:
        change(drill, apple_control.state())
    except AppleControlError as error:
        _audit_failure(actor, action, error, drill=drill.key)
        raise
    audit_record(
        actor=actor,
        category=AuditEvent.Category.TRAINER,
        action=action,
        target_type="Fault drill",
        details={"drill": drill.key},
    )


def _audit_failure(actor: Actor, action: str, error: Exception, **details: Any) -> None:
    audit_record(
        actor=actor,
        category=AuditEvent.Category.TRAINER,
        action=action,
        result=AuditEvent.Result.FAILURE,
        details={**details, "error": str(error)},
    )
