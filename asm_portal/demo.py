"""Demo accounts for trainers and for people trying the portal on their own machine."""

from __future__ import annotations

import os
import secrets

from django.conf import settings
from django.contrib.auth.models import Group, User

from asm_portal import roles
from asm_portal.models import Tenant
from asm_portal.tenancy import tenant_join

DEMO_USERS = (
    # user name, first name, last name, roles
    ("admin@contoso.onmicrosoft.com", "Adele", "Vance", (roles.ADMINISTRATOR,)),
    ("operator@contoso.onmicrosoft.com", "Lee", "Gu", (roles.READ_ONLY_OPERATOR,)),
    (
        "trainer@contoso.onmicrosoft.com",
        "Megan",
        "Bowen",
        (roles.ADMINISTRATOR, roles.TRAINER),
    ),
)


def demo_password() -> str:
    """DEMO_PASSWORD, or a password generated once per machine and kept in var/."""
    configured = os.getenv("DEMO_PASSWORD")
    if configured:
        return configured
    path = settings.VAR_DIR / "demo_password"
    if not path.exists():
        # Readable but not guessable: three words of hex plus a symbol and a capital.
        path.write_text(f"Demo-{secrets.token_hex(3)}-{secrets.token_hex(3)}!", encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def roles_seed() -> dict[str, Group]:
    return {name: Group.objects.get_or_create(name=name)[0] for name in roles.ALL_ROLES}


def users_seed(*, password: str, tenant: Tenant) -> list[tuple[User, str]]:
    groups = roles_seed()
    created = []
    for username, first, last, role_names in DEMO_USERS:
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={"email": username, "first_name": first, "last_name": last},
        )
        user.set_password(password)
        user.save()
        user.groups.set([groups[name] for name in role_names])
        tenant_join(user=user, tenant=tenant)
        created.append((user, " + ".join(role_names)))
    return created
