"""Actors that are not portal users: an application calling Graph, the machine's operator.

The services take an `Actor` and check its roles (`roles.require_change_permission`) and audit it
by name: an application with `DeviceManagementServiceConfig.ReadWrite.All` acts as an
administrator, one with `Read.All` as a read-only operator, and the audit log names the app.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from asm_portal.roles import ADMINISTRATOR, READ_ONLY_OPERATOR
from graph.models import READ_WRITE_ROLE


class ServiceActor(AnonymousUser):
    """Signed in, but no row of the user table: no pk, never a foreign key's value."""

    def __init__(self, name: str, *, can_write: bool) -> None:
        self.username = name  # type: ignore[assignment]
        self._asm_roles = {ADMINISTRATOR if can_write else READ_ONLY_OPERATOR}

    @property
    def is_authenticated(self) -> bool:  # type: ignore[override]
        return True

    @property
    def is_anonymous(self) -> bool:  # type: ignore[override]
        return False

    def __str__(self) -> str:
        return self.username


def app_actor(
    *, display_name: str, client_id: str, roles: tuple[str, ...], write_roles: frozenset[str] | None = None
) -> ServiceActor:
    """The application of a Graph call, as the audit log names it: it administers when it holds
    one of `write_roles` (the enrollment program's ReadWrite.All unless the call says which)."""
    can_write = bool(set(roles) & (write_roles if write_roles is not None else {READ_WRITE_ROLE}))
    return ServiceActor(f"{display_name} (app {client_id})", can_write=can_write)


def command_actor(command: str) -> ServiceActor:
    """Whoever runs a management command on the server: they hold the machine, so they administer."""
    return ServiceActor(f"manage.py {command}", can_write=True)
