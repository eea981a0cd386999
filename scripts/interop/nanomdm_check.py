"""Enroll a virtual iPad of the mock Apple side into NanoMDM through ADE and check its answers.

An interoperability check (issue 23): NanoMDM (github.com/micromdm/nanomdm) and micromdm's
scepserver are independent implementations of Apple's MDM protocol, so a device that enrolls
into them and answers their commands speaks the protocol, not just the portal's reading of it.

Nothing of theirs is in this repository: give the binaries (built from
their sources, see docs/mdm-developers.md) and a running mock Apple service:

    NANOMDM_BIN=… SCEPSERVER_BIN=… MOCK_URL=http://127.0.0.1:8001 MOCK_CONTROL_TOKEN=… \\
    SERIAL=<a device serial of the mock organisation> python3 scripts/interop/nanomdm_check.py

It runs scepserver (a fresh CA, a challenge) and nanomdm (filekv storage, an API key, the SCEP
CA as the identity trust anchor, a webhook to this script) on loopback ports, uploads a push
certificate made here (self-signed; its subject UID is the topic, as in Apple's), serves the
enrollment profile at an URL that answers the device's MachineInfo POST, points an MDM server
of the mock organisation at that URL (control API), and drives the device: Setup Assistant
through ADE into nanomdm, then commands enqueued through nanomdm's API. NanoMDM cannot push
(its APNs host is Apple's), so each command is fetched by the control API's *Check in now*.
What nanomdm received comes back through its webhook (mdm.Authenticate, mdm.TokenUpdate,
mdm.Connect with each command result), so every check reads both sides. Prints PASS / FAIL
per check; the exit status is 0 only when every check passed. Standard library + openssl.
"""

from __future__ import annotations

import base64
import json
import os
import plistlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
CHALLENGE = "interop-scep-challenge"
API_KEY = "interop-api-key"
WAIT_SECONDS = float(os.getenv("CHECK_WAIT_SECONDS", "60"))


@dataclass
class Settings:
    nanomdm_bin: str
    scepserver_bin: str
    mock_url: str
    control_token: str
    organization: str
    serial: str
    nanomdm_port: int
    scep_port: int
    hook_port: int
    keep: bool

    @classmethod
    def from_env(cls) -> Settings:
        missing = [name for name in ("NANOMDM_BIN", "SCEPSERVER_BIN", "SERIAL") if not os.getenv(name)]
        token = os.getenv("MOCK_CONTROL_TOKEN") or _read(Path("var/mock_control_token"))
        if not token:
            missing.append("MOCK_CONTROL_TOKEN")
        if missing:
            sys.exit(f"set {', '.join(missing)} (see the docstring)")
        return cls(
            nanomdm_bin=os.environ["NANOMDM_BIN"],
            scepserver_bin=os.environ["SCEPSERVER_BIN"],
            mock_url=os.getenv("MOCK_URL", "http://127.0.0.1:8001").rstrip("/"),
            control_token=token,
            organization=os.getenv("MOCK_ORGANIZATION", ""),
            serial=os.environ["SERIAL"].upper(),
            nanomdm_port=int(os.getenv("NANOMDM_PORT", "9400")),
            scep_port=int(os.getenv("SCEP_PORT", "9401")),
            hook_port=int(os.getenv("HOOK_PORT", "9402")),
            keep=os.getenv("KEEP_WORKDIR", "") == "1",
        )


def _read(path: Path) -> str:
    return path.read_text().strip() if path.exists() else ""


# --- HTTP ---------------------------------------------------------------------------------------


