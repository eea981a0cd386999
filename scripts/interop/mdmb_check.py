"""Check the portal's MDM server with mdmb, an independent device simulator (issue 22).

mdmb (github.com/jessepeterson/mdmb) is not part of the project: build it yourself and name its
binary (docs/mdm-server.md, "Checked with mdmb"). Against a running portal and mock Apple
service whose tenant has an MDM push certificate and an enrollment program profile, the script:

1. signs in as an administrator and exports the enrollment profile once per device (*Export
   profile* › *Download profile*: one SCEP challenge per file), checks its CMS signature and
   hands mdmb the signed content (mdmb reads only unsigned profiles);
2. creates N mdmb devices and installs one profile on each: SCEP, Authenticate, TokenUpdate;
3. checks the portal's device list (the CSV export) shows each device, managed;
4. makes the devices connect (mdmb stands in for the APNs wake-up) and answer the queued
   commands;
5. asks Sync, Remote lock and Rename on each device, connects again, and checks that Monitor ›
   Device actions shows each action done when mdmb acknowledged all its commands, failed with
   mdmb's error (the ErrorChain's text) otherwise.

The portal must run with SCEP_LEGACY_CLIENTS=True: mdmb encrypts its SCEP request with single
DES and signs it with a key other than the CSR's (RFC 8894 asks for the CSR's key).

    MDMB=/path/to/mdmb .venv/bin/python scripts/interop/mdmb_check.py \\
        --portal http://127.0.0.1:8000 --username admin@contoso.onmicrosoft.com --password … --devices 3

Exit status 0 when every check passed, 1 otherwise; a summary is printed either way.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import io
import os
import plistlib
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

UUID = re.compile(r"\b[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\b")
# mdmb reports a failure through Go's log package: a date and time first, on stderr.
GO_LOG_LINE = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d ", re.MULTILINE)
UNHANDLED = re.compile(r"MDM command not handled: (\w+) UUID")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ACTION_ROW = re.compile(
    r'<tr data-action="(?P<kind>[\w-]+)" data-state="(?P<state>\w+)">\s*<td><a [^>]*href="/devices/'
    r'(?P<device>\d+)/"[^>]*>.*?</tr>',
    re.DOTALL,
)
CELL = re.compile(r"<td>(.*?)</td>", re.DOTALL)
# The MDM commands each remote action queues (mdm/device_actions.py, mdm/commands.py).
ACTION_COMMANDS = {
    "sync": ("DeviceInformation", "SecurityInfo", "ProfileList", "InstalledApplicationList"),
    "remote_lock": ("DeviceLock",),
    "rename": ("Settings",),
}
# The form of each action's dialog (Rename: Intune's rule, letters, digits and hyphens).
ACTION_FORMS = {"rename": {"device_name": "mdmb-renamed"}}
# The enrollment profile's PayloadIdentifier (mdm/enrollment_profile.py).
ENROLLMENT_PROFILE = "com.microsoft.intune.mdm.enrollment"
# What mdmb's devices say they are (mdmb devices-create's flags): an iPad.
DEVICE_FLAGS = ("-product-name", "iPad13,18", "-os-version", "17.5", "-build-version", "21F79")


@dataclass
class Report:
    checks: list[tuple[bool, str, str]] = field(default_factory=list)

    def check(self, ok: bool, what: str, detail: str = "") -> bool:
        self.checks.append((ok, what, detail))
        print(f"[{'PASS' if ok else 'FAIL'}] {what}" + (f" — {detail}" if detail else ""), flush=True)
        return ok

    def summary(self) -> int:
        failed = [c for c in self.checks if not c[0]]
        print()
        print(f"mdmb interop: {len(self.checks) - len(failed)} passed, {len(failed)} failed")
        for _ok, what, detail in failed:
            print(f"  FAIL {what}" + (f": {detail}" if detail else ""))
        print("RESULT: " + ("PASS" if not failed else "FAIL"))
        return 1 if failed else 0


class Mdmb:
    """The mdmb binary, with its own database file."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary = binary
        self.db = workdir / "mdmb.db"

    def run(self, *args: str, uuids: str = "") -> subprocess.CompletedProcess[str]:
        command = [self.binary, "-db", str(self.db)]
        if uuids:
            command += ["-uuids", uuids]
        return subprocess.run([*command, *args], capture_output=True, text=True, timeout=600, check=False)

    def connect(self) -> tuple[int, list[str], str]:
        """devices-connect for every device: (ServerURL errors, commands mdmb could not run, output)."""
        result = self.run("devices-connect", uuids="all")
        errors = re.search(r"^Errors\s+(\d+)", result.stdout, re.MULTILINE)
        count = int(errors.group(1)) if errors else -1
        return count, UNHANDLED.findall(result.stdout), result.stdout + result.stderr


