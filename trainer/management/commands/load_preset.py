from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from asm_portal.tenancy import tenant_scope
from command_language import TranslatedCommand
from trainer import presets
from trainer.management.trainers import trainer_get
from trainer.scenario_reset import ResetFailed, scenario_reset


class Command(TranslatedCommand):
    description = gettext_lazy(
        "Reset the trainer's tenant (portal and mock Apple School Manager) to a trainer preset. User "
        "accounts, roles and the audit log stay. The mock Apple service must be running."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("key", nargs="?", help=_("The preset to load (see --list)."))
        parser.add_argument("--list", action="store_true", help=_("List the presets and what they hold."))
        parser.add_argument(
            "--as",
            dest="username",
            default="",
            help=_("The trainer the reset is recorded for (default: the first active trainer)."),
        )
        parser.add_argument(
            "--scale", type=float, default=1.0, help=_("Multiply the preset's device counts (e.g. 0.01).")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for preset in presets.presets():
                self.stdout.write(
                    f"{preset.key:<18} {preset.name:<30} "
                    + _("%(apple)s devices at Apple, %(portal)s in the portal, %(profiles)d profiles")
                    % {
                        "apple": number_format(preset.apple_device_count, force_grouping=True),
                        "portal": number_format(preset.token_device_count, force_grouping=True),
                        "profiles": preset.profile_count,
                    }
                )
            return
        if not options["key"]:
            raise CommandError(_("Name a preset, or use --list."))
        if options["scale"] <= 0:
            raise CommandError(_("--scale must be positive."))
        trainer, tenant = trainer_get(options["username"])
        self.stdout.write(
            _("Loading %(preset)s as %(trainer)s…")
            % {"preset": options["key"], "trainer": trainer.get_username()}
        )
        try:
            with tenant_scope(tenant):
                outcome = scenario_reset(
                    actor=trainer,
                    preset_key=options["key"],
                    scale=options["scale"],
                    progress=lambda label: self.stdout.write(f"  {label}"),
                )
        except presets.PresetNotFound:
            known = ", ".join(preset.key for preset in presets.presets())
            raise CommandError(
                _("Unknown preset “%(key)s”. Presets: %(known)s") % {"key": options["key"], "known": known}
            ) from None
        except ResetFailed as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(outcome.message))
