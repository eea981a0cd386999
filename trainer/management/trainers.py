"""Which trainer a management command acts as, and in which tenant."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from asm_portal import roles
from asm_portal.models import Tenant
from asm_portal.tenancy import tenant_of


def trainer_get(username: str) -> tuple[User, Tenant]:
    """The named trainer, or the first active one, and their tenant."""
    trainers = User.objects.filter(is_active=True, groups__name=roles.TRAINER).order_by("pk")
    if username:
        trainers = trainers.filter(username=username)
    trainer = trainers.first()
    if trainer is None:
        if username:
            raise CommandError(
                _(
                    "No active trainer account named %(name)s: run seed_demo, or give an account the Trainer role."
                )
                % {"name": username}
            )
        raise CommandError(
            _("No active trainer account: run seed_demo, or give an account the Trainer role.")
        )
    tenant = tenant_of(trainer)
    if tenant is None:
        raise CommandError(_("%(name)s belongs to no tenant.") % {"name": trainer.get_username()})
    return trainer, tenant