class Portal:
    """The portal as an administrator sees it in a browser."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.http = requests.Session()

    def get(self, path: str, **params: str) -> requests.Response:
        return self.http.get(self.base + path, params=params, timeout=60)

    def post_form(self, path: str, data: dict[str, str]) -> requests.Response:
        """POST the form of the page at `path`, with its CSRF token."""
        page = self.get(path, **({"kind": data["kind"]} if "kind" in data else {}))
        token = CSRF.search(page.text)
        if token is None:
            raise RuntimeError(f"no form at {path} (HTTP {page.status_code})")
        return self.http.post(
            self.base + path,
            data={"csrfmiddlewaretoken": token.group(1), **data},
            headers={"Referer": self.base + path},
            timeout=120,
        )

    def sign_in(self, username: str, password: str) -> bool:
        response = self.post_form("/signin/", {"username": username, "password": password})
        return response.ok and "/signin/" not in response.url

    def first_profile(self) -> str:
        found = re.search(r"/enrollment/apple/profiles/(\d+)/", self.get("/enrollment/apple/profiles/").text)
        return found.group(1) if found else ""

    def device_rows(self) -> list[dict[str, str]]:
        """The device list as its CSV export (Intune's DevicesWithInventory), in English."""
        response = self.get("/devices/export/")
        response.raise_for_status()
        return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))

    def device_id(self, serial_number: str) -> str:
        found = re.search(r'href="/devices/(\d+)/"', self.get("/devices/", q=serial_number).text)
        return found.group(1) if found else ""

    def device_actions(self) -> list[dict[str, str]]:
        rows = []
        for match in ACTION_ROW.finditer(self.get("/devices/monitor/device-actions/").text):
            cells = CELL.findall(match.group(0))
            reason = html.unescape(re.sub(r"<[^>]+>", "", cells[-1])).strip() if cells else ""
            rows.append({**match.groupdict(), "reason": reason})
        return rows


def signed_content(der: bytes) -> tuple[bytes, str]:
    """The content of a CMS SignedData after checking its signature, as a device does, and the
    signer's subject."""
    signed = cms.ContentInfo.load(der)["content"]
    content = signed["encap_content_info"]["content"].native
    signer = signed["signer_infos"][0]
    certificates = [x509.load_der_x509_certificate(c.chosen.dump()) for c in signed["certificates"]]
    serial = signer["sid"].chosen["serial_number"].native
    certificate = next(c for c in certificates if c.serial_number == serial)
    digest = {"sha1": hashes.SHA1(), "sha256": hashes.SHA256()}[
        signer["digest_algorithm"]["algorithm"].native
    ]
    attributes = signer["signed_attrs"]
    message_digest = next(a["values"][0].native for a in attributes if a["type"].native == "message_digest")
    if message_digest != hashlib.new(digest.name, content).digest():
        raise ValueError("the message digest does not match the content")
    key = certificate.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(signer["signature"].native, b"\x31" + attributes.dump()[1:], padding.PKCS1v15(), digest)
    return content, certificate.subject.rfc4514_string()


def enroll(portal: Portal, mdmb: Mdmb, report: Report, profile: str, count: int, workdir: Path) -> list[str]:
    """Export, create and enroll `count` devices; their UDIDs."""
    created = mdmb.run("devices-create", "-n", str(count), *DEVICE_FLAGS)
    udids = UUID.findall(created.stdout)
    if not report.check(len(udids) == count, f"mdmb devices-create -n {count}", created.stderr.strip()):
        return []
    enrolled = []
    for number, udid in enumerate(udids, 1):
        exported = portal.post_form(f"/devices/enrollment-profiles/{profile}/export/", {})
        kind = exported.headers.get("Content-Type", "")
        if not report.check(
            exported.ok and kind == "application/x-apple-aspen-config",
            f"device {number}: Export profile › Download profile",
            f"HTTP {exported.status_code} {kind}",
        ):
            continue
        try:
            content, signer = signed_content(exported.content)
        except (ValueError, KeyError, StopIteration, AssertionError) as error:
            report.check(False, f"device {number}: profile's CMS signature", str(error))
            continue
        payloads = {p["PayloadType"]: p for p in plistlib.loads(content)["PayloadContent"]}
        report.check(
            {"com.apple.security.scep", "com.apple.mdm"} <= payloads.keys(),
            f"device {number}: profile signed by {signer}, with SCEP and MDM payloads",
        )
        path = workdir / f"enroll-{number}.mobileconfig"
        path.write_bytes(content)
        installed = mdmb.run("devices-profiles-install", "-f", str(path), uuids=udid)
        failures = [line for line in installed.stderr.splitlines() if GO_LOG_LINE.match(line)]
        if any("badAlg" in line for line in failures):
            failures.append("(mdmb encrypts with single DES: start the portal with SCEP_LEGACY_CLIENTS=True)")
        if report.check(
            installed.returncode == 0 and not failures,
            f"device {number} {udid}: SCEP identity, Authenticate, TokenUpdate",
            "; ".join(failures),
        ):
            enrolled.append(udid)
    return enrolled


