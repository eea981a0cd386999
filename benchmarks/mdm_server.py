"""Benchmark of the MDM server (issue 22): enrollment, ServerURL, bulk push, next-command query.

Seeds a scratch PostgreSQL database (never yours), serves the portal and the mock Apple service
with gunicorn (DEBUG=False), and drives N devices over real HTTP with the protocol tests' device
client (tests/mdm/mdm_client.py), from 8 client threads:

1. enrollment of every device: POST of its signed MachineInfo → signed .mobileconfig, SCEP
   PKCSReq → identity certificate, Authenticate, TokenUpdate (enrollments per second);
2. each device answers 5 commands (the 4 inventory queries queued at TokenUpdate, and a
   RestartDevice queued in bulk): Idle, then a reply per command (ServerURL median and p95);
3. a bulk action on every device: one command each enqueued, then each pushed through APNs (the
   mock's /3/device/<token>, two batches in parallel as two workers would);
4. the next-command query's plan (EXPLAIN ANALYZE) with 200,000 queued commands.

Device keys are shared by groups of devices (RSA key generation is not what is measured).

    .venv/bin/python benchmarks/mdm_server.py --database-url postgres://postgres@127.0.0.1:5432/asm_bench_mdm
"""

from __future__ import annotations

import argparse
import os
import plistlib
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import (  # noqa: E402
    act_for_default_tenant,
    migrate_scratch,
    percentile,
    scratch_environment,
    serve,
    timed,
)

THREADS = 8


def device_ca(directory: Path) -> tuple[Any, Any, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Apple iPhone Device CA (benchmark)")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = directory / "device-ca.pem"
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return certificate, key, path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--queued", type=int, default=200_000, help="Queued commands for the query plan.")
    parser.add_argument("--database-url", required=True, help="A scratch PostgreSQL database (dropped).")
    parser.add_argument("--port", type=int, default=8122)
    parser.add_argument("--apple-port", type=int, default=8123)
    options = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="mdm-bench-ca"))
    ca_certificate, ca_key, ca_path = device_ca(folder)
    portal_url = f"http://127.0.0.1:{options.port}"
    scratch_environment(
        "mdm-bench",
        database_url=options.database_url,
        apple_port=options.apple_port,
        PORTAL_BASE_URL=portal_url,
        APNS_BASE_URL=f"http://127.0.0.1:{options.apple_port}",
        MDM_MACHINEINFO_TRUST_ANCHOR=str(ca_path),
    )
    print(f"MDM server benchmark: {options.devices} devices, PostgreSQL, gunicorn 2 workers × 4 threads")
    timed("migrate (portal and mock Apple databases), collectstatic", migrate_scratch)

    import django

    django.setup()
    act_for_default_tenant()
    seeded = timed("seed: token, profile, devices, push certificate", lambda: seed(options.devices))
    portal = serve(
        options.port, "portal", workers=2, threads=4, log=Path(tempfile.gettempdir()) / "mdm-bench-portal.log"
    )
    apple = serve(options.apple_port, "apple", workers=2, threads=4)
    try:
        run(options, seeded, portal_url, ca_certificate, ca_key)
    finally:
        for process in (portal, apple):
            os.killpg(process.pid, 15)


def seed(count: int) -> dict[str, Any]:
    from asm_portal import roles
    from asm_portal.tenancy import require_tenant
    from devices.models import ProfileStatus
    from mock_apple.services import push as mock_push
    from tests.conftest import make_user
    from tests.devices.conftest import devices_create
    from tests.mock_apple.conftest import admin_of, organization_create
    from tests.profiles.conftest import profile_create, token_create
    from tokens import push_certificates

    admin = make_user("bench-admin@contoso.onmicrosoft.com", roles.ADMINISTRATOR, tenant=require_tenant())
    token = token_create()
    profile = profile_create(token, await_final_configuration=False)
    profile.apple_profile_uuid = "BENCHPROFILE"
    profile.save(update_fields=["apple_profile_uuid"])
    devices = devices_create(
        token,
        count,
        prefix="BNCH",
        start=1,
        assigned_profile=profile,
        apple_profile_uuid="BENCHPROFILE",
        profile_status=ProfileStatus.ASSIGNED,
    )
    organization = organization_create(devices=0)
    request = push_certificates.push_certificate_request_create(actor=admin)
    issued = mock_push.push_certificate_issue(actor=admin_of(organization), csr_data=request.csr_pem.encode())
    push_certificates.push_certificate_upload(
        actor=admin, apple_id="admin@appleid.contoso.edu", data=issued.certificate_pem.encode()
    )
    return {"token_id": token.pk, "serials": [device.serial_number for device in devices]}


