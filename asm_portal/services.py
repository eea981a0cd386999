"""Portal-wide services: the audit log, notifications, sign-in throttling, preferences."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, User
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from asm_portal import clock, roles, texts
from asm_portal.models import AuditEvent, Notification, SignInFailure, UserPreference, WorkerHeartbeat
from asm_portal.refusals import Refusal
from asm_portal.tenancy import tenant_users
from asm_portal.texts import Text

logger = logging.getLogger(__name__)

# A worker reports every minute (beat's worker-heartbeat) and once when it starts.
WORKER_QUIET_AFTER = timedelta(minutes=5)
# When this process started: until a worker has had the time to report, its silence is a start.
PROCESS_STARTED_AT = timezone.now()


def audit_record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    category: str,
    action: str,
    target: Any = None,
    target_type: str = "",
    result: str = AuditEvent.Result.SUCCESS,
    details: dict[str, Any] | None = None,
    actor_name: str | Text = "",
    target_text: Text | None = None,
) -> AuditEvent:
    """Record a change made through the portal. `target` may be any model instance.

    `action` and `target_type` are English message ids (mark them with gettext_noop) shown in the
    reader's language; `target_text` names a target that has words rather than a name (a fault
    drill, the demo clock), rendered in the reader's language too. `actor_name` names an actor
    that is not a portal user (a device, a directory user); a `Text` when it has words of its own."""
    user = actor if isinstance(actor, User) else None
    if user is None and not actor_name:
        actor_name = _actor_name(actor) or texts.gettext("system")
    actor_text = actor_name if isinstance(actor_name, Text) else None
    # In English whatever the language of the request or the worker: the log renders it.
    with translation.override(None):
        if target is not None:
            target_type = target_type or str(target._meta.verbose_name)
        target_name = target_text.in_english() if target_text is not None else str(target or "")
        actor_words = actor_text.in_english() if actor_text is not None else str(actor_name)
    return AuditEvent.objects.create(
        occurred_at=clock.now(),
        recorded_at=timezone.now(),
        actor=user,
        # An actor that is not a portal user but signs in (an application calling Microsoft
        # Graph) is named by itself; a device or a directory user by the caller.
        actor_name=(user.get_username() if user else actor_words)[:254],
        actor_text=actor_text.as_json() if actor_text is not None else {},
        category=category,
        action=action,
        target_type=str(target_type)[:64],
        target_id=str(getattr(target, "pk", "") or "")[:64],
        target_name=target_name[:255],
        target_text=target_text.as_json() if target_text is not None else {},
        result=result,
        details=details or {},
    )


def _actor_name(actor: AbstractBaseUser | AnonymousUser | None) -> str:
    return actor.get_username() if actor is not None and actor.is_authenticated else ""


def notification_send(
    *,
    user: User,
    title: str | Text,
    body: str | Text = "",
    level: str = Notification.Level.INFO,
    link: str = "",
) -> Notification:
    """Archive a notification for the bell; the next page or fragment shows it as a toast.

    Outside a request (a task, a signal, a command) pass `Text`s (asm_portal.texts): they are
    shown in the reader's language, whatever the language the sender ran in."""
    text = {
        name: value.as_json() for name, value in (("title", title), ("body", body)) if isinstance(value, Text)
    }
    return Notification.objects.create(
        user=user,
        created_at=clock.now(),
        level=level,
        title=str(title)[:200],
        body=str(body),
        link=link,
        text=text,
    )


def toasts_take(*, user: User) -> list[Notification]:
    """Notifications not yet shown as a toast; taking them marks them shown."""
    pending = list(Notification.objects.filter(user=user, toasted=False).order_by("id")[:5])
    if pending:
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(toasted=True)
    return pending


def notifications_mark_read(*, user: User) -> int:
    return Notification.objects.filter(user=user, read=False).update(read=True)


