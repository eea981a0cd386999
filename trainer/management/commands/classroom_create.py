"""classroom_create NAME --trainees N --preset KEY [--language fr|en] [--as TRAINER] [--json]:
a class built in this process (no worker needed), for trainers who script their classes."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from asm_portal.refusals import Refusal
from asm_portal.tenancy import tenant_scope
from command_language import TranslatedCommand
from trainer.classroom import classroom_create, classroom_trainee_build, trainee_name
from trainer.management.trainers import trainer_get
from trainer.models import Trainee


class Command(TranslatedCommand):
    # Its --language is the class's: the output speaks it too.
    own_language_option = True
    description = gettext_lazy(
        "Create a class: per trainee, an Intune tenant with its administrator and an Apple School "
        "Manager organisation with its administrator, both on the preset. The mock Apple service "
        "must be running."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", help=_("The class's name."))
        parser.add_argument("--trainees", type=int, required=True, help=_("How many trainees (1 to 60)."))
        parser.add_argument("--preset", required=True, help=_("The preset every trainee starts from."))
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help=_(
                "The class's language, and the output's (default: the terminal's, from LANGUAGE or LANG)."
            ),
        )
        parser.add_argument("--as", dest="username", default="", help=_("The trainer (default: the first)."))
        parser.add_argument("--json", action="store_true", help=_("Print every trainee's accounts as JSON."))

    def handle(self, *args: Any, **options: Any) -> None:
        trainer, tenant = trainer_get(options["username"])
        with tenant_scope(tenant):
            try:
                classroom = classroom_create(
                    actor=trainer,
                    name=options["name"],
                    trainees=options["trainees"],
                    preset_key=options["preset"],
                    language=options["language"] or translation.get_language() or settings.LANGUAGE_CODE,
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
            raise CommandError(
                ngettext(
                    "%(count)d trainee could not be created; see the errors above.",
                    "%(count)d trainees could not be created; see the errors above.",
                    len(failed),
                )
                % {"count": len(failed)}
            )
        if not options["json"]:
            self.stdout.write(
                self.style.SUCCESS(
                    ngettext(
                        "Class “%(name)s” ready: %(count)d trainee.",
                        "Class “%(name)s” ready: %(count)d trainees.",
                        len(trainees),
                    )
                    % {"name": classroom.name, "count": len(trainees)}
                )
            )
