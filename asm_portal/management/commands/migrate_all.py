from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from command_language import TranslatedCommand


class Command(TranslatedCommand):
    description = gettext_lazy(
        "Migrate every database alias: the portal's (default) and the mock Apple one (apple)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for alias in settings.DATABASES:
            self.stdout.write(_("Migrating the database “%(alias)s”") % {"alias": alias})
            call_command(
                "migrate",
                database=alias,
                interactive=False,
                verbosity=options["verbosity"],
            )