def run(options: Any, seeded: dict[str, Any], portal_url: str, ca_certificate: Any, ca_key: Any) -> None:
    import requests
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    from tests.mdm.mdm_client import MdmDevice, ScepClient, signed_data

    keys = [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(16)]
    local = threading.local()
    ca = ScepClient(f"{portal_url}/enroll/{seeded['token_id']}/scep").ca()

    def session() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        kept: requests.Session = local.session
        return kept

    def enroll(index: int, serial: str) -> MdmDevice:
        key = keys[index % len(keys)]
        udid = f"00008020-{index:016X}"
        now = datetime.now(UTC)
        device_certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, udid)]))
            .issuer_name(ca_certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .sign(ca_key, hashes.SHA256())
        )
        info = plistlib.dumps(
            {"UDID": udid, "SERIAL": serial, "PRODUCT": "iPad13,18", "VERSION": "22B83", "OS_VERSION": "18.1"}
        )
        response = session().post(
            f"{portal_url}/enroll/{seeded['token_id']}/",
            data=signed_data(info, device_certificate, key),
            headers={"Content-Type": "application/pkcs7-signature"},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        from asn1crypto import cms

        profile = plistlib.loads(
            cms.ContentInfo.load(response.content)["content"]["encap_content_info"]["content"].native
        )
        payloads = {p["PayloadType"]: p for p in profile["PayloadContent"]}
        scep_settings = payloads["com.apple.security.scep"]["PayloadContent"]
        mdm = payloads["com.apple.mdm"]
        subject = x509.Name([x509.NameAttribute(NameOID.SERIAL_NUMBER, serial)])
        client = ScepClient(scep_settings["URL"], session())
        _response, rep = client.request(
            key=key, subject=subject, challenge=scep_settings["Challenge"], encrypt_to=ca
        )
        assert rep is not None and rep.certificate is not None, rep
        device = MdmDevice(
            udid=udid,
            serial_number=serial,
            key=key,
            certificate=rep.certificate,
            checkin_url=mdm["CheckInURL"],
            server_url=mdm["ServerURL"],
            topic=mdm["Topic"],
            session=session(),
        )
        assert device.authenticate().status_code == 200
        assert device.token_update().status_code == 200
        return device

    serials = seeded["serials"]
    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        enrolled = list(pool.map(lambda pair: enroll(*pair), enumerate(serials)))
    elapsed = time.perf_counter() - started
    print(
        f"  enrollment of {len(enrolled)} devices (profile, SCEP, Authenticate, TokenUpdate): "
        f"{elapsed:.1f} s, {len(enrolled) / elapsed:.1f} enrollments/s"
    )

    from mdm import apns, commands
    from mdm.models import CommandStatus, DeviceCommand, ManagedDevice

    managed = list(ManagedDevice.objects.all())
    commands.commands_enqueue_bulk(devices=managed, request_type="RestartDevice")  # the 5th command
    durations: list[float] = []  # the device's whole request: signing its body, then the exchange
    exchanges: list[float] = []  # the HTTP exchange alone: what the server spends, and the wait for it
    lock = threading.Lock()

    def report(device: MdmDevice, status: str, uuid_: str | None) -> requests.Response:
        begun = time.perf_counter()
        message: dict[str, Any] = {"UDID": device.udid, "Status": status}
        if uuid_:
            message["CommandUUID"] = uuid_
        body = plistlib.dumps(message)
        headers = {"Mdm-Signature": device.signature(body)}
        sent = time.perf_counter()
        response = device.session.put(device.server_url, data=body, headers=headers, timeout=30)
        done = time.perf_counter()
        with lock:
            durations.append(done - begun)
            exchanges.append(done - sent)
        return response

    def answer_all(device: MdmDevice) -> int:
        answered = 0
        status, uuid_ = "Idle", None
        while True:
            command = device.command_of(report(device, status, uuid_))
            if command is None:
                return answered
            answered += 1
            status, uuid_ = "Acknowledged", command["CommandUUID"]

    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        answered = sum(pool.map(answer_all, enrolled))
    elapsed = time.perf_counter() - started
    print(
        f"  {answered} commands answered ({answered / len(enrolled):.1f} per device) in {elapsed:.1f} s: "
        f"{len(durations)} ServerURL requests, signing included: median "
        f"{statistics.median(durations) * 1000:.1f} ms, p95 {percentile(durations, 0.95) * 1000:.1f} ms; "
        f"HTTP exchange alone: median {statistics.median(exchanges) * 1000:.1f} ms, "
        f"p95 {percentile(exchanges, 0.95) * 1000:.1f} ms"
    )

    # A bulk action: enqueue for every device, then push each through APNs (two workers).
    started = time.perf_counter()
    commands.commands_enqueue_bulk(devices=managed, request_type="DeviceLock")
    enqueued = time.perf_counter() - started
    ids = [device.pk for device in managed]
    halves = [ids[: len(ids) // 2], ids[len(ids) // 2 :]]

    def push(batch: list[int]) -> int:
        from django.db import connection

        from asm_portal.tenancy import default_tenant, tenant_scope

        with tenant_scope(default_tenant()):
            results = apns.devices_push(device_ids=batch)
        connection.close()
        return sum(1 for result in results if result.status == 200)

    with ThreadPoolExecutor(2) as pool:
        delivered = sum(pool.map(push, halves))
    total = time.perf_counter() - started
    print(
        f"  bulk action on {len(ids)} devices: enqueued in {enqueued:.2f} s, {delivered} pushes "
        f"accepted by APNs, {total:.2f} s in all"
    )

    # The next-command query at scale.
    per_device = max(1, options.queued // len(managed))
    from asm_portal import clock

    rows = [
        DeviceCommand(
            tenant_id=device.tenant_id,
            device=device,
            command_uuid=__import__("uuid").uuid4(),
            request_type="ProfileList",
            queued_at=clock.now(),
        )
        for device in managed
        for _ in range(per_device)
    ]
    timed(
        f"insert {len(rows)} queued commands",
        lambda: DeviceCommand.objects.bulk_create(rows, batch_size=5000),
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE mdm_devicecommand")
    for label, statuses in (
        ("on Idle", [CommandStatus.QUEUED, CommandStatus.SENT, CommandStatus.NOT_NOW]),
        ("after a reply", [CommandStatus.QUEUED, CommandStatus.SENT]),
    ):
        # The query of mdm.commands.command_next.
        query = DeviceCommand.objects.filter(device=managed[0], status__in=statuses).order_by(
            "queued_at", "id"
        )[:1]
        print(
            f"  next-command query {label}, {DeviceCommand.objects.filter(status='queued').count()} queued commands:"
        )
        for line in query.explain(analyze=True).splitlines():
            print(f"    {line}")


if __name__ == "__main__":
    main()
