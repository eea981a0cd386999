"""The French catalogues are complete: nothing untranslated, nothing fuzzy, nothing stale."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

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
    return found


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
