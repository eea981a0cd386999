"""Benchmark of the virtual iPad (issue 23): N headless virtual iPads enrolling into the portal at
once, then the push → acknowledged round trip.

Seeds a scratch PostgreSQL database (never yours): the portal's token, profile (awaiting final
configuration) and N devices; the mock's organisation with the same N serials assigned to an MDM
server whose DEP profile's url is the portal's enrollment URL; the portal's push certificate from
the mock. Serves the portal (gunicorn, 2 workers × 4 threads) and the mock (1 worker × 8 threads:
its virtual iPads' runner lives in that process), then, from this process:

1. the fleet: N devices run Setup Assistant unattended at once (16 at a time): signed MachineInfo,
   the signed profile, SCEP, Authenticate, TokenUpdate (AwaitingConfiguration), the check-ins
   until DeviceConfigured, home screen — all enrolled? time per enrollment p50 / p95;
2. push → acknowledged, one device at a time over the N enrolled: a DeviceInformation command
   queued in the portal, the portal's APNs push to the mock, the mock's runner wakes the device,
   which checks in and answers; the time from the push to the portal's record of the reply
   (p50 / p95);
3. the same for all N at once (one push each, in one batch): p50 / p95 / the last one.

    .venv/bin/python benchmarks/ipad_fleet.py --database-url postgres://postgres@127.0.0.1:5432/asm_bench_ipads
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--workers", type=int, default=16, help="Devices enrolling at a time.")
    parser.add_argument("--database-url", required=True, help="A scratch PostgreSQL database (dropped).")
    parser.add_argument("--port", type=int, default=8132)
    parser.add_argument("--apple-port", type=int, default=8133)
    options = parser.parse_args()

    portal_url = f"http://127.0.0.1:{options.port}"
    scratch_environment(
        "ipad-bench",
        database_url=options.database_url,
        apple_port=options.apple_port,
        PORTAL_BASE_URL=portal_url,
        APNS_BASE_URL=f"http://127.0.0.1:{options.apple_port}",
        MOCK_APPLE_IPAD_CHECKIN_SECONDS="86400",
    )
    print(f"Virtual iPad benchmark: {options.devices} devices, PostgreSQL, portal gunicorn 2 × 4 threads")
    timed("migrate (portal and mock Apple databases), collectstatic", migrate_scratch)
    import django

    django.setup()
    act_for_default_tenant()
    seeded = timed(
        "seed: portal token, profile, devices, push certificate; mock inventory",
        lambda: seed(options, portal_url),
    )
    logs = Path(tempfile.gettempdir())
    portal = serve(options.port, "portal", workers=2, threads=4, log=logs / "ipad-bench-portal.log")
    apple = serve(options.apple_port, "apple", workers=1, threads=8, log=logs / "ipad-bench-apple.log")
    try:
        run(options, seeded)
    finally:
        for process in (portal, apple):
            os.killpg(process.pid, 15)


def seed(options: Any, portal_url: str) -> dict[str, Any]:
    from asm_portal import roles
    from asm_portal.tenancy import require_tenant
    from devices.models import ProfileStatus
    from mock_apple.models import Device as AppleDevice
    from mock_apple.services import assignments, mdm_servers
    from mock_apple.services import push as mock_push
    from tests.conftest import make_user
    from tests.devices.conftest import devices_create
    from tests.mock_apple.conftest import admin_of, organization_create
    from tests.profiles.conftest import profile_create, token_create
    from tokens import push_certificates

    count = options.devices
    admin = make_user("bench-admin@contoso.onmicrosoft.com", roles.ADMINISTRATOR, tenant=require_tenant())
    token = token_create()
    profile = profile_create(token, await_final_configuration=True)
    profile.apple_profile_uuid = "BENCHPROFILE"
    profile.save(update_fields=["apple_profile_uuid"])
    devices = devices_create(
        token,
        count,
        prefix="DMPQ",
        start=0,
        assigned_profile=profile,
        apple_profile_uuid="BENCHPROFILE",
        profile_status=ProfileStatus.ASSIGNED,
    )
    organization = organization_create(devices=count)
    request = push_certificates.push_certificate_request_create(actor=admin)
    issued = mock_push.push_certificate_issue(actor=admin_of(organization), csr_data=request.csr_pem.encode())
    push_certificates.push_certificate_upload(
        actor=admin, apple_id="admin@appleid.contoso.edu", data=issued.certificate_pem.encode()
    )
    server = mdm_servers.mdm_server_create(actor=None, organization=organization, name="Intune")
    serials = [device.serial_number for device in devices]
    AppleDevice.objects.filter(serial_number__in=serials).update(mdm_server=server)
    defined = assignments.profile_define(
        server=server,
        data={
            "profile_name": "Benchmark",
            "url": f"{portal_url}/enroll/{token.pk}/",
            "is_supervised": True,
            "is_mandatory": True,
            "is_mdm_removable": False,
            "await_device_configured": True,
        },
    )
    assignments.profile_assign(server=server, profile=defined, serials=serials, throttling=False)
    return {"organization_pk": organization.pk, "serials": serials}


def run(options: Any, seeded: dict[str, Any]) -> None:
    from mdm import apns, commands
    from mdm.models import DeviceCommand, ManagedDevice
    from mock_apple.ipad.fleet import fleet_enroll
    from mock_apple.models import Organization

    organization = Organization.objects.get(pk=seeded["organization_pk"])
    started = time.perf_counter()
    result = fleet_enroll(organization, count=options.devices, workers=options.workers)
    elapsed = time.perf_counter() - started
    print(
        f"  fleet: {len(result.durations)} of {options.devices} enrolled to the home screen in {elapsed:.1f} s "
        f"({options.workers} at a time); per enrollment p50 {result.percentile(0.5):.2f} s, "
        f"p95 {result.percentile(0.95):.2f} s; failures: {dict(list(result.failures.items())[:5]) or 'none'}"
    )
    managed = list(ManagedDevice.objects.exclude(push_token=""))

    def acknowledged_after(command: DeviceCommand, pushed_at: datetime, deadline: float) -> float | None:
        while time.monotonic() < deadline:
            command.refresh_from_db(fields=["status", "finished_at"])
            if command.finished_at is not None:
                return (command.finished_at - pushed_at).total_seconds()
            time.sleep(0.01)
        return None

    # One device at a time.
    one_by_one: list[float] = []
    lost = 0
    for device in managed:
        command = commands.command_enqueue(
            device=device, request_type="DeviceInformation", payload={"Queries": ["DeviceName"]}, push=False
        )
        pushed_at = datetime.now(UTC)
        apns.devices_push(device_ids=[device.pk])
        latency = acknowledged_after(command, pushed_at, time.monotonic() + 10)
        if latency is None:
            lost += 1
        else:
            one_by_one.append(latency)
    print(
        f"  push → acknowledged, one device at a time over {len(managed)} enrolled: p50 "
        f"{percentile(one_by_one, 0.5) * 1000:.0f} ms, p95 {percentile(one_by_one, 0.95) * 1000:.0f} ms "
        f"({lost} not answered within 10 s)"
    )

    # All of them at once.
    queued = [
        commands.command_enqueue(
            device=device, request_type="DeviceInformation", payload={"Queries": ["DeviceName"]}, push=False
        )
        for device in managed
    ]
    pushed_at = datetime.now(UTC)
    apns.devices_push(device_ids=[device.pk for device in managed])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if not DeviceCommand.objects.filter(pk__in=[c.pk for c in queued], finished_at__isnull=True).exists():
            break
        time.sleep(0.1)
    finished = DeviceCommand.objects.filter(pk__in=[c.pk for c in queued], finished_at__isnull=False)
    burst = [(each.finished_at - pushed_at).total_seconds() for each in finished if each.finished_at]
    print(
        f"  push → acknowledged, {len(managed)} pushed at once: {len(burst)} answered; p50 "
        f"{percentile(burst, 0.5) * 1000:.0f} ms, p95 {percentile(burst, 0.95) * 1000:.0f} ms, "
        f"last {max(burst, default=0) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
