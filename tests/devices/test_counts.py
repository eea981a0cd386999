"""The device totals the database keeps (devices.counts): equal to a recount after every kind of
write, read by the grid and the blades. Every test that uses the database also checks them at its
end (tests/conftest.py::_device_tallies_check): the sync, enrollment and preset tests with it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import F

from asm_portal import clock
from asm_portal.models import Tenant
from asm_portal.tenancy import every_tenant, tenant_scope
from devices import counts
from devices.bulk import INSERT_COLUMNS, devices_write
from devices.deletion import devices_delete, removed_devices_purge
from devices.models import Device, DeviceTally, EnrollmentState, ProfileStatus
from devices.selectors import UNASSIGNED, DeviceFilters, devices_filtered, devices_total
from tests.devices.conftest import devices_create, devices_populated, profile_create, token_create

pytestmark = pytest.mark.django_db


def assert_exact() -> None:
    with every_tenant():
        assert counts.tally_groups() == counts.tally_recount()


class TalliesTests:
    def test_inserts_updates_and_deletes_of_the_orm_keep_them_exact(self) -> None:
        token = devices_populated()
        profile = profile_create(token, name="Autre")
        assert_exact()
        Device.objects.filter(serial_number__startswith="NEW").update(
            assigned_profile=profile, profile_status=ProfileStatus.ASSIGNED
        )
        Device.objects.filter(serial_number__startswith="READY").update(
            enrollment_state=EnrollmentState.ENROLLED
        )
        Device.objects.filter(serial_number__startswith="ENR").update(model=F("model"))  # nothing counted
        device = Device.objects.get(serial_number__startswith="GONE")
        device.removed_by_apple = False
        device.save()
        assert_exact()
        Device.objects.filter(serial_number__startswith="RST").delete()
        assert_exact()
        assert devices_total(filters=DeviceFilters(), token=token) == 7

    def test_the_sync_s_plain_sql_upsert_keeps_them_exact(self) -> None:
        token = token_create()
        now = clock.now()

        def row(serial: str, status: str) -> list[object]:
            values: dict[str, object] = dict.fromkeys(INSERT_COLUMNS, "")
            values.update(
                tenant_id=token.tenant_id,
                token_id=token.pk,
                serial_number=serial,
                profile_status=status,
                enrollment_state=EnrollmentState.NOT_CONTACTED,
                removed_by_apple=False,
                created_at=now,
                updated_at=now,
            )
            for column in ("device_assigned_date", "apple_profile_assign_time", "apple_profile_push_time"):
                values[column] = None
            for column in ("assigned_profile_id", "profile_assigned_at", "last_contacted_at", "removed_at"):
                values[column] = None
            values["enrolled_profile_id"] = values["last_seen_run_id"] = None
            return [values[column] for column in INSERT_COLUMNS]

        devices_write([row(f"UPS{n:04d}", ProfileStatus.EMPTY) for n in range(10)], update_columns=None)
        assert_exact()
        # Half of them again with another status, and new ones: updates and inserts in one statement.
        devices_write(
            [row(f"UPS{n:04d}", ProfileStatus.ASSIGNED) for n in range(5, 15)],
            update_columns=["profile_status"],
        )
        assert_exact()
        assert devices_total(filters=DeviceFilters(profile_status=ProfileStatus.ASSIGNED), token=token) == 10

    def test_the_administrator_s_delete_and_the_purge_keep_them_exact(self, admin_user) -> None:
        token = token_create()
        devices = devices_create(token, 5)
        devices_create(
            token, 2, prefix="GONE", removed_by_apple=True, removed_at=clock.now() - timedelta(days=400)
        )
        devices_delete(actor=admin_user, device_ids=[devices[0].pk, devices[1].pk])
        assert_exact()
        assert removed_devices_purge() == 2
        assert_exact()
        assert devices_total(filters=DeviceFilters(), token=token) == 3

    def test_a_deleted_token_and_a_deleted_tenant_leave_nothing_once_compacted(self) -> None:
        token = token_create()
        devices_create(token, 4)
        Device.objects.filter(token=token).delete()
        token.delete()
        other = Tenant.objects.create(display_name="Fabrikam", initial_domain="fabrikam.onmicrosoft.com")
        with tenant_scope(other):
            devices_create(token_create("Fabrikam ASM"), 3)
        with every_tenant():
            # A tenant goes as the class's end removes it: its devices first (tokens protect them).
            Device.objects.filter(tenant=other).delete()
            other.delete()
            assert_exact()
            counts.device_tallies_compact()
            assert not DeviceTally.objects.exists()

    def test_compaction_folds_the_rows_and_keeps_the_sums(self) -> None:
        token = devices_populated()
        for number in range(3):
            devices_create(token, 2, prefix=f"MORE{number}")
        before = counts.tally_groups()
        rows = counts.device_tallies_compact(token_ids=[token.pk])
        assert counts.tally_groups() == before
        assert rows == DeviceTally.objects.count() == len(before)

    def test_they_belong_to_their_tenant(self) -> None:
        devices_create(token_create(), 3)
        other = Tenant.objects.create(display_name="Fabrikam", initial_domain="fabrikam.onmicrosoft.com")
        with tenant_scope(other):
            assert devices_total(filters=DeviceFilters()) == 0
            devices_create(token_create("Fabrikam ASM"), 2)
            assert devices_total(filters=DeviceFilters()) == 2
        assert devices_total(filters=DeviceFilters()) == 3


class TotalsTests:
    @pytest.mark.parametrize(
        "query",
        [
            {},
            {"state": "enrolled"},
            {"state": "pendingReset"},
            {"profile_status": "empty"},
            {"profile": UNASSIGNED},
            {"profile": "profile"},
            {"state": "notContacted", "profile": UNASSIGNED},
            {"q": "RE"},
            {"q": "READY", "state": "enrolled"},
        ],
    )
    def test_each_pill_s_total_is_the_count_of_its_rows(self, query: dict[str, str]) -> None:
        token = devices_populated()
        other = token_create("Autre")
        devices_create(other, 4, prefix="READY9")
        if query.get("profile") == "profile":
            query = {
                **query,
                "profile": str(token.devices.exclude(assigned_profile=None)[0].assigned_profile_id),
            }
        filters = DeviceFilters.from_query(query)
        for scope in (token, other, None):
            expected = devices_filtered(filters=filters, token=scope).count()
            assert devices_total(filters=filters, token=scope) == expected, (query, scope)
        present = filters.present()
        assert (
            devices_total(filters=present, token=token)
            == devices_filtered(filters=present, token=token).count()
        )


class DailySweepTests:
    def test_the_purge_task_compacts_the_tallies(self) -> None:
        from devices.tasks import removed_devices_purge_task

        token = token_create()
        for number in range(3):
            devices_create(token, 2, prefix=f"DAY{number}")
        before = counts.tally_groups()
        removed_devices_purge_task()
        assert counts.tally_groups() == before
        assert DeviceTally.objects.count() == len(before)
