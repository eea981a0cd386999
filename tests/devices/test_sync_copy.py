"""A token's first fill: its pages copied straight into the table (PostgreSQL), and the page that
meets a serial number already there merged instead, against the mock Apple service over HTTP."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.db import connection, transaction

from asm_portal import clock
from devices import tasks
from devices.models import Device, SyncRun
from tests.devices.conftest import AppleToken, live, portal_serials, sync_now


def full_run(apple_token: AppleToken) -> SyncRun:
    now = clock.now()
    with transaction.atomic():
        return SyncRun.objects.create(
            token=apple_token.token,
            kind=SyncRun.Kind.FULL,
            trigger=SyncRun.Trigger.MANUAL,
            requested_at=now,
            deadline_at=now + timedelta(minutes=15),
        )


@pytest.mark.integration
@live
class FirstFillTests:
    def test_the_first_sync_copies_every_device_in(self, apple_token, settings) -> None:
        settings.SYNC_PAGE_SIZE = 5
        run = sync_now(apple_token.token, SyncRun.Trigger.TOKEN_UPLOAD)
        assert (run.state, run.added, run.updated, run.pages) == (SyncRun.State.SUCCEEDED, 12, 0, 4)
        assert portal_serials(apple_token.token) == apple_token.apple_serials()
        assert set(Device.objects.values_list("last_seen_run_id", flat=True)) == {run.pk}

    def test_a_serial_number_the_run_already_wrote_makes_the_page_merged(
        self, apple_token, settings, caplog
    ) -> None:
        """The run wrote a device before its walk started again: the COPY of the page that lists
        it again fails, the page is rolled back and merged, and so are the next ones."""
        settings.SYNC_PAGE_SIZE = 5
        run = full_run(apple_token)
        serial = sorted(apple_token.apple_serials())[0]
        now = clock.now()
        Device.objects.create(
            token=apple_token.token,
            serial_number=serial,
            model="Written before the walk started again",
            created_at=now,
            updated_at=now,
            last_seen_run_id=run.pk,
        )
        with caplog.at_level(logging.INFO, logger="devices.sync"):
            tasks.sync_run(run_id=run.pk)
        run.refresh_from_db()
        assert run.state == SyncRun.State.SUCCEEDED, run.error_code
        assert (run.added, run.updated) == (11, 1)
        assert portal_serials(apple_token.token) == apple_token.apple_serials()
        assert Device.objects.get(serial_number=serial).model != "Written before the walk started again"
        merged = "a serial number is already there, the pages are merged" in caplog.text
        assert merged == (connection.vendor == "postgresql")  # SQLite merges every page anyway