def check(portal: Portal, mdmb: Mdmb, report: Report, args: argparse.Namespace, workdir: Path) -> None:
    if not report.check(portal.sign_in(args.username, args.password), f"sign in as {args.username}"):
        return
    profile = args.profile or portal.first_profile()
    if not report.check(bool(profile), f"enrollment profile {profile or '(none found)'}"):
        return
    udids = enroll(portal, mdmb, report, profile, args.devices, workdir)
    if not udids:
        return
    serials = dict(
        line.split("\t", 1)
        for line in mdmb.run("devices-list", "-show-serials").stdout.splitlines()
        if "\t" in line
    )

    rows = {row["UDID"]: row for row in portal.device_rows()}
    for udid in udids:
        row = rows.get(udid, {})
        report.check(
            row.get("Management state") == "Managed" and row.get("Serial number") == serials.get(udid),
            f"device list shows {udid}",
            f"serial {row.get('Serial number', '—')}, {row.get('Management state', 'absent')}",
        )

    errors, unhandled, output = mdmb.connect()
    report.check(
        errors == 0,
        "first connect: every ServerURL request answered 200",
        f"{errors} errors; mdmb could not run: {', '.join(sorted(set(unhandled))) or 'nothing'}",
    )
    rows = {row["UDID"]: row for row in portal.device_rows()}
    report.check(
        all(rows.get(udid, {}).get("Last check-in") for udid in udids), "each device has a last check-in"
    )

    device_ids = {udid: portal.device_id(serials.get(udid, "")) for udid in udids}
    asked: set[tuple[str, str]] = set()
    for udid, pk in device_ids.items():
        if not report.check(bool(pk), f"device {udid} found in Devices › All devices", f"id {pk}"):
            continue
        # mdmb acknowledges ProfileList: the device's Device configuration lists what it reported.
        configuration = portal.get(f"/devices/{pk}/configuration/").text
        report.check(
            ENROLLMENT_PROFILE in configuration,
            f"device {pk}: Device configuration lists {ENROLLMENT_PROFILE} (ProfileList acknowledged)",
        )
        for kind in ACTION_COMMANDS:
            response = portal.post_form(
                f"/devices/{pk}/action/", {"kind": kind, **ACTION_FORMS.get(kind, {})}
            )
            # Accepted, the dialog redirects to the device's Overview; refused, it shows again.
            accepted = response.ok and f"/devices/{pk}/action/" not in response.url
            if report.check(accepted, f"{kind} asked on device {pk}", f"HTTP {response.status_code}"):
                asked.add((pk, kind))

    errors, unhandled, output = mdmb.connect()
    report.check(errors == 0, "second connect: every ServerURL request answered 200", f"{errors} errors")
    refused_types = set(unhandled)
    actions = [a for a in portal.device_actions() if (a["device"], a["kind"]) in asked]
    for pk, kind in sorted(asked):
        found = [a for a in actions if a["device"] == pk and a["kind"] == kind]
        failed_commands = [c for c in ACTION_COMMANDS[kind] if c in refused_types]
        expected = "failed" if failed_commands else "done"
        state = found[0]["state"] if found else "absent"
        reason = found[0]["reason"] if found else ""
        ok = state == expected and (not failed_commands or f"Unknown command: {failed_commands[0]}" in reason)
        report.check(
            ok,
            f"device {pk} {kind}: {expected} as mdmb answered",
            f"portal: {state}" + (f" ({reason})" if reason else ""),
        )
    if args.verbose:
        print(output)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mdmb", nargs="?", default=os.environ.get("MDMB", ""), help="mdmb binary (or $MDMB)")
    parser.add_argument("--portal", default=os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--username", default=os.environ.get("ASM_ADMIN", "admin@contoso.onmicrosoft.com"))
    parser.add_argument("--password", default=os.environ.get("ASM_ADMIN_PASSWORD", ""))
    parser.add_argument("--profile", default="", help="enrollment profile id (default: the first listed)")
    parser.add_argument("--devices", type=int, default=3)
    parser.add_argument(
        "--workdir", default="", help="where mdmb keeps its database (default: a temporary folder)"
    )
    parser.add_argument("--verbose", action="store_true", help="print mdmb's output of the last connect")
    args = parser.parse_args(argv)
    if not args.mdmb or not Path(args.mdmb).is_file():
        parser.error("name the mdmb binary (argument or $MDMB)")
    if not args.password:
        parser.error("--password or $ASM_ADMIN_PASSWORD is required")
    report = Report()
    with tempfile.TemporaryDirectory(prefix="mdmb-") as scratch:
        workdir = Path(args.workdir or scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        mdmb = Mdmb(args.mdmb, workdir)  # its database in workdir, never in the current folder
        print(f"mdmb {mdmb.run('version').stdout.strip()} against {args.portal}, {args.devices} device(s)")
        try:
            check(Portal(args.portal), mdmb, report, args, workdir)
        except (requests.RequestException, RuntimeError, subprocess.SubprocessError) as error:
            report.check(False, "the check ran to its end", str(error))
    return report.summary()


if __name__ == "__main__":
    sys.exit(main())
