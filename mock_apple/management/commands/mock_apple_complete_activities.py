from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from mock_apple.services import api_activities


class Command(BaseCommand):
    help = (
        "Complete the School Manager API activities whose time has come (reading them, a DEP sync "
        "or the ASM portal's list do it too; see mock_apple.services.api_activities)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done = api_activities.activities_complete_due()
        self.stdout.write(f"{done} activities completed.")
