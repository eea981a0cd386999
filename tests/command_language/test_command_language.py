"""Management commands speak the administrator's language (issue 17): the terminal's from the
command line, or --language."""

from __future__ import annotations

import pytest

from asm_portal.management.commands.reencrypt_secrets import Command as ReencryptSecrets
from command_language import environment_language
from mock_apple.management.commands.mock_apple_token import Command as MockAppleToken


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({"LANG": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "fr_CA.UTF-8"}, "fr"),
        ({"LANGUAGE": "de:fr", "LANG": "de_DE.UTF-8"}, "fr"),  # gettext's list of preferences
        ({"LC_ALL": "fr_FR.UTF-8", "LANG": "en_US.UTF-8"}, "fr"),  # LC_ALL before LANG
        ({"LC_ALL": "en_GB.UTF-8", "LANG": "fr_FR.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_the_terminal_s_locale_chooses_the_language(environ: dict[str, str], language: str) -> None:
    assert environment_language(environ) == language


def test_the_command_line_help_is_in_the_terminal_s_language(monkeypatch, capsys) -> None:
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    with pytest.raises(SystemExit):
        ReencryptSecrets().run_from_argv(["manage.py", "reencrypt_secrets", "--help"])
    out = capsys.readouterr().out
    assert "Chiffrer de nouveau chaque secret" in out
    assert "La langue de la sortie" in out


def test_the_mock_apple_commands_choose_their_language_the_same_way(monkeypatch, capsys) -> None:
    # gettext's LANGUAGE list goes past a language neither process speaks (the mock once took
    # only its first entry, and answered German terminals in English here but French there).
    for variable in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANGUAGE", "de:fr")
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    with pytest.raises(SystemExit):
        MockAppleToken().run_from_argv(["manage.py", "mock_apple_token", "--help"])
    assert "La langue de la sortie" in capsys.readouterr().out
