"""Benchmark of Intune's Devices blades at 200,000 managed devices in one tenant.

Measures, in a scratch database (SQLite by default, or --database-url, dropped at the end), with
Django's test client (no network):
- Devices › All devices: first page (full page), last page (htmx grid), a page far in reached by
  Next and Last (keyset paging), sorted by last check-in, a search, a filter;
- a device's Overview (with its actions) and Monitor › Device actions;
- the whole list's CSV export (once).

--proposed-indexes (PostgreSQL) first creates PROPOSED_INDEXES below, the indexes the list needs;
the models have declared them since mdm migrations 0006 and 0007, so today it changes nothing (it
measured what they change before they were declared).

Usage:
    .venv/bin/python benchmarks/managed_devices_list.py [--devices 200000] [--runs 20]
    .venv/bin/python benchmarks/managed_devices_list.py --database-url postgres://postgres@127.0.0.1:5432/asm_mdm_list_bench
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.harness import django_scratch, django_scratch_drop, measure  # noqa: E402

# What the list's queries need at 200,000 rows (the ASM grid's indexes do the same for Device):
# the default order (device name), the check-in order, the count by management state, the search
# (Django's istartswith is UPPER(...) LIKE 'X%'), and the daily caps' count of actions by kind.
PROPOSED_INDEXES = (
    "CREATE INDEX IF NOT EXISTS mdm_device_name ON mdm_manageddevice (tenant_id, device_name, serial_number, id)",
    "CREATE INDEX IF NOT EXISTS mdm_device_checkin ON mdm_manageddevice (tenant_id, last_checkin_at, serial_number, id)",
    "CREATE INDEX IF NOT EXISTS mdm_device_state ON mdm_manageddevice (tenant_id, management_state)",
    "CREATE INDEX IF NOT EXISTS mdm_device_name_upper ON mdm_manageddevice (UPPER(device_name) text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS mdm_device_upn_upper ON mdm_manageddevice (UPPER(user_principal_name) text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS mdm_device_serial_prefix ON mdm_manageddevice (serial_number text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS mdm_action_kind_day ON mdm_deviceaction (tenant_id, kind, requested_at)",
    "CREATE INDEX IF NOT EXISTS mdm_action_requested ON mdm_deviceaction (tenant_id, requested_at DESC, id DESC)",
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--proposed-indexes", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database (to EXPLAIN)")
    options = parser.parse_args()

    django_scratch("asm-mdm-list-bench-", options.database_url)
    from django.contrib.auth.models import User
    from django.db import connections
    from django.test import Client

    from asm_portal import clock, demo
    from asm_portal.tenancy import default_tenant
    from benchmarks.harness import act_for_default_tenant
    from mdm.models import DeviceAction, DeviceActionState, ManagedDevice, ManagementState
    from mdm.selectors import LISTED_STATES, cursor_encode

    act_for_default_tenant()
    demo.users_seed(password="Bench-pass-123!", tenant=default_tenant())
    tenant = default_tenant()
    now = clock.now()
    started = time.perf_counter()
    inventory = {"WiFiMAC": "f0:18:98:00:00:01", "DeviceCapacity": 64.0, "AvailableDeviceCapacity": 40.0}
    batch = 10_000
    for start in range(0, options.devices, batch):
        ManagedDevice.objects.bulk_create(
            ManagedDevice(
                tenant=tenant,
                udid=f"00008101-{number:016X}",
                serial_number=f"DMPQ{number:08d}",
                device_name=f"IPAD-{(number * 7919) % options.devices:06d}",
                model_name="iPad",
                product_name="iPad13,18",
                os_version="17.5",
                is_shared_ipad=number % 10 == 0,
                user_principal_name=f"student{number}@contoso.edu",
                management_state=ManagementState.WIPE_PENDING
                if number % 500 == 0
                else ManagementState.MANAGED,
                enrolled_at=now - timedelta(days=number % 300),
                last_checkin_at=now - timedelta(minutes=number % 10_000),
                inventory=inventory,
            )
            for number in range(start, min(options.devices, start + batch))
        )
    print(
        f"{options.devices} managed devices created in {time.perf_counter() - started:.1f} s ({connections['default'].vendor})"
    )
    device = ManagedDevice.objects.order_by("pk")[options.devices // 2]
    acted_on = list(ManagedDevice.objects.order_by("pk").values_list("pk", flat=True)[:1000])
    DeviceAction.objects.bulk_create(
        DeviceAction(
            tenant=tenant,
            device_id=acted_on[number % len(acted_on)],
            kind=("sync", "remote_lock", "restart", "wipe")[number % 4],
            state=DeviceActionState.DONE,
            requested_at=now - timedelta(minutes=number),
        )
        for number in range(20_000)
    )
    if connections["default"].vendor == "postgresql":
        with connections["default"].cursor() as cursor:
            if options.proposed_indexes:
                for statement in PROPOSED_INDEXES:
                    cursor.execute(statement)
                print(f"with the {len(PROPOSED_INDEXES)} proposed indexes")
            # What autovacuum does soon after a bulk load: statistics, and the visibility map that
            # lets the list's count read the state index only.
            cursor.execute("VACUUM ANALYZE")

    client = Client()
    client.force_login(User.objects.get(username="admin@contoso.onmicrosoft.com"))
    last_page = (
        ManagedDevice.objects.exclude(management_state=ManagementState.DELETE_PENDING).count() + 49
    ) // 50

    def get(url: str, htmx: bool = False) -> Any:
        def action() -> None:
            response = client.get(url, headers={"HX-Request": "true"} if htmx else None)
            assert response.status_code == 200, (url, response.status_code)

        return action

    runs = options.runs
    if options.keep:
        runs = 1
    measure("All devices, page 1 by device name (full page)", runs, get("/devices/"))
    measure(
        f"All devices, page {last_page} (htmx grid)",
        runs,
        get(f"/devices/?page={last_page}&fragment=grid", True),
    )
    # Keyset paging: Next carries the previous page's last row, Last reads the reversed order.
    far = min(2000, last_page - 1)
    listed = ManagedDevice.objects.exclude(management_state=ManagementState.DELETE_PENDING).filter(
        management_state__in=LISTED_STATES
    )
    before_far = listed.order_by("device_name", "serial_number", "id")[(far - 1) * 50 - 1]
    after = cursor_encode(before_far, "device_name")
    measure(
        f"All devices, page {far:,} by Next (keyset, htmx grid)",
        runs,
        get(f"/devices/?page={far}&after={after}&fragment=grid", True),
    )
    measure("All devices, Last (keyset, htmx grid)", runs, get("/devices/?page=last&fragment=grid", True))
    checkin_row = listed.order_by("-last_checkin_at", "-serial_number", "-id")[(far - 1) * 50 - 1]
    measure(
        f"All devices, by last check-in, page {far:,} by Next (keyset, htmx grid)",
        runs,
        get(
            f"/devices/?sort=checkin&dir=desc&page={far}&after={cursor_encode(checkin_row, 'last_checkin_at')}&fragment=grid",
            True,
        ),
    )
    measure(
        "All devices, by last check-in, newest first (htmx grid)",
        runs,
        get("/devices/?sort=checkin&dir=desc&fragment=grid", True),
    )
    measure(
        "All devices, search « IPAD-1234 » (htmx grid)",
        runs,
        get("/devices/?q=IPAD-1234&fragment=grid", True),
    )
    measure(
        "All devices, Shared iPad = Yes (htmx grid)", runs, get("/devices/?shared=yes&fragment=grid", True)
    )
    measure("A device's Overview (full page)", runs, get(f"/devices/{device.pk}/"))
    measure(
        "Monitor › Device actions, page 1 (20,000 actions)", runs, get("/devices/monitor/device-actions/")
    )

    started = time.perf_counter()
    response = client.get("/devices/export/")
    size = sum(len(chunk) for chunk in response.streaming_content)  # type: ignore[attr-defined,misc]
    print(
        f"{'Export, the whole list as CSV':<58} {time.perf_counter() - started:7.1f} s ({size / 1e6:.1f} MB)"
    )

    if options.database_url and not options.keep:
        django_scratch_drop()


if __name__ == "__main__":
    main()
