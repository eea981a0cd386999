from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy, ngettext

from command_language import TranslatedCommand
from mock_apple.services import api_activities


class Command(TranslatedCommand):
    description = gettext_lazy(
        "Complete the School Manager API activities whose time has come (reading them, a DEP sync "
        "or the ASM portal's list do it too; see mock_apple.services.api_activities)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done = api_activities.activities_complete_due()
        self.stdout.write(
            ngettext("%(count)d activity completed.", "%(count)d activities completed.", done)
            % {"count": done}
        )
