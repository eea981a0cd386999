"""The reconciler's part for device configuration: an enrolled device whose configuration is
overdue (its message was lost, or its worker killed mid-install) gets it, once.

The install is one transaction holding the device's row lock: the row lock is its lease. A
worker killed mid-install leaves nothing written, and its lock dies with its database
connection, so the next install is never blocked by a process that no longer exists."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
from django.db import connection

from asm_portal import clock
from asm_portal.models import AuditEvent
from devices.models import Device, EnrollmentState
from mdm.tasks import mdm_jobs_reconcile
from tests.conftest import REPO, database_url


@pytest.fixture(autouse=True)
def _timing(settings) -> None:
    settings.DEVICE_CONFIGURATION_SECONDS = 3
    settings.JOBS_RESEND_AFTER_SECONDS = 60


def _enrolled_unconfigured(setup) -> Device:
    """Enrolled, its configuration's message lost (no worker ever ran it)."""
    Device.objects.filter(pk=setup.device.pk).update(
        enrollment_state=EnrollmentState.ENROLLED,
        enrolled_at=clock.now(),
        enrolled_profile=setup.profile,
        configured_at=None,
    )
    return Device.objects.get(pk=setup.device.pk)


def _installs() -> int:
    return AuditEvent.objects.filter(action="Install device configuration").count()


def test_an_overdue_configuration_is_sent_again_and_installed_once(setup) -> None:
    device = _enrolled_unconfigured(setup)
    enrolled = device.enrolled_at
    assert enrolled is not None
    with clock.frozen_at(enrolled + timedelta(seconds=62)):
        assert mdm_jobs_reconcile() == 0  # not overdue yet: its own message may still come
    with clock.frozen_at(enrolled + timedelta(seconds=64)):
        assert mdm_jobs_reconcile() == 1
        assert mdm_jobs_reconcile() == 0  # installed: never again
    device.refresh_from_db()
    assert device.configured_at is not None and "restrictions" in (device.configuration or [])
    assert _installs() == 1


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_install_leaves_nothing_and_does_not_block_the_next(setup) -> None:
    """A real process takes the device's row lock as the install does, and is killed (SIGKILL)
    holding it: the reconciler's install is not blocked by it, and installs once."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks held by another connection: PostgreSQL (SQLite locks the whole file)")
    device = _enrolled_unconfigured(setup)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time, psycopg
                with psycopg.connect({database_url("default").replace("postgres://", "postgresql://")!r}) as db:
                    db.execute("SELECT id FROM {Device._meta.db_table} WHERE id = %s FOR UPDATE", [{device.pk}])
                    print("locked", flush=True)
                    time.sleep(600)
                """
            ),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"locked"
        os.kill(holder.pid, signal.SIGKILL)  # killed holding the lock, mid-install
        holder.wait(timeout=10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '10s'")  # a lock left behind fails, never hangs
        enrolled = device.enrolled_at
        assert enrolled is not None
        with clock.frozen_at(enrolled + timedelta(seconds=64)):
            assert mdm_jobs_reconcile() == 1
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=10)
    device.refresh_from_db()
    assert device.configured_at is not None
    assert _installs() == 1
