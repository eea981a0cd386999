"""Management commands speak the administrator's language (issue 17), the portal's and the mock
Apple service's alike: a package below both (the mock may import nothing of the portal).

A French administrator on a server set up in French (`LANG=fr_FR.UTF-8`) reads French, as the
system's own tools answer them; `--language fr|en` chooses for one run. From the command line
the language is that of the environment (gettext's order: LANGUAGE, LC_ALL, LC_MESSAGES, LANG),
English when it is not one of the portal's; a command called from code (`call_command`) keeps the
caller's language unless it is given `language=`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _


def environment_language(environ: Mapping[str, str] = os.environ) -> str:
    """The portal's language that the terminal's locale names, else the portal's default."""
    supported = {code for code, _name in settings.LANGUAGES}
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for locale in filter(None, environ.get(variable, "").split(":")):
            code = locale.split(".")[0].split("@")[0].replace("_", "-").lower().split("-")[0]
            if code in supported:
                return code
            if variable != "LANGUAGE":
                return settings.LANGUAGE_CODE  # a locale set, not one of ours (C, de_DE…)
    return settings.LANGUAGE_CODE


class TranslatedCommand(BaseCommand):
    """A command whose help and output are in the administrator's language."""

    # A command with its own --language (a class's language) says so: it chooses the output's too.
    own_language_option = False
    # What the command does, a lazy text: rendered as `help` in the language active when the
    # parser is made.
    description: str | Promise = ""

    def run_from_argv(self, argv: list[str]) -> None:
        translation.activate(environment_language())
        super().run_from_argv(argv)

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        self.help = str(self.description or self.help)
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        if not self.own_language_option:
            parser.add_argument(
                "--language",
                choices=[code for code, _name in settings.LANGUAGES],
                help=_("The language of the output (default: the terminal's, from LANGUAGE or LANG)."),
            )
        return parser

    def execute(self, *args: Any, **options: Any) -> Any:
        language = options.get("language")
        if not language:
            return super().execute(*args, **options)
        with translation.override(language):
            return super().execute(*args, **options)
