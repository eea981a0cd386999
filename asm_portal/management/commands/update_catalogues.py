from __future__ import annotations

import subprocess
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

# Each app keeps its own French catalogue, so that work on one app never touches the
# catalogue of another; the shell (asm_portal + templates/) uses the root locale/.
APPS_WITH_CATALOGUES = ("tokens", "profiles", "devices", "sds", "mock_apple")
IGNORED = (
    ".venv/*",
    "var/*",
    "tests/*",
    "staticfiles/*",
    "test-artifacts/*",
    "build/*",
)


class Command(BaseCommand):
    help = "Extract translatable strings into every French catalogue (root and per app)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--root", default=str(settings.BASE_DIR), help="Repository root to work on.")
        parser.add_argument("--compile", action="store_true", help="Compile the .mo files afterwards.")

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
        self._run([*admin, *ignore_root], root)
        for app in APPS_WITH_CATALOGUES:
            (root / app / "locale").mkdir(exist_ok=True)
            self._run(admin, root / app)
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
            env={"DJANGO_SETTINGS_MODULE": "", "PATH": "/usr/bin:/bin"},
        )
