"""`make lint` keeps the dependency order: these tests break it on a copy of the code and check
that the linters refuse, so the contracts cannot silently stop checking anything."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

PORTAL_APPS = ("asm_portal", "tokens", "profiles", "devices", "mdm", "sds", "graph", "trainer")
PACKAGES = (*PORTAL_APPS, "encrypted_fields", "command_language", "mock_apple")
BIN = Path(sys.executable).parent


@pytest.fixture
def code_copy(tmp_path: Path) -> Path:
    """The packages' Python files and the linters' configuration, nothing else."""
    for package in PACKAGES:
        shutil.copytree(
            REPO / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "locale", "templates", "static", "*.json", "*.csv"),
        )
    for config in (".importlinter", "pyproject.toml"):
        shutil.copy(REPO / config, tmp_path / config)
    return tmp_path


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def add_import(root: Path, module: str, line: str) -> None:
    path = root / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


class DependencyOrderTests:
    def test_the_code_keeps_every_contract(self, code_copy: Path) -> None:
        result = lint_imports(code_copy)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "BROKEN" not in result.stdout

    def test_a_lower_app_importing_a_higher_one_fails(self, code_copy: Path) -> None:
        add_import(code_copy, "tokens.models", "import devices.models  # noqa")
        result = lint_imports(code_copy)
        assert result.returncode != 0
        assert "tokens is not allowed to import devices" in result.stdout

    def test_the_core_importing_an_app_fails(self, code_copy: Path) -> None:
        add_import(code_copy, "asm_portal.views", "import trainer.presets  # noqa")
        result = lint_imports(code_copy)
        assert result.returncode != 0
        assert "asm_portal is not allowed to import trainer" in result.stdout

    @pytest.mark.parametrize("app", PORTAL_APPS)
    def test_a_portal_app_importing_mock_apple_fails(self, code_copy: Path, app: str) -> None:
        add_import(code_copy, f"{app}.__init__", "import mock_apple.models  # noqa")
        result = lint_imports(code_copy)
        assert result.returncode != 0
        assert f"{app} is not allowed to import mock_apple" in result.stdout

    def test_mock_apple_importing_the_portal_fails(self, code_copy: Path) -> None:
        add_import(code_copy, "mock_apple.apps", "import asm_portal.clock  # noqa")
        result = lint_imports(code_copy)
        assert result.returncode != 0
        assert "mock_apple is not allowed to import asm_portal" in result.stdout

    def test_ruff_bans_mock_apple_in_the_portal(self, code_copy: Path) -> None:
        probe = code_copy / "tokens" / "probe.py"
        probe.write_text("from __future__ import annotations\n\nimport mock_apple\n", encoding="utf-8")
        result = subprocess.run(
            [str(BIN / "ruff"), "check", "--no-cache", "--select", "TID251", str(probe)],
            cwd=code_copy,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode != 0
        assert "TID251" in result.stdout and "mock_apple" in result.stdout
