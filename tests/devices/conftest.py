"""Fixtures of the devices tests: tokens and devices in bulk, a token that exists on the mock
Apple service (served over real HTTP in its own process), real Celery worker processes, and a
device set up for enrollment (the device blade's tests; tests/mdm uses it too)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from asm_portal import clock
from asm_portal.celery import app as celery_app
from devices.models import Device, EnrollmentState, ProfileStatus, SyncRun, TokenSyncState
from devices.sync_requests import sync_queue
from mdm.models import DirectoryUser
from mock_apple.models import Device as AppleDevice
from mock_apple.models import MdmServer, Organization
from mock_apple.services import assignments as apple_assignments
from tests.conftest import ARTIFACTS, celery_worker_start, subprocess_env, workers_stop
from tests.mock_apple.conftest import control, dep_server, live, organization_create, server_with_token  # noqa: F401
from tests.profiles.conftest import profile_create, token_create
from tokens.models import EnrollmentProgramToken

__all__ = ["control", "dep_server", "live", "profile_create", "token_create"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def devices_create(
    token: EnrollmentProgramToken, count: int, *, prefix: str = "DMPQ", start: int = 0, **fields: Any
) -> list[Device]:
    """`count` devices of the token, as a sync leaves them (bulk, for the grid tests)."""
    now = clock.now()
    values: dict[str, Any] = {
        "model": "iPad (10th generation)",
        "description": "IPAD 10TH GEN WI-FI 64GB SILVER",
        "color": "SILVER",
        "os": "iPadOS",
        "device_family": "iPad",
        "profile_status": ProfileStatus.EMPTY,
        "enrollment_state": EnrollmentState.NOT_CONTACTED,
        **fields,
    }
    return Device.objects.bulk_create(
        Device(
            token=token,
            serial_number=f"{prefix}{index:06d}",
            created_at=now,
            updated_at=now,
            **values,
        )
        for index in range(start, start + count)
    )


def sync_state_synced(
    token: EnrollmentProgramToken, *, full_days_ago: float = 1, cursor: str = "CURSOR"
) -> TokenSyncState:
    """A token whose last full sync succeeded `full_days_ago` days ago."""
    return TokenSyncState.objects.create(
        token=token,
        cursor=cursor,
        last_full_sync_at=clock.now() - timedelta(days=full_days_ago),
        next_must_be_full=False,
    )


def run_failed(
    token: EnrollmentProgramToken, *, error_code: str, requested_ago: timedelta = timedelta(0), **fields: Any
) -> SyncRun:
    """A manual full sync that failed just now, requested `requested_ago` (its window runs on)."""
    now = clock.now()
    requested_at = now - requested_ago
    values: dict[str, Any] = {
        "token": token,
        "kind": "full",
        "trigger": "manual",
        "state": SyncRun.State.FAILED,
        "error_code": error_code,
        "requested_at": requested_at,
        "deadline_at": requested_at + timedelta(seconds=settings.SYNC_REQUEST_WINDOW_SECONDS),
        "finished_at": now,
        **fields,
    }
    return SyncRun.objects.create(**values)


def run_finish(run: SyncRun, state: str = SyncRun.State.SUCCEEDED) -> None:
    SyncRun.objects.filter(pk=run.pk).update(state=state, finished_at=clock.now())


def sync_now(token: EnrollmentProgramToken, trigger: str = SyncRun.Trigger.MANUAL) -> SyncRun:
    """Queue a run as the portal does: on commit its task runs, here in this process (eager)."""
    with transaction.atomic():
        run = sync_queue(token=token, trigger=trigger)
    assert run is not None
    run.refresh_from_db()
    assert not run.is_active
    return run


def portal_serials(token: EnrollmentProgramToken, **filters: Any) -> set[str]:
    return set(Device.objects.filter(token=token, **filters).values_list("serial_number", flat=True))


def devices_populated() -> EnrollmentProgramToken:
    """A token with devices in every state the token blade counts."""
    token = token_create("Lycée Jean Moulin - Intune")
    profile = profile_create(token)
    devices_create(token, 3, prefix="NEW")  # missing profile
    devices_create(token, 2, prefix="READY", assigned_profile=profile)
    devices_create(
        token, 1, prefix="ENR", assigned_profile=profile, enrollment_state=EnrollmentState.ENROLLED
    )
    devices_create(
        token, 1, prefix="RST", assigned_profile=profile, enrollment_state=EnrollmentState.PENDING_RESET
    )
    devices_create(token, 1, prefix="GONE", removed_by_apple=True, removed_at=clock.now())
    return token


@dataclass
class AppleToken:
    """A token of the portal and the MDM server it speaks for on the mock Apple service."""

    token: EnrollmentProgramToken
    server: MdmServer
    organization: Organization
    base_url: str

    def apple_serials(self) -> set[str]:
        return set(AppleDevice.objects.filter(mdm_server=self.server).values_list("serial_number", flat=True))

    def assign(self, count: int) -> None:
        """The ASM administrator assigns more devices to the MDM server (`added` on its feed)."""
        apple_assignments.devices_assign_unassigned(
            server=self.server, count=count, assigned_by="admin@appleid.contoso.edu"
        )

    def unassign(self, serials: list[str]) -> None:
        ids = AppleDevice.objects.filter(serial_number__in=serials).values_list("pk", flat=True)
        apple_assignments.devices_unassign(actor=None, organization=self.organization, device_ids=list(ids))


def apple_token_create(base_url: str, *, inventory: int = 40, assigned: int = 12) -> AppleToken:
    organization = organization_create(devices=inventory)
    server, values = server_with_token(organization, devices=assigned)
    token = token_create(credentials=values, server_uuid=server.server_uuid)
    return AppleToken(token=token, server=server, organization=organization, base_url=base_url)


@pytest.fixture
def apple_token(settings, dep_server) -> AppleToken:  # noqa: F811
    """A token whose MDM server has 12 of the organisation's 40 devices, Apple over real HTTP."""
    settings.APPLE_BASE_URL = dep_server
    settings.SYNC_RETRY_BACKOFF_SECONDS = 0
    return apple_token_create(dep_server)


