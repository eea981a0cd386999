"""scripts/system-packages.sh, run with a PATH of stubs: chromium and msgfmt are missing, and
apt-get, sudo and id are fakes that record how they were called."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "system-packages.sh"
BASH = shutil.which("bash") or "/bin/bash"

# apt-get: records its environment's DEBIAN_FRONTEND and arguments; an install before any update
# fails (a fresh machine's empty package list), after one it "installs" chromium and msgfmt.
APT_GET = """#!{bash}
echo "DEBIAN_FRONTEND=$DEBIAN_FRONTEND apt-get $*" >> "{calls}"
case " $* " in
  *" update "*) : > "{stubs}/.updated" ;;
  *" install "*)
    [ -e "{stubs}/.updated" ] || {{ echo "E: Unable to locate package chromium" >&2; exit 100; }}
    for command in chromium msgfmt; do
      printf '#!{bash}\\n' > "{stubs}/$command"; {chmod} +x "{stubs}/$command"
    done ;;
esac
"""
SUDO_WITHOUT_PASSWORD = """#!{bash}
echo "sudo $*" >> "{calls}"
[ "$1" = -n ] && shift
exec "$@"
"""
SUDO_ASKING_FOR_A_PASSWORD = """#!{bash}
echo "sudo $*" >> "{calls}"
echo "sudo: a password is required" >&2
exit 1
"""


def make_stubs(tmp_path: Path, *, uid: int, sudo: str | None, apt_get: bool = True) -> Path:
    stubs = tmp_path / "bin"
    stubs.mkdir()
    calls = tmp_path / "calls.log"
    calls.touch()
    values = {"bash": BASH, "calls": calls, "stubs": stubs, "chmod": shutil.which("chmod")}
    scripts = {"id": f"#!{BASH}\necho {uid}\n"}
    if apt_get:
        scripts["apt-get"] = APT_GET.format(**values)
    if sudo is not None:
        scripts["sudo"] = sudo.format(**values)
    for name, text in scripts.items():
        (stubs / name).write_text(text)
        (stubs / name).chmod(0o755)
    for command in ("env", "true"):  # what sudo runs
        os.symlink(shutil.which(command) or f"/usr/bin/{command}", stubs / command)
    return stubs


def run(stubs: Path, *packages: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    result = subprocess.run(
        [BASH, str(SCRIPT), *packages],
        env={"PATH": str(stubs), "HOME": str(stubs.parent)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    return result, time.monotonic() - started


def calls(stubs: Path) -> list[str]:
    return (stubs.parent / "calls.log").read_text().splitlines()


def test_as_root_it_installs_the_missing_packages_refreshing_the_package_list_once(tmp_path):
    stubs = make_stubs(tmp_path, uid=0, sudo=None)

    result, _ = run(stubs, "chromium", "gettext")

    assert result.returncode == 0, result.stderr
    install = "DEBIAN_FRONTEND=noninteractive apt-get -q install -y chromium gettext"
    assert calls(stubs) == [install, "DEBIAN_FRONTEND=noninteractive apt-get -q update", install]
    assert "Unable to locate" not in result.stderr  # the first, expected failure stays quiet


def test_without_root_it_goes_through_passwordless_sudo(tmp_path):
    stubs = make_stubs(tmp_path, uid=1000, sudo=SUDO_WITHOUT_PASSWORD)
    (stubs / ".updated").touch()

    result, _ = run(stubs, "chromium", "gettext")

    assert result.returncode == 0, result.stderr
    assert calls(stubs) == [
        "sudo -n true",
        "sudo -n env DEBIAN_FRONTEND=noninteractive apt-get -q install -y chromium gettext",
        "DEBIAN_FRONTEND=noninteractive apt-get -q install -y chromium gettext",
    ]


def test_nothing_is_installed_when_the_commands_are_there(tmp_path):
    stubs = make_stubs(tmp_path, uid=1000, sudo=SUDO_ASKING_FOR_A_PASSWORD)
    (stubs / "msgfmt").write_text(f"#!{BASH}\n")
    (stubs / "msgfmt").chmod(0o755)

    result, _ = run(stubs, "gettext")

    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert calls(stubs) == []


@pytest.mark.parametrize(
    ("uid", "sudo", "apt_get", "command"),
    [
        (1000, SUDO_ASKING_FOR_A_PASSWORD, True, "sudo apt-get install -y chromium gettext"),
        (1000, None, True, "sudo apt-get install -y chromium gettext"),
        (0, None, False, "apt-get install -y chromium gettext"),
    ],
    ids=["sudo-asks-for-a-password", "no-sudo", "no-apt-get"],
)
def test_when_it_cannot_install_it_stops_at_once_with_the_command_to_run(
    tmp_path, uid, sudo, apt_get, command
):
    stubs = make_stubs(tmp_path, uid=uid, sudo=sudo, apt_get=apt_get)

    result, seconds = run(stubs, "chromium", "gettext")

    assert result.returncode == 1
    assert seconds < 5
    assert "Missing system packages: chromium gettext" in result.stderr
    assert f"    {command}\n" in result.stderr
    assert not any("apt-get" in call for call in calls(stubs))


def test_on_ubuntu_it_points_to_playwrights_chromium_within_seconds(tmp_path):
    # Ubuntu has no chromium deb: apt-get is never asked for it, the command to run is printed.
    stubs = make_stubs(tmp_path, uid=0, sudo=None)
    (stubs / "msgfmt").write_text(f"#!{BASH}\n")
    (stubs / "msgfmt").chmod(0o755)
    os_release = tmp_path / "os-release"
    os_release.write_text("NAME=Ubuntu\nID=ubuntu\nID_LIKE=debian\n")

    started = time.monotonic()
    result = subprocess.run(
        [BASH, str(SCRIPT), "gettext", "chromium"],
        env={"PATH": str(stubs), "HOME": str(tmp_path), "OS_RELEASE": str(os_release)},
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 1 and time.monotonic() - started < 5
    assert "playwright install --with-deps chromium" in result.stderr
    assert calls(stubs) == []


def test_on_ubuntu_playwrights_chromium_is_enough(tmp_path):
    stubs = make_stubs(tmp_path, uid=0, sudo=None)
    (stubs / "msgfmt").write_text(f"#!{BASH}\n")
    (stubs / "msgfmt").chmod(0o755)
    os_release = tmp_path / "os-release"
    os_release.write_text("ID=ubuntu\n")
    (tmp_path / ".cache" / "ms-playwright" / "chromium-1200").mkdir(parents=True)

    result = subprocess.run(
        [BASH, str(SCRIPT), "gettext", "chromium"],
        env={"PATH": str(stubs), "HOME": str(tmp_path), "OS_RELEASE": str(os_release)},
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert (result.returncode, result.stderr) == (0, "")
