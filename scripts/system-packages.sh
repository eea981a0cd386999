#!/usr/bin/env bash
# Make sure the Debian packages the project needs are on this machine, before anything else:
#   chromium  the browser tests drive /usr/bin/chromium through Playwright (it downloads none)
#   gettext   msgfmt compiles the French catalogues
#   redis-server  the fault suite starts and kills Redis servers of its own
# Usage: scripts/system-packages.sh PACKAGE...   (the Makefile passes what each target needs)
#
# A missing package is installed with apt-get, as root or through passwordless sudo. Where that
# cannot be done, the script stops at once, prints the exact command to run and exits 1.
set -uo pipefail

# The command a package provides: how we tell that it is installed.
command_of() {
  case "$1" in
    gettext) echo msgfmt ;;
    *) echo "$1" ;;
  esac
}

# Ubuntu ships Chromium as a snap only (its "chromium-browser" deb is a shim): there the browser
# tests use the snap's chromium-browser, or Playwright's own build of Chromium.
os_release="${OS_RELEASE:-/etc/os-release}"
on_ubuntu=false
if [ -r "$os_release" ]; then
  while IFS= read -r line; do [ "$line" = "ID=ubuntu" ] && on_ubuntu=true; done < "$os_release"
fi
playwright_chromium() {
  compgen -G "${PLAYWRIGHT_BROWSERS_PATH:-$HOME/.cache/ms-playwright}/chromium-*" >/dev/null
}

missing=()
ubuntu_chromium=false
for package in "$@"; do
  command -v "$(command_of "$package")" >/dev/null 2>&1 && continue
  if [ "$package" = chromium ] && $on_ubuntu; then
    command -v chromium-browser >/dev/null 2>&1 || playwright_chromium || ubuntu_chromium=true
    continue
  fi
  missing+=("$package")
done
if $ubuntu_chromium && [ ${#missing[@]} -eq 0 ]; then
  echo "Ubuntu has no chromium package (only a snap). Install Playwright's Chromium, then run make again:" >&2
  echo "    make install && .venv/bin/python -m playwright install --with-deps chromium" >&2
  exit 1
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then as_root=(); else as_root=(sudo -n); fi
give_up() {
  echo "Missing system packages: ${missing[*]} ($1)." >&2
  echo "Install them, then run make again:" >&2
  echo "    ${as_root:+sudo }apt-get install -y ${missing[*]}" >&2
  exit 1
}

command -v apt-get >/dev/null 2>&1 || give_up "no apt-get here: use this system's package manager"
if [ ${#as_root[@]} -gt 0 ] && ! sudo -n true >/dev/null 2>&1; then
  give_up "installing them needs root, and there is no sudo without a password"
fi

apt_get() {
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q "$@" >/dev/null
}
echo "Installing the system packages ${missing[*]} with apt-get"
# An out-of-date (or empty) package list fails the first try quietly: refresh it, try again.
apt_get install -y "${missing[@]}" 2>/dev/null \
  || { apt_get update && apt_get install -y "${missing[@]}"; } \
  || give_up "apt-get install failed"

for package in "${missing[@]}"; do
  command -v "$(command_of "$package")" >/dev/null 2>&1 \
    || give_up "$(command_of "$package") is still not on PATH after the install"
done
if $ubuntu_chromium; then
  echo "Ubuntu has no chromium package (only a snap). Install Playwright's Chromium, then run make again:" >&2
  echo "    make install && .venv/bin/python -m playwright install --with-deps chromium" >&2
  exit 1
fi