def worker_heartbeat_record(*, hostname: str) -> None:
    """A worker proves it consumes the queue (real time: the demo clock has nothing to do with it)."""
    WorkerHeartbeat.objects.update_or_create(hostname=hostname, defaults={"last_seen": timezone.now()})


def worker_state() -> str:
    """ "online" (a worker reported in the last five minutes), "starting" (none has yet, and this
    process started less than five minutes ago: a fresh start) or "missing"."""
    now = timezone.now()
    if WorkerHeartbeat.objects.filter(last_seen__gte=now - WORKER_QUIET_AFTER).exists():
        return "online"
    if now - PROCESS_STARTED_AT < WORKER_QUIET_AFTER:
        return "starting"
    return "missing"


def signin_is_locked(*, username: str, ip_address: str | None) -> bool:
    """Too many failures for this user name, or from this address, in the lockout window."""
    since = clock.now() - timedelta(seconds=settings.SIGNIN_LOCKOUT_SECONDS)
    recent = SignInFailure.objects.filter(occurred_at__gte=since)
    limit = settings.SIGNIN_MAX_FAILURES
    if recent.filter(username=username.lower()).count() >= limit:
        return True
    # An address gets more room than a user name: a classroom shares one address.
    return bool(ip_address and recent.filter(ip_address=ip_address).count() >= limit * 4)


def signin_record_failure(*, username: str, ip_address: str | None) -> None:
    SignInFailure.objects.create(
        occurred_at=clock.now(), username=username.lower()[:254], ip_address=ip_address
    )
    logger.info("Failed sign-in for %r from %s", username[:254], ip_address)


def signin_clear_failures(*, username: str) -> None:
    SignInFailure.objects.filter(username=username.lower()).delete()


def preference_set_language(*, user: User, language: str) -> UserPreference:
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"Unsupported language {language!r}")
    preference, _ = UserPreference.objects.update_or_create(user=user, defaults={"language": language})
    return preference


def preference_set_hidden_columns(*, user: User, grid: str, hidden: list[str]) -> UserPreference:
    """The columns `user` hides in `grid` (the grid's « Columns » pane); a user's own choice,
    so any signed-in user may make it, read-only operators included."""
    preference, _ = UserPreference.objects.get_or_create(user=user)
    preference.hidden_columns = {**preference.hidden_columns, grid: sorted(set(hidden))}
    preference.save(update_fields=["hidden_columns"])
    return preference


def preference_hidden_columns(*, user: User, grid: str) -> frozenset[str]:
    preference = UserPreference.objects.filter(user=user).only("hidden_columns").first()
    return frozenset(preference.hidden_columns.get(grid, ())) if preference else frozenset()


class RoleChangeRefused(Refusal):
    pass


def user_roles_set(*, actor: User, user: User, role_names: list[str]) -> None:
    """Give `user` exactly these portal roles. Only administrators may; the last one stays."""
    roles.require_change_permission(actor)
    unknown = set(role_names) - set(roles.ALL_ROLES)
    if unknown:
        raise RoleChangeRefused(
            _("Unknown roles: %(roles)s.") % {"roles": ", ".join(sorted(unknown))}, code="UNKNOWN_ROLE"
        )
    if roles.ADMINISTRATOR not in role_names and roles.ADMINISTRATOR in roles.roles_of(user):
        other_admins = (
            tenant_users()
            .filter(groups__name=roles.ADMINISTRATOR, is_active=True)
            .exclude(pk=user.pk)
            .exists()
        )
        if not other_admins:
            raise RoleChangeRefused(
                _("The tenant must keep at least one administrator."), code="LAST_ADMINISTRATOR"
            )
    before = sorted(roles.roles_of(user))
    user.groups.set([Group.objects.get_or_create(name=name)[0] for name in role_names])
    user.__dict__.pop("_asm_roles", None)
    audit_record(
        actor=actor,
        category=AuditEvent.Category.ROLE,
        action=gettext_noop("Update role assignment"),
        target=user,
        target_type=gettext_noop("User"),
        details={"before": before, "after": sorted(role_names)},
    )
