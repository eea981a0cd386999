"""classroom_create NAME --trainees N --preset KEY [--language fr|en] [--as TRAINER] [--json]:
a class built in this process (no worker needed), for trainers who script their classes."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from asm_portal.refusals import Refusal
from asm_portal.tenancy import tenant_scope
from trainer.classroom import classroom_create, classroom_trainee_build, trainee_name
from trainer.management.trainers import trainer_get
from trainer.models import Trainee


class Command(BaseCommand):
    help = (
        "Create a class: per trainee, an Intune tenant with its administrator and an Apple School "
        "Manager organisation with its administrator, both on the preset. The mock Apple service "
        "must be running."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", help="The class's name.")
        parser.add_argument("--trainees", type=int, required=True, help="How many trainees (1 to 60).")
        parser.add_argument("--preset", required=True, help="The preset every trainee starts from.")
        parser.add_argument("--language", default=settings.LANGUAGE_CODE, help="fr or en.")
        parser.add_argument("--as", dest="username", default="", help="The trainer (default: the first).")
        parser.add_argument("--json", action="store_true", help="Print every trainee's accounts as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        trainer, tenant = trainer_get(options["username"])
        with tenant_scope(tenant):
            try:
                classroom = classroom_create(
                    actor=trainer,
                    name=options["name"],
                    trainees=options["trainees"],
                    preset_key=options["preset"],
                    language=options["language"],
                )
            except Refusal as refused:
                raise CommandError(str(refused)) from None
            trainees = []
            for trainee_id in Trainee.objects.filter(classroom=classroom).values_list("pk", flat=True):
                trainee = classroom_trainee_build(trainee_id=trainee_id)
                if not options["json"]:
                    self.stdout.write(
                        f"  {trainee_name(trainee.number)}: {trainee.get_state_display()} {trainee.error}"
                    )
                trainees.append(trainee)
        accounts = [
            {
                "number": trainee.number,
                "state": trainee.state,
                "error": trainee.error,
                "portal_url": f"{settings.PORTAL_BASE_URL}/",
                "intune_upn": trainee.intune_upn,
                "intune_password": trainee.intune_password,
                "asm_url": f"{settings.APPLE_PUBLIC_URL}/asm/",
                "asm_apple_id": trainee.asm_apple_id,
                "asm_password": trainee.asm_password,
            }
            for trainee in trainees
        ]
        if options["json"]:
            self.stdout.write(json.dumps({"class": classroom.name, "trainees": accounts}, indent=2))
        failed = [trainee for trainee in trainees if trainee.state != Trainee.State.READY]
        if failed:
            raise CommandError(f"{len(failed)} trainee(s) could not be created; see their errors above.")
        if not options["json"]:
            self.stdout.write(
                self.style.SUCCESS(f"Class {classroom.name!r} ready: {len(trainees)} trainees.")
            )
