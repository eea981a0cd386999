"""Apple's device records as rows, and the sync's upsert of many rows at once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from asm_portal import clock
from asm_portal.models import current_tenant_id
from devices.bulk import APPLE_FIELDS, INSERT_COLUMNS, device_values, devices_write, serial_of
from devices.models import Device, EnrollmentState, ProfileStatus
from tests.devices.conftest import token_create

pytestmark = pytest.mark.django_db


def device_fields(device: dict[str, Any]) -> dict[str, Any]:
    """The columns a device of Apple's answer fills, by name (the sync builds them as tuples)."""
    return dict(zip(APPLE_FIELDS, device_values(device), strict=True))


def row(token_id: int, serial: str, **changes: object) -> list[object]:
    now = clock.now()
    values: dict[str, object] = {
        **dict.fromkeys(INSERT_COLUMNS, ""),
        **device_fields({"model": "iPad", "profile_status": "empty"}),
        "tenant_id": current_tenant_id(),
        "token_id": token_id,
        "serial_number": serial,
        "assigned_profile_id": None,
        "profile_assigned_at": None,
        "enrollment_state": EnrollmentState.NOT_CONTACTED,
        "last_contacted_at": None,
        "removed_by_apple": False,
        "removed_at": None,
        "enrolled_profile_id": None,
        "created_at": now,
        "updated_at": now,
        "last_seen_run_id": None,
        **changes,
    }
    return [values[column] for column in INSERT_COLUMNS]


class DeviceFieldsTests:
    def test_apple_s_json_becomes_our_columns(self) -> None:
        fields = device_fields(
            {
                "model": "iPad" * 40,
                "profile_status": "assigned",
                "profile_uuid": "ab-cd",
                "device_assigned_date": "2026-11-27T05:20:43Z",
            }
        )
        assert len(fields["model"]) == 100 and fields["profile_status"] == ProfileStatus.ASSIGNED
        assert fields["apple_profile_uuid"] == "ABCD"
        assert fields["device_assigned_date"] == datetime(2026, 11, 27, 5, 20, 43, tzinfo=UTC)
        assert device_fields({"profile_status": "bogus"})["profile_status"] == ProfileStatus.EMPTY

    def test_serial_numbers_are_upper_case_and_trimmed(self) -> None:
        assert serial_of({"serial_number": " dmpq1 "}) == "DMPQ1" and serial_of({}) == ""


class DevicesWriteTests:
    def test_it_inserts_then_updates_on_the_token_and_serial(self) -> None:
        token = token_create()
        inserted = devices_write([row(token.pk, "A1"), row(token.pk, "A2")], update_columns=None)
        assert inserted in (2, None)  # SQLite's upsert cannot tell
        assert devices_write([row(token.pk, "A1", model="iPad Pro")], update_columns=None) in (0, None)
        assert Device.objects.get(serial_number="A1").model == "iPad"  # DO NOTHING
        new = devices_write(
            [row(token.pk, "A1", model="iPad Pro"), row(token.pk, "A3")], update_columns=["model"]
        )
        assert new in (1, None)
        assert Device.objects.get(serial_number="A1").model == "iPad Pro"
        assert Device.objects.filter(token=token).count() == 3

    def test_nothing_to_write(self) -> None:
        assert devices_write([], update_columns=None) == 0
