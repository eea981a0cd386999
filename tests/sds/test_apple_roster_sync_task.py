"""A real worker process syncs the roster to the mock Apple School Manager, served over HTTP."""

from __future__ import annotations

import time

import pytest

from mock_apple.models import Organization
from mock_apple.models import Person as ApplePerson
from sds import tasks, uploads
from sds.models import AppleRosterSync
from sds.tasks import apple_roster_sync_task
from tests.conftest import worker_log
from tests.mock_apple.conftest import dep_server, live, organization_create  # noqa: F401
from tests.sds.apple import apple_token
from tests.sds.apple_syncs import make_sync
from tests.sds.conftest import sample


@pytest.fixture
def organization(settings, dep_server) -> Organization:  # noqa: F811
    settings.APPLE_BASE_URL = dep_server
    return organization_create(devices=0)


@pytest.fixture
def worker(organization, request) -> str:
    """The worker starts once the portal points at the served mock (it inherits APPLE_BASE_URL)."""
    return str(request.getfixturevalue("celery_worker"))


def wait_until_done(timeout: float = 60) -> AppleRosterSync:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sync = AppleRosterSync.objects.first()
        if sync is not None and not sync.is_pending:
            return sync
        time.sleep(0.25)
    raise AssertionError(f"no sync finished within {timeout} s")


@pytest.mark.integration
@live
class AppleRosterSyncTaskTests:
    def test_a_worker_imports_then_syncs_to_apple_school_manager(
        self, worker, organization, classic_profile, admin_user
    ) -> None:
        apple_token(organization)
        # The upload commits; the worker imports it; the import's signal queues the sync, which
        # the worker runs against the mock Apple service in its own process.
        uploads.roster_upload_create(actor=admin_user, profile=classic_profile, files=sample("v1-25-users"))
        sync = wait_until_done()
        assert sync.state == AppleRosterSync.State.SUCCEEDED, worker_log(worker)
        assert (sync.trigger, sync.people_created, sync.batches_done) == ("import", 24, 3)
        assert ApplePerson.objects.get(person_id="13001").managed_apple_id == "ora.klein@appleid.contoso.edu"


class AppleRosterSyncTaskFailureTests:
    def test_a_crash_marks_the_sync_failed_rather_than_leaving_it_pending(
        self, imported_classic, admin_user, monkeypatch
    ) -> None:
        sync = make_sync(imported_classic.profile, state="running", batches_done=1, requested_by=admin_user)

        def crash(**kwargs):
            raise RuntimeError("the worker lost its database")

        monkeypatch.setattr(tasks, "apple_roster_sync_run", crash)
        with pytest.raises(RuntimeError):
            apple_roster_sync_task.delay(sync.pk)  # eager in unit tests
        sync.refresh_from_db()
        assert (sync.state, sync.error_code) == ("failed", "WORKER_ERROR")
        assert sync.finished_at is not None
