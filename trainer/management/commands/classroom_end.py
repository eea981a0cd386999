"""classroom_end NAME [--as TRAINER]: delete every row of the class's tenants, on both sides."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from asm_portal.refusals import Refusal
from asm_portal.tenancy import tenant_scope
from trainer.classroom import classroom_end
from trainer.management.trainers import trainer_get
from trainer.models import Classroom


class Command(BaseCommand):
    help = "End a class: its trainees' tenants and Apple School Manager organisations are deleted."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", help="The class's name.")
        parser.add_argument("--as", dest="username", default="", help="The trainer (default: the first).")

    def handle(self, *args: Any, **options: Any) -> None:
        trainer, tenant = trainer_get(options["username"])
        with tenant_scope(tenant):
            classroom = Classroom.objects.filter(name__iexact=options["name"].strip()).first()
            if classroom is None:
                raise CommandError(f"No class named {options['name']!r} in {tenant}.")
            try:
                ended = classroom_end(actor=trainer, classroom=classroom)
            except Refusal as refused:
                raise CommandError(str(refused)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Class ended: {ended.trainees} trainees, {ended.portal_rows} portal rows and "
                f"{ended.apple_rows} Apple rows deleted."
            )
        )
