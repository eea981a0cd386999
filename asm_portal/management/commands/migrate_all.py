from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate every database alias: the portal's (default) and the mock Apple one (apple)."

    def handle(self, *args: Any, **options: Any) -> None:
        for alias in settings.DATABASES:
            self.stdout.write(f"Migrating database '{alias}'")
            call_command(
                "migrate",
                database=alias,
                interactive=False,
                verbosity=options["verbosity"],
            )
