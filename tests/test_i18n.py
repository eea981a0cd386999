"""The French catalogues are complete: nothing untranslated, nothing fuzzy, nothing stale."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from asm_portal.management.commands.update_catalogues import french_typography
from tests.conftest import REPO

SOURCES = (
    "asm_portal",
    "tokens",
    "profiles",
    "devices",
    "mdm",
    "sds",
    "trainer",
    "mock_apple",
    "encrypted_fields",
    "templates",
    "locale",
    "manage.py",
)


NO_BREAK_SPACES = "\u00a0\u202f"
# A French ; : ! ? that ends a word (followed by a space, the end, a closing mark or a tag), not
# the colon of a URL or of a time ("https://", "10:30").
_FRENCH_PUNCTUATION = re.compile(r"(?<=.)([:;!?])(?=\s|$|[»\"”’)<.,!?])")


def typography_problems(text: str) -> list[str]:
    """French typography: a no-break space before : ; ! ? and inside « »."""
    found = []
    for match in _FRENCH_PUNCTUATION.finditer(text):
        before = text[match.start() - 1]
        if before not in NO_BREAK_SPACES and before not in "!?":
            found.append(f"no no-break space before {match.group(1)!r}: {text!r}")
    for match in re.finditer("«", text):
        if text[match.end() : match.end() + 1] not in NO_BREAK_SPACES or match.end() == len(text):
            found.append(f"no no-break space after «: {text!r}")
    for match in re.finditer("»", text):
        if match.start() == 0 or text[match.start() - 1] not in NO_BREAK_SPACES:
            found.append(f"no no-break space before »: {text!r}")
    return found


def catalogues(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("**/locale/fr/LC_MESSAGES/django.po") if ".venv" not in p.parts)


def problems(path: Path) -> list[str]:
    found = []
    for entry in polib.pofile(str(path)):
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            found.append(f"fuzzy: {entry.msgid!r}")
        elif entry.msgid_plural:
            if not all(entry.msgstr_plural.get(i) for i in (0, 1)):
                found.append(f"untranslated plural: {entry.msgid!r}")
        elif not entry.msgstr:
            found.append(f"untranslated: {entry.msgid!r}")
        for text in (entry.msgstr, *entry.msgstr_plural.values()):
            found.extend(typography_problems(text))
    return found


class TypographyTests:
    @pytest.mark.parametrize(
        "text",
        [
            "Gravité : élevée",
            "« iPad »",
            "Prêt ?",
            "Attention ! Non ; oui",
            "https://x.fr/a?b=1",
            "10:30",
            "Lu ?!",
        ],
    )
    def test_french_typography_passes(self, text: str) -> None:
        text = text.replace(" :", "\u00a0:").replace(" ?", "\u00a0?").replace(" !", "\u00a0!")
        text = text.replace(" ;", "\u202f;").replace("« ", "«\u00a0").replace(" »", "\u00a0»")
        assert typography_problems(text) == []

    @pytest.mark.parametrize(
        "text",
        ["Gravité : élevée", "Gravité: élevée", "« iPad»", "«iPad »", "Prêt ?", "Non ; oui", "Stop!", "Lu?!"],
    )
    def test_french_typography_fails(self, text: str) -> None:
        assert typography_problems(text) != []


class TypographyFixTests:
    """`update_catalogues --fix-typography` gives every translation what the check asks for."""

    @pytest.mark.parametrize(
        "text",
        [
            "Gravité : élevée",
            "Gravité: élevée",
            "« iPad»",
            "«iPad »",
            "Prêt ?",
            "Non ; oui",
            "Stop!",
            "Quoi ?!",
            "https://x.fr/a?b=1 à 10:30",
            "déjà\u202f: fin",
        ],
    )
    def test_the_fix_satisfies_the_check_and_is_stable(self, text: str) -> None:
        fixed = french_typography(text)
        assert typography_problems(fixed) == []
        assert french_typography(fixed) == fixed

    def test_urls_and_times_are_left_alone(self) -> None:
        assert french_typography("https://x.fr/a?b=1 à 10:30") == "https://x.fr/a?b=1 à 10:30"
        assert french_typography("Quoi ?!") == "Quoi\u00a0?!"
        assert french_typography("\u00a0:") == "\u00a0:"  # the colon alone, after a label


class CatalogueTests:
    def test_every_app_has_a_french_catalogue(self) -> None:
        found = {p.relative_to(REPO).parts[0] for p in catalogues(REPO)}
        assert found >= {"locale", "tokens", "profiles", "devices", "sds", "trainer", "mock_apple"}

    @pytest.mark.parametrize("path", catalogues(REPO), ids=lambda p: str(p.relative_to(REPO)))
    def test_committed_catalogue_is_complete(self, path: Path) -> None:
        assert problems(path) == []

    @pytest.mark.parametrize("path", catalogues(REPO), ids=lambda p: str(p.relative_to(REPO)))
    def test_compiled_catalogue_matches(self, path: Path) -> None:
        mo = {
            (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural
            for e in polib.mofile(str(path.with_suffix(".mo")))
        }
        for entry in polib.pofile(str(path)):
            if entry.obsolete or not entry.msgid:
                continue
            expected = entry.msgstr_plural if entry.msgid_plural else entry.msgstr
            assert mo.get((entry.msgctxt, entry.msgid)) == expected, f"{entry.msgid!r}: run `make messages`"

    def test_every_string_in_the_code_is_in_a_catalogue(self, tmp_path: Path) -> None:
        """Extract the strings again from a copy of the sources; none may come out untranslated."""
        if shutil.which("xgettext") is None:
            pytest.fail("GNU gettext (xgettext) is needed to check the catalogues: apt install gettext")
        for name in SOURCES:
            source = REPO / name
            if source.is_dir():
                shutil.copytree(
                    source,
                    tmp_path / name,
                    ignore=shutil.ignore_patterns("__pycache__"),
                )
            else:
                shutil.copy(source, tmp_path / name)
        subprocess.run(
            [sys.executable, "manage.py", "update_catalogues", "--root", str(tmp_path)],
            cwd=REPO,
            check=True,
            capture_output=True,
        )
        report = {str(p.relative_to(tmp_path)): problems(p) for p in catalogues(tmp_path)}
        assert {path: found for path, found in report.items() if found} == {}
