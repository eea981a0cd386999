from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from asm_portal import navigation, roles, services
from asm_portal.jobs import background_unreachable
from asm_portal.models import Notification


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the shell needs on every portal page. Lazy, so fragments pay only for what they use."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"apple_public_url": settings.APPLE_PUBLIC_URL}

    def unread() -> int:
        return Notification.objects.filter(user=user, read=False).count()

    taken: list[Notification] | None = None

    def pending_toasts() -> list[Notification]:
        # Taking marks them shown, so remember the first answer for this render.
        nonlocal taken
        if taken is None:
            taken = services.toasts_take(user=user)
        return taken

    return {
        "pending_toasts": pending_toasts,
        "left_nav": navigation.left_nav(user),
        "apple_menu": navigation.menu(navigation.APPLE_ENROLLMENT_MENU),
        "can_change": roles.can_change(user),
        "user_roles": sorted(roles.roles_of(user)),
        "unread_count": unread,
        "worker_state": services.worker_state,
        # The last job message could not reach the broker: queued jobs say they wait for it.
        "background_unreachable": background_unreachable,
        "apple_public_url": settings.APPLE_PUBLIC_URL,
        "tenant": getattr(request, "tenant", None),
        "looking_at": getattr(request, "looking_at", None),
    }
