"""The mock Apple service's commands speak the administrator's language, as the portal's do
(asm_portal.commands, which this app may not import): the terminal's (LANGUAGE, LC_ALL,
LC_MESSAGES, LANG) from the command line, or `--language`."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _


def terminal_language() -> str:
    supported = {code for code, _name in settings.LANGUAGES}
    names = os.environ.get("LANGUAGE", "").split(":") + [
        os.environ.get(name, "") for name in ("LC_ALL", "LC_MESSAGES", "LANG")
    ]
    first = next((name for name in names if name), "")
    code = first.split(".")[0].split("_")[0].lower()
    return code if code in supported else settings.LANGUAGE_CODE


class AppleCommand(BaseCommand):
    description: str | Promise = ""

    def run_from_argv(self, argv: list[str]) -> None:
        translation.activate(terminal_language())
        super().run_from_argv(argv)

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        self.help = str(self.description or self.help)
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help=_("The output's language."),
        )
        return parser

    def execute(self, *args: Any, **options: Any) -> Any:
        with translation.override(options.get("language") or translation.get_language()):
            return super().execute(*args, **options)
