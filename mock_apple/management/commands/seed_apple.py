from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from command_language import TranslatedCommand
from mock_apple.services import organization as organization_services


class Command(TranslatedCommand):
    description = gettext_lazy(
        "Create the demo Apple School Manager organisation and its device inventory (idempotent)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--devices", type=int, default=500, help=_("Devices the organisation owns."))
        parser.add_argument("--password", required=True, help=_("Password of the ASM administrator."))
        parser.add_argument(
            "--seed",
            type=int,
            default=None,
            help=_("Random seed for a repeatable inventory."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organization, account = organization_services.organization_seed_demo(
            admin_password=options["password"]
        )
        added = organization_services.inventory_top_up(
            organization=organization, devices=options["devices"], seed=options["seed"]
        )
        total = organization.devices.count()
        self.stdout.write(
            _("Apple School Manager: %(name)s, %(total)d devices (%(added)d new)")
            % {"name": organization.name, "total": total, "added": added}
        )
        self.stdout.write(_("ASM administrator: %(apple_id)s") % {"apple_id": account.apple_id})