def http(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Mock:
    """The mock Apple service's control API."""

    def __init__(self, settings: Settings) -> None:
        self.base = settings.mock_url
        self.headers = {"X-Mock-Control-Token": settings.control_token, "Content-Type": "application/json"}
        if settings.organization:
            self.headers["X-Mock-Organization"] = settings.organization

    def call(self, method: str, path: str, data: dict[str, Any] | None = None) -> tuple[int, Any]:
        body = json.dumps(data).encode() if data is not None else None
        status, answer = http(method, f"{self.base}{path}", body, self.headers)
        try:
            return status, json.loads(answer or b"null")
        except ValueError:
            return status, answer.decode(errors="replace")


class NanoMDM:
    """nanomdm's API: push certificate upload and raw command enqueueing."""

    def __init__(self, port: int) -> None:
        self.base = f"http://{HOST}:{port}"
        auth = base64.b64encode(f"nanomdm:{API_KEY}".encode()).decode()
        self.headers = {"Authorization": f"Basic {auth}"}

    def push_certificate(self, pem: bytes) -> tuple[int, bytes]:
        return http("PUT", f"{self.base}/v1/pushcert", pem, self.headers)

    def enqueue(self, udid: str, request_type: str, **keys: Any) -> str:
        """Enqueue a raw command plist without a push (nanomdm's pushes go to Apple's host)."""
        command_uuid = str(uuid.uuid4()).upper()
        plist = plistlib.dumps(
            {"CommandUUID": command_uuid, "Command": {"RequestType": request_type, **keys}}
        )
        status, answer = http("PUT", f"{self.base}/v1/enqueue/{udid}?nopush=1", plist, self.headers)
        if status != 200:
            raise RuntimeError(f"enqueue {request_type}: HTTP {status} {answer[:300]!r}")
        return command_uuid


# --- What nanomdm tells us: its webhook -------------------------------------------------------


@dataclass
class Hook:
    """Events nanomdm posted, and the enrollment profile served to the device's MachineInfo POST."""

    profile: bytes = b""
    events: list[dict[str, Any]] = field(default_factory=list)
    machine_info_posts: list[str] = field(default_factory=list)  # their Content-Type
    on_event: Callable[[dict[str, Any]], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def checkins(self, message_type: str) -> list[dict[str, Any]]:
        with self.lock:
            return [
                plistlib.loads(base64.b64decode(event["checkin_event"]["raw_payload"]))
                for event in self.events
                if event.get("topic") == f"mdm.{message_type}" and event.get("checkin_event")
            ]

    def result(self, command_uuid: str) -> dict[str, Any] | None:
        with self.lock:
            for event in self.events:
                ack = event.get("acknowledge_event") or {}
                if ack.get("command_uuid") == command_uuid and ack.get("raw_payload"):
                    value: dict[str, Any] = plistlib.loads(base64.b64decode(ack["raw_payload"]))
                    return value
        return None


def hook_server(hook: Hook, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.startswith("/enroll"):
                # The device's MachineInfo (CMS-signed plist): answer the enrollment profile.
                hook.machine_info_posts.append(self.headers.get("Content-Type", ""))
                self._answer(200, hook.profile, "application/x-apple-aspen-config")
            elif self.path.startswith("/webhook"):
                event = json.loads(body)
                with hook.lock:
                    hook.events.append(event)
                if hook.on_event:
                    hook.on_event(event)
                self._answer(200, b"", "text/plain")
            else:
                self._answer(404, b"", "text/plain")

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
            pass

    server = ThreadingHTTPServer((HOST, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# --- Their servers ----------------------------------------------------------------------------


def run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True)


def wait_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{process.args!r} exited: {log.read_text()[-2000:]}")
        try:
            http("GET", f"http://{HOST}:{port}/")
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"nothing listens on {port}: {log.read_text()[-2000:]}")


@contextmanager
def servers(settings: Settings, work: Path) -> Iterator[Path]:
    """scepserver and nanomdm, stopped (by their own pids) on the way out. Yields the SCEP CA."""
    depot = work / "depot"
    run(settings.scepserver_bin, "ca", "-init", "-depot", str(depot), "-keySize", "2048")
    scep_log, nano_log = (work / "scepserver.log").open("wb"), (work / "nanomdm.log").open("wb")
    processes = [
        subprocess.Popen(
            [settings.scepserver_bin, "-depot", str(depot), "-http-addr", f"{HOST}:{settings.scep_port}"]
            + ["-challenge", CHALLENGE, "-allowrenew", "0", "-debug"],
            stdout=scep_log,
            stderr=subprocess.STDOUT,
        )
    ]
    try:
        wait_port(settings.scep_port, processes[0], work / "scepserver.log")
        processes.append(
            subprocess.Popen(
                [settings.nanomdm_bin, "-ca", str(depot / "ca.pem"), "-api", API_KEY]
                + ["-storage", "filekv", "-storage-dsn", str(work / "db")]
                + ["-listen", f"{HOST}:{settings.nanomdm_port}", "-checkin", "-debug"]
                + ["-webhook-url", f"http://{HOST}:{settings.hook_port}/webhook"],
                stdout=nano_log,
                stderr=subprocess.STDOUT,
            )
        )
        wait_port(settings.nanomdm_port, processes[1], work / "nanomdm.log")
        yield depot / "ca.pem"
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
        scep_log.close()
        nano_log.close()


def push_certificate(work: Path, topic: str) -> bytes:
    """A push certificate for `topic` (its subject UID, as Apple's portal issues them), with its
    key: what nanomdm's /v1/pushcert takes. Self-signed: nothing verifies it, no push leaves."""
    key, cert = work / "push.key", work / "push.pem"
    run(
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
        "-keyout", str(key), "-out", str(cert),
        "-subj", f"/UID={topic}/CN=APSP:{topic.rsplit('.', 1)[-1]}",
    )  # fmt: skip
    return cert.read_bytes() + key.read_bytes()


# --- The profiles -------------------------------------------------------------------------------


def enrollment_profile(settings: Settings, topic: str) -> bytes:
    nano = f"http://{HOST}:{settings.nanomdm_port}"
    scep_uuid = str(uuid.uuid4()).upper()
    payloads = [
        {
            "PayloadType": "com.apple.security.scep",
            "PayloadVersion": 1,
            "PayloadIdentifier": "test.interop.nanomdm.scep",
            "PayloadUUID": scep_uuid,
            "PayloadDisplayName": "Device identity",
            "PayloadContent": {
                "URL": f"http://{HOST}:{settings.scep_port}/scep",
                "Challenge": CHALLENGE,
                "Keysize": 2048,
                "Key Type": "RSA",
                "Key Usage": 5,
                "Subject": [[["CN", "nanomdm interop"]], [["O", "ASM Portal interop"]]],
            },
        },
        {
            "PayloadType": "com.apple.mdm",
            "PayloadVersion": 1,
            "PayloadIdentifier": "test.interop.nanomdm.mdm",
            "PayloadUUID": str(uuid.uuid4()).upper(),
            "PayloadDisplayName": "NanoMDM",
            "ServerURL": f"{nano}/mdm",
            "CheckInURL": f"{nano}/checkin",
            "Topic": topic,
            "IdentityCertificateUUID": scep_uuid,
            "SignMessage": True,  # no mTLS here: nanomdm reads the identity from Mdm-Signature
            "AccessRights": 8191,
            "CheckOutWhenRemoved": True,
            "ServerCapabilities": ["com.apple.mdm.per-user-connections"],
        },
    ]
    return plistlib.dumps(configuration("test.interop.nanomdm", "NanoMDM enrollment", payloads))


def wifi_profile() -> bytes:
    payload = {
        "PayloadType": "com.apple.wifi.managed",
        "PayloadVersion": 1,
        "PayloadIdentifier": "test.interop.nanomdm.wifi",
        "PayloadUUID": str(uuid.uuid4()).upper(),
        "SSID_STR": "Interop Wi-Fi",
        "EncryptionType": "None",
        "AutoJoin": True,
    }
    return plistlib.dumps(configuration("test.interop.nanomdm.wifi-profile", "Interop Wi-Fi", [payload]))


def configuration(identifier: str, name: str, payloads: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "PayloadType": "Configuration",
        "PayloadVersion": 1,
        "PayloadIdentifier": identifier,
        "PayloadUUID": str(uuid.uuid4()).upper(),
        "PayloadDisplayName": name,
        "PayloadOrganization": "ASM Portal interop",
        "PayloadContent": payloads,
    }


# --- The check ----------------------------------------------------------------------------------


class Report:
    def __init__(self) -> None:
        self.failures = 0

    def check(self, name: str, ok: bool, detail: Any = "") -> bool:
        print(
            f"{'PASS' if ok else 'FAIL'}  {name}" + ("" if ok or detail == "" else f": {detail}"), flush=True
        )
        self.failures += not ok
        return ok


def wait_for(predicate: Callable[[], Any], seconds: float = WAIT_SECONDS) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    return predicate()


def main() -> int:
    settings = Settings.from_env()
    work = Path(tempfile.mkdtemp(prefix="nanomdm-check-"))
    report = Report()
    mock, nano = Mock(settings), NanoMDM(settings.nanomdm_port)
    topic = f"com.apple.mgmt.External.{uuid.uuid4()}"
    hook = Hook(profile=enrollment_profile(settings, topic))
    udid = ""

    def on_event(event: dict[str, Any]) -> None:
        # As an MDM server does: DeviceConfigured once a device awaiting configuration sends its
        # TokenUpdate (the device checks in for it while it waits on the Remote Management pane).
        if event.get("topic") == "mdm.TokenUpdate":
            message = plistlib.loads(base64.b64decode(event["checkin_event"]["raw_payload"]))
            if message.get("AwaitingConfiguration"):
                threading.Thread(target=nano.enqueue, args=(message["UDID"], "DeviceConfigured")).start()

    hook.on_event = on_event
    server = hook_server(hook, settings.hook_port)
    try:
        with servers(settings, work):
            status, answer = nano.push_certificate(push_certificate(work, topic))
            report.check(
                "nanomdm took the push certificate (topic from its UID)", status == 200, answer[:200]
            )
            udid = enroll(settings, mock, hook, report)
            if udid:
                commands(settings, mock, nano, hook, report, udid)
    finally:
        server.shutdown()
        print(f"logs: {work}" if settings.keep or report.failures else "", flush=True)
        if not settings.keep and not report.failures:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{'PASSED' if not report.failures else 'FAILED'}: {report.failures} failure(s)")
    return 1 if report.failures else 0


def enroll(settings: Settings, mock: Mock, hook: Hook, report: Report) -> str:
    serial = settings.serial
    status, created = mock.call("POST", "/_mock/servers", {"name": "NanoMDM interop"})
    if not report.check("mock: MDM server created", status in (200, 201), created):
        return ""
    server_uuid = created["server"]["server_uuid"]
    status, assigned = mock.call(
        "POST", "/_mock/assignments", {"action": "assign", "serials": [serial], "server_uuid": server_uuid}
    )
    report.check(f"mock: {serial} assigned to it", status == 200, assigned)
    profile = {
        "url": f"http://{HOST}:{settings.hook_port}/enroll",
        "await_device_configured": True,
        "is_mdm_removable": False,
    }
    status, defined = mock.call(
        "POST", f"/_mock/servers/{server_uuid}/profile", {"profile": profile, "serials": [serial]}
    )
    report.check("mock: DEP profile at the enrollment URL assigned", status == 201, defined)
    # From a clean device: Erase All Content and Settings, then Setup Assistant unattended.
    mock.call("POST", f"/_mock/ipads/{serial}/erase")
    wait_for(lambda: mock.call("GET", f"/_mock/ipads/{serial}")[1].get("pane") == "hello", 30)
    status, answer = mock.call("POST", f"/_mock/ipads/{serial}/setup", {"language": "en", "region": "US"})
    state = mock.call("GET", f"/_mock/ipads/{serial}?log=200")[1]
    enrolled = state["enrollment"]
    report.check("device POSTed its CMS-signed MachineInfo to the enrollment URL", bool(hook.machine_info_posts)
                 and hook.machine_info_posts[-1] == "application/pkcs7-signature", hook.machine_info_posts)  # fmt: skip
    report.check(
        "device enrolled through ADE into nanomdm (Setup Assistant to the home screen)",
        status == 200 and enrolled["enrolled"] and state["pane"] == "home",
        {"status": status, "answer": answer, "enrollment": enrolled, "pane": state["pane"]},
    )
    udid = str(state["udid"])
    report.check(
        "device identity issued by scepserver",
        "nanomdm interop" in state["identity"]["mdm_common_name"],
        state["identity"]["mdm_common_name"],
    )
    authenticates = [each for each in hook.checkins("Authenticate") if each.get("UDID") == udid]
    updates = [each for each in hook.checkins("TokenUpdate") if each.get("UDID") == udid]
    report.check(
        "nanomdm accepted Authenticate and TokenUpdate (Mdm-Signature verified against the SCEP CA)",
        bool(authenticates) and bool(updates) and updates[-1].get("Topic") == enrolled["topic"],
        {"authenticate": len(authenticates), "token_update": len(updates)},
    )
    report.check(
        "DeviceConfigured sent by nanomdm released the device (AwaitingConfiguration)",
        any(each.get("AwaitingConfiguration") for each in updates) and not enrolled["awaiting_configuration"],
    )
    return udid if enrolled["enrolled"] else ""


def run_command(
    mock: Mock, nano: NanoMDM, hook: Hook, serial: str, udid: str, request_type: str, **keys: Any
) -> dict[str, Any] | None:
    """Enqueue in nanomdm, wake the device with Check in now, and return the result nanomdm got."""
    command_uuid = nano.enqueue(udid, request_type, **keys)
    mock.call("POST", f"/_mock/ipads/{serial}/checkin")
    result: dict[str, Any] | None = wait_for(lambda: hook.result(command_uuid), 15)
    return result


def acknowledged(result: dict[str, Any] | None) -> bool:
    return bool(result) and result is not None and result.get("Status") == "Acknowledged"


def commands(settings: Settings, mock: Mock, nano: NanoMDM, hook: Hook, report: Report, udid: str) -> None:
    serial = settings.serial
    queries = ["UDID", "SerialNumber", "DeviceName", "Model", "ModelName", "OSVersion", "BuildVersion",
               "IsSupervised", "IsActivationLockEnabled", "DeviceCapacity", "AvailableDeviceCapacity"]  # fmt: skip
    result = run_command(mock, nano, hook, serial, udid, "DeviceInformation", Queries=queries)
    answers = (result or {}).get("QueryResponses", {})
    report.check(
        "DeviceInformation: acknowledged with the queried values",
        acknowledged(result) and answers.get("SerialNumber") == serial and answers.get("UDID") == udid
        and all(query in answers for query in ("DeviceName", "OSVersion", "Model", "IsSupervised")),
        result,
    )  # fmt: skip

    result = run_command(mock, nano, hook, serial, udid, "InstalledApplicationList")
    apps = (result or {}).get("InstalledApplicationList")
    report.check(
        "InstalledApplicationList: acknowledged with a list of apps (Identifier, Name, Version)",
        acknowledged(result) and isinstance(apps, list) and all("Identifier" in app for app in apps or []),
        result,
    )

    name = f"Interop iPad {uuid.uuid4().hex[:6]}"
    result = run_command(
        mock, nano, hook, serial, udid, "Settings", Settings=[{"Item": "DeviceName", "DeviceName": name}]
    )
    state = mock.call("GET", f"/_mock/ipads/{serial}")[1]
    report.check(
        "Settings DeviceName: acknowledged, the iPad is renamed",
        acknowledged(result) and state["device_name"] == name,
        {"result": result, "device_name": state["device_name"]},
    )
    result = run_command(mock, nano, hook, serial, udid, "DeviceInformation", Queries=["DeviceName"])
    report.check(
        "DeviceInformation after the rename answers the new DeviceName",
        acknowledged(result) and (result or {}).get("QueryResponses", {}).get("DeviceName") == name,
        result,
    )

    result = run_command(
        mock,
        nano,
        hook,
        serial,
        udid,
        "DeviceLock",
        Message="Locked by NanoMDM",
        PhoneNumber="+33 1 23 45 67 89",
    )
    state = mock.call("GET", f"/_mock/ipads/{serial}")[1]
    report.check(
        "DeviceLock: acknowledged, the iPad shows the lock screen with the message",
        acknowledged(result) and state.get("lock", {}).get("locked") is True,
        {"result": result, "lock": state.get("lock")},
    )

    result = run_command(mock, nano, hook, serial, udid, "NotACommand")
    report.check(
        "an unknown command: Error 12021 in MCMDMErrorDomain",
        (result or {}).get("Status") == "Error"
        and any(each.get("ErrorCode") == 12021 for each in (result or {}).get("ErrorChain", [])),
        result,
    )

    for label, service in (
        ("with MDMProfileData and WiFiProfileData", {"MDMProfileData": hook.profile, "WiFiProfileData": wifi_profile()}),
        ("without MDMProfileData (the DEP profile's url)", {}),
    ):  # fmt: skip
        return_to_service(mock, nano, hook, report, serial, udid, label, service)


def return_to_service(
    mock: Mock,
    nano: NanoMDM,
    hook: Hook,
    report: Report,
    serial: str,
    udid: str,
    label: str,
    service: dict[str, Any],
) -> None:
    before = mock.call("GET", f"/_mock/ipads/{serial}")[1]
    authenticated = len(hook.checkins("Authenticate"))
    result = run_command(
        mock, nano, hook, serial, udid, "EraseDevice", ReturnToService={"Enabled": True, **service}
    )
    report.check(f"EraseDevice with ReturnToService {label}: acknowledged", acknowledged(result), result)

    def back_home() -> dict[str, Any] | None:
        state: dict[str, Any] = mock.call("GET", f"/_mock/ipads/{serial}")[1]
        home = state["pane"] == "home" and state["enrollment"]["enrolled"] and not state["activity"]
        return state if home and len(hook.checkins("Authenticate")) > authenticated else None

    after = wait_for(back_home)
    report.check(
        "  … erased, re-enrolled unattended into nanomdm (new SCEP identity) and at the home screen",
        bool(after) and after["identity"]["mdm_certificate"] != before["identity"]["mdm_certificate"]
        and not after["lock"]["locked"],
        after and {"pane": after["pane"], "enrollment": after["enrollment"]},
    )  # fmt: skip
    if after and service.get("WiFiProfileData"):
        report.check(
            "  … joined the Wi-Fi of WiFiProfileData",
            any(p["identifier"] == "test.interop.nanomdm.wifi-profile" for p in after["profiles"])
            or after.get("wifi_network") == "Interop Wi-Fi",
            {"profiles": [p["identifier"] for p in after["profiles"]], "wifi": after.get("wifi_network")},
        )
    result = run_command(mock, nano, hook, serial, udid, "DeviceInformation", Queries=["SerialNumber"])
    report.check(
        "  … and answers nanomdm's commands with its new identity",
        acknowledged(result) and (result or {}).get("QueryResponses", {}).get("SerialNumber") == serial,
        result,
    )


if __name__ == "__main__":
    sys.exit(main())
