"""Fault drills: Apple's side made to fail in the ways the article's troubleshooting covers,
started and cleared over the mock Apple service's control API. Trainer role only; audited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from asm_portal import roles, texts
from asm_portal.models import AuditEvent
from asm_portal.roles import Actor
from asm_portal.services import audit_record
from asm_portal.texts import Text
from devices.sync_rules import sync_availability
from tokens.dep_client import DepError, OAuthCredentials
from tokens.models import EnrollmentProgramToken
from tokens.services import token_credentials_replace
from trainer import apple_control
from trainer.apple_control import AppleControlError
from trainer.refusals import TrainerError, trainer_failure_audit

# Faults a drill queues answer this many calls (until the trainer clears the drill).
DRILL_FAULT_COUNT = 10_000
THROTTLE_RETRY_AFTER_SECONDS = 120


@dataclass(frozen=True)
class Drill:
    key: str
    # A message id (gettext_noop): the audit log keeps it and shows it in the reader's language.
    title_id: str
    description: str | Promise
    hint: str | Promise
    # Drills that act on the MDM servers of the portal's tokens need a token.
    needs_token: bool = False

    @property
    def title(self) -> str:
        return _(self.title_id)


DRILLS = (
    Drill(
        "terms",
        gettext_noop("Terms and conditions not signed"),
        gettext_lazy("Apple publishes new terms: every call answers T_C_NOT_SIGNED until they are accepted."),
        gettext_lazy(
            "Request a sync on the token: the sync fails and the token says that an administrator must "
            "accept the new terms in Apple School Manager."
        ),
    ),
    Drill(
        "revoked",
        gettext_noop("Token revoked"),
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
        gettext_noop("Apple down"),
        gettext_lazy("Every Apple endpoint answers 503 Service Unavailable."),
        gettext_lazy(
            "Request a sync or assign a profile: the sync fails and the portal says that Apple cannot be "
            "reached right now."
        ),
    ),
    Drill(
        "throttling",
        gettext_noop("Throttling"),
        gettext_lazy("Every Apple endpoint answers 429 Too Many Requests with Retry-After: 120."),
        gettext_lazy(
            "Request a sync or assign a profile: the portal waits for the time Apple asks and tries again."
        ),
    ),
    Drill(
        "access_denied",
        gettext_noop("Access denied"),
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

    uuids = set(EnrollmentProgramToken.objects.values_list("server_uuid", flat=True))
    return [server for server in apple_state["servers"] if server["server_uuid"] in uuids]


def _drill_faults(apple_state: dict[str, Any], key: str) -> list[int]:
    status = {"apple_down": 503, "throttling": 429}.get(key)
    return [
        fault["id"]
        for fault in apple_state["faults"]
        if fault["endpoint"] == "*" and fault["status"] == status and fault["remaining"] > 0
    ]


def apple_down_drill_answered(error: DepError) -> bool:
    """Whether Apple's 503 is the "Apple down" drill's (registered with tokens.apple_retry at
    ready()): it answers every try until the trainer clears it, so retrying is pointless. Only
    the drill's own fault counts (every endpoint, DRILL_FAULT_COUNT answers), not a short fault
    a test or the trainer's fault page queues to show the retries."""
    if error.status != 503:
        return False
    return any(
        fault["endpoint"] == "*" and fault["status"] == 503 and fault["remaining"] > DRILL_FAULT_COUNT // 10
        for fault in apple_control.state()["faults"]
    )


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
    _drill_run(actor, drill, _start, gettext_noop("Start fault drill"))


def drill_clear(*, actor: Actor, key: str) -> None:
    roles.require_trainer(actor)
    drill = _drill(key)
    _drill_run(actor, drill, _clear, gettext_noop("Clear fault drill"))


def drill_clear_advice() -> Text:
    """How to go on after a drill: Apple answers again, but a sync that failed during the drill
    keeps Sync unavailable for its window (the article's 15 minutes); the demo clock skips it."""
    ends = [
        availability.available_at
        for availability in (sync_availability(token=token) for token in EnrollmentProgramToken.objects.all())
        if not availability.allowed and availability.available_at is not None
    ]
    if not ends:
        return texts.gettext("Apple answers again: request a sync or assign a profile to see it.")
    # A stored text (the toast is shown again in another language after a switch); the time is
    # rendered in the reader's format.
    return texts.gettext(
        "Apple answers again. Sync stays unavailable until %(time)s, because Intune waits %(minutes)d "
        "minutes after a sync request that has not succeeded. To go on now, move the demo clock "
        "forward by %(minutes)d minutes with “+15 minutes”, then request a sync.",
        time=max(ends),
        minutes=settings.SYNC_REQUEST_WINDOW_SECONDS // 60,
    )


def _drill_run(
    actor: Actor, drill: Drill, change: Callable[[Drill, dict[str, Any]], None], action: str
) -> None:
    try:
        change(drill, apple_control.state())
    except AppleControlError as error:
        trainer_failure_audit(
            actor=actor,
            action=action,
            error=error,
            target_type=gettext_noop("Fault drill"),
            target_text=texts.gettext(drill.title_id),
            drill=drill.key,
        )
        raise
    audit_record(
        actor=actor,
        category=AuditEvent.Category.TRAINER,
        action=action,
        target_type=gettext_noop("Fault drill"),
        target_text=texts.gettext(drill.title_id),
        details={"drill": drill.key},
    )
