"""classroom_end NAME [--as TRAINER]: delete every row of the class's tenants, on both sides."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from asm_portal.refusals import Refusal
from asm_portal.tenancy import tenant_scope
from command_language import TranslatedCommand
from trainer.classroom import classroom_end
from trainer.management.trainers import trainer_get
from trainer.models import Classroom


class Command(TranslatedCommand):
    description = gettext_lazy(
        "End a class: its trainees' tenants and Apple School Manager organisations are deleted."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", help=_("The class's name."))
        parser.add_argument("--as", dest="username", default="", help=_("The trainer (default: the first)."))

    def handle(self, *args: Any, **options: Any) -> None:
        trainer, tenant = trainer_get(options["username"])
        with tenant_scope(tenant):
            classroom = Classroom.objects.filter(name__iexact=options["name"].strip()).first()
            if classroom is None:
                raise CommandError(
                    _("No class named “%(name)s” in %(tenant)s.")
                    % {"name": options["name"], "tenant": tenant}
                )
            try:
                ended = classroom_end(actor=trainer, classroom=classroom)
            except Refusal as refused:
                raise CommandError(str(refused)) from None
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Class ended: %(trainees)d trainees, %(portal)d portal rows and %(apple)d Apple rows deleted."
                )
                % {"trainees": ended.trainees, "portal": ended.portal_rows, "apple": ended.apple_rows}
            )
        )
