"""Portal roles, stored as Django groups so that an administrator can manage them anywhere."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext_noop

# Group names are stored in English; templates translate them ({% translate role %}).
ADMINISTRATOR = gettext_noop("Administrator")
READ_ONLY_OPERATOR = gettext_noop("Read-only operator")
TRAINER = gettext_noop("Trainer")
ALL_ROLES = (ADMINISTRATOR, READ_ONLY_OPERATOR, TRAINER)

F = TypeVar("F", bound=Callable[..., Any])

# Who acts: a signed-in user of the portal, or (in tasks and device-facing calls) nobody.
Actor = AbstractBaseUser | AnonymousUser


def roles_of(user: Actor) -> set[str]:
    if not user.is_authenticated:
        return set()
    # Cached on the user object: one query per request, however often templates ask.
    cached: set[str] | None = getattr(user, "_asm_roles", None)
    if cached is None:
        cached = set(Group.objects.filter(user__pk=user.pk).values_list("name", flat=True))
        if getattr(user, "is_superuser", False):
            cached.add(ADMINISTRATOR)
        setattr(user, "_asm_roles", cached)  # noqa: B010
    return cached


def can_change(user: Actor) -> bool:
    """Administrators change things; read-only operators only look."""
    return ADMINISTRATOR in roles_of(user)


def is_trainer(user: Actor) -> bool:
    return TRAINER in roles_of(user)


def require_change_permission(user: Actor) -> None:
    """Services call this, so the rule holds whoever calls them, not only the views."""
    if not can_change(user):
        raise PermissionDenied("This account has read-only access.")


def admin_required(view: F) -> F:
    """For views that change state and name no object in their URL. A view of one object (an id in
    its URL) looks the object up first and then calls `require_change_permission`: another
    tenant's object is a 404 for everyone, as an id of nothing is, and only the operator's own
    tenant's objects get the read-only 403 (tests/architecture/test_tenant_isolation.py)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        require_change_permission(request.user)
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def require_trainer(user: Actor) -> None:
    """Trainer mode (tour, demo clock, fault drills) is for the Trainer role only: being an
    administrator is not enough, so ordinary administrators never move the tenant's clock."""
    if not is_trainer(user):
        raise PermissionDenied("Trainer mode is for the Trainer role.")


def trainer_required(view: F) -> F:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        require_trainer(request.user)
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
