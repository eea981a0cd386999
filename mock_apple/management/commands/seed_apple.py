from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from mock_apple.services import organization as organization_services


class Command(BaseCommand):
    help = "Create the demo Apple School Manager organisation and its device inventory (idempotent)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--devices", type=int, default=500, help="Devices the organisation owns.")
        parser.add_argument("--password", required=True, help="Password of the ASM administrator.")
        parser.add_argument(
            "--seed",
            type=int,
            default=None,
            help="Random seed for a repeatable inventory.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organization, account = organization_services.organization_seed_demo(
            admin_password=options["password"]
        )
        added = organization_services.inventory_top_up(
            organization=organization, devices=options["devices"], seed=options["seed"]
        )
        total = organization.devices.count()
        self.stdout.write(f"Apple School Manager: {organization.name}, {total} devices ({added} new)")
        self.stdout.write(f"ASM administrator: {account.apple_id}")
