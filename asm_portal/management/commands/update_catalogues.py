from __future__ import annotations

import re
import subprocess
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

# Each app keeps its own French catalogue, so that work on one app never touches the
# catalogue of another; the shell (asm_portal + templates/) uses the root locale/.
APPS_WITH_CATALOGUES = ("tokens", "profiles", "devices", "mdm", "sds", "trainer", "mock_apple")
IGNORED = (
    ".venv/*",
    "var/*",
    "tests/*",
    "staticfiles/*",
    "test-artifacts/*",
    "build/*",
)


def _po_files(catalogues: list[Path]) -> list[Path]:
    return [path for path in (c / "fr" / "LC_MESSAGES" / "django.po" for c in catalogues) if path.exists()]


def _translations(catalogues: list[Path]) -> dict[tuple[str | None, str, str], Any]:
    """Every translated entry of every catalogue, by (context, msgid, plural msgid)."""
    import polib  # a development tool, used by this command only

    known: dict[tuple[str | None, str, str], Any] = {}
    for path in _po_files(catalogues):
        for entry in polib.pofile(str(path)).translated_entries():
            known.setdefault((entry.msgctxt, entry.msgid, entry.msgid_plural), entry)
    return known


def _carry_over(catalogues: list[Path], known: dict[tuple[str | None, str, str], Any]) -> int:
    import polib  # a development tool, used by this command only

    carried = 0
    for path in _po_files(catalogues):
        catalogue = polib.pofile(str(path))
        changed = False
        for entry in catalogue.untranslated_entries():
            source = known.get((entry.msgctxt, entry.msgid, entry.msgid_plural))
            if source is None:
                continue
            entry.msgstr = source.msgstr
            entry.msgstr_plural = dict(source.msgstr_plural)
            changed = True
            carried += 1
        if changed:
            catalogue.save()
    return carried


_NO_BREAK = "\u00a0"
_NARROW_NO_BREAK = "\u202f"
# A French ; : ! ? that ends a word (see tests/test_i18n.py), with the space before it if any.
_PUNCTUATION = re.compile(r"([ \u00a0\u202f]?)([:;!?])(?=\s|$|[»\"”’)<.,!?])")


def _before_punctuation(match: re.Match[str]) -> str:
    space, mark = match.group(1), match.group(2)
    if match.start() == 0 and not space:
        return match.group(0)  # nothing before it to keep apart
    return (_NARROW_NO_BREAK if space == _NARROW_NO_BREAK else _NO_BREAK) + mark


def french_typography(text: str) -> str:
    """A no-break space before : ; ! ? and inside « » (a narrow one already there is kept)."""
    text = _PUNCTUATION.sub(_before_punctuation, text)
    text = re.sub(r"«[ \u00a0]?(?!\u202f)", "«" + _NO_BREAK, text)
    text = re.sub(r"(?<!\u202f)[ \u00a0]?»", _NO_BREAK + "»", text)
    # "?!" and "!?" stay together.
    return re.sub(r"([!?])[\u00a0\u202f]([!?])", r"\1\2", text)


def _fix_typography(catalogues: list[Path]) -> int:
    import polib  # a development tool, used by this command only

    fixed = 0
    for path in _po_files(catalogues):
        catalogue = polib.pofile(str(path))
        changed = False
        for entry in catalogue:
            if entry.obsolete:
                continue
            if entry.msgstr and french_typography(entry.msgstr) != entry.msgstr:
                entry.msgstr = french_typography(entry.msgstr)
                changed = True
                fixed += 1
            for index, text in list(entry.msgstr_plural.items()):
                if french_typography(text) != text:
                    entry.msgstr_plural[index] = french_typography(text)
                    changed = True
                    fixed += 1
        if changed:
            catalogue.save()
    return fixed


class Command(BaseCommand):
    help = "Extract translatable strings into every French catalogue (root and per app)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--root", default=str(settings.BASE_DIR), help="Repository root to work on.")
        parser.add_argument("--compile", action="store_true", help="Compile the .mo files afterwards.")
        parser.add_argument(
            "--fix-typography",
            action="store_true",
            help="Put the no-break spaces of French typography in every translation (before : ; ! ? "
            "and inside « »), as tests/test_i18n.py requires.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(options["root"])
        admin = [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "fr",
            "--no-obsolete",
            "--no-location",
        ]
        ignore_root = [
            f"--ignore={pattern}" for pattern in (*IGNORED, *(f"{app}/*" for app in APPS_WITH_CATALOGUES))
        ]
        catalogues = [root / "locale", *(root / app / "locale" for app in APPS_WITH_CATALOGUES)]
        if options["fix_typography"]:
            # Before the extraction, which wraps the catalogues' lines its own way again.
            fixed = _fix_typography(catalogues)
            self.stdout.write(f"{fixed} translation(s) given French typography.")
        known = _translations(catalogues)
        self._run([*admin, *ignore_root], root)
        for app in APPS_WITH_CATALOGUES:
            (root / app / "locale").mkdir(exist_ok=True)
            self._run(admin, root / app)
        # Code that moved from one app to another takes its translations along: a new entry of
        # one catalogue gets the translation the same text already had in any catalogue.
        carried = _carry_over(catalogues, known)
        if carried:
            self.stdout.write(f"{carried} translation(s) carried over from another catalogue.")
        if options["compile"]:
            for directory in (root, *(root / app for app in APPS_WITH_CATALOGUES)):
                self._run(
                    [sys.executable, "-m", "django", "compilemessages", "-v0"],
                    directory,
                )

    def _run(self, command: list[str], cwd: Path) -> None:
        subprocess.run(
            command,
            cwd=cwd,
            check=True,
            # PYTHONSAFEPATH: an app folder's selectors.py must not hide the standard library's.
            env={"DJANGO_SETTINGS_MODULE": "", "PATH": "/usr/bin:/bin", "PYTHONSAFEPATH": "1"},
        )
