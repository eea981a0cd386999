from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from asm_portal.tenancy import tenant_scope
from trainer import presets
from trainer.management.trainers import trainer_get
from trainer.scenario_reset import ResetFailed, scenario_reset


class Command(BaseCommand):
    help = (
        "Reset the trainer's tenant (portal and mock Apple School Manager) to a trainer preset. User "
        "accounts, roles and the audit log stay. The mock Apple service must be running."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("key", nargs="?", help="The preset to load (see --list).")
        parser.add_argument("--list", action="store_true", help="List the presets and what they hold.")
        parser.add_argument(
            "--as",
            dest="username",
            default="",
            help="The trainer the reset is recorded for (default: the first active trainer).",
        )
        parser.add_argument(
            "--scale", type=float, default=1.0, help="Multiply the preset's device counts (e.g. 0.01)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for preset in presets.presets():
                self.stdout.write(
                    f"{preset.key:<18} {preset.name:<30} {preset.apple_device_count:>7,} devices at Apple, "
                    f"{preset.token_device_count:>7,} in the portal, {preset.profile_count} profiles"
                )
            return
        if not options["key"]:
            raise CommandError("Name a preset, or use --list.")
        if options["scale"] <= 0:
            raise CommandError("--scale must be positive.")
        trainer, tenant = trainer_get(options["username"])
        self.stdout.write(f"Loading {options['key']} as {trainer.get_username()}…")
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
            raise CommandError(f"Unknown preset {options['key']!r}. Presets: {known}") from None
        except ResetFailed as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(outcome.message))