# --- Real worker processes ------------------------------------------------------------------------


@pytest.fixture
def worker_env(monkeypatch, dep_server):  # noqa: F811
    """What every worker process of a test is told: where Apple is, no back-off wait."""
    monkeypatch.setenv("APPLE_BASE_URL", dep_server)
    monkeypatch.setenv("SYNC_RETRY_BACKOFF_SECONDS", "0")
    return dep_server


def finished(run_id: int) -> SyncRun | None:
    run = SyncRun.objects.get(pk=run_id)
    return None if run.is_active else run


@dataclass
class Worker:
    queue: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else "(no worker log)"

    def kill(self) -> None:
        """SIGKILL to the worker's whole process group: no warm shutdown, no ack."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture
def workers(transactional_db: None, monkeypatch) -> Iterator[Callable[..., Worker]]:
    """Start real Celery worker processes on a private queue (each in its own process group, so
    a test can kill one as a crash would), with extra environment variables."""
    queue = f"asm-devices-{uuid.uuid4().hex[:8]}"
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    started: list[Worker] = []
    ARTIFACTS.mkdir(exist_ok=True)

    def start(**env: str) -> Worker:
        log = ARTIFACTS / f"worker-{queue}-{len(started)}.log"
        worker = Worker(
            queue, celery_worker_start(queue, log, env=subprocess_env(**env), own_session=True), log
        )
        started.append(worker)
        return worker

    yield start
    workers_stop(started)
    celery_app.conf.task_default_queue = "celery"


def wait_for(condition: Callable[[], Any], *, timeout: float = 60, message: Callable[[], str] = str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s\n{message()}")


# --- Enrollment (the device blade's tests; tests/mdm for the device-facing server) ------------------


DIRECTORY_PASSWORD = "Student-Pass-1!"


@dataclass
class EnrollmentSetup:
    """A token, a profile defined at Apple (its uuid) and a device assigned it, plus a user."""

    token: EnrollmentProgramToken
    profile: Any
    device: Device
    user: Any

    def url(self, suffix: str = "") -> str:
        return f"/enroll/{self.token.pk}/{suffix}"


def enrollment_setup_create(*, serial: str = "DMPQ000001", **profile_values: Any) -> EnrollmentSetup:
    token = token_create()
    profile = profile_create(token, **profile_values)
    profile.apple_profile_uuid = uuid.uuid4().hex.upper()
    profile.save(update_fields=["apple_profile_uuid"])
    [device] = devices_create(
        token,
        1,
        prefix=serial[:4],
        start=int(serial[4:]),
        assigned_profile=profile,
        apple_profile_uuid=profile.apple_profile_uuid,
        profile_status=ProfileStatus.ASSIGNED,
    )
    user = DirectoryUser.objects.create(
        upn="OKlein@contoso.onmicrosoft.com",
        display_name="Ora Klein",
        job_title="Student",
        password=make_password(DIRECTORY_PASSWORD),
        created_at=clock.now(),
    )
    return EnrollmentSetup(token, profile, device, user)
