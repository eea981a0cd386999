"""A real worker process validates and imports the uploads the portal queues."""

from __future__ import annotations

import time

import pytest

from asm_portal.tenancy import require_tenant
from mock_apple.models import Organization
from mock_apple.models import Person as ApplePerson
from sds import tasks, uploads
from sds.models import AppleRosterSync, Person, RosterUpload
from sds.tasks import apple_roster_sync_task, roster_upload_process_task
from tests.conftest import worker_log
from tests.mock_apple.conftest import dep_server, live, organization_create  # noqa: F401
from tests.sds.apple import apple_token
from tests.sds.apple_syncs import make_sync
from tests.sds.conftest import edited, sample


def wait_until_processed(upload: RosterUpload, timeout: float = 60) -> RosterUpload:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        upload.refresh_from_db()
        if not upload.is_pending:
            return upload
        time.sleep(0.25)
    raise AssertionError(f"the worker left the upload {upload.state} for {timeout} s")


@pytest.mark.integration
class RosterUploadProcessTaskTests:
    def test_a_worker_imports_a_good_upload_and_rejects_a_bad_one(
        self, celery_worker, classic_profile, admin_user
    ) -> None:
        # transactional_db: the upload commits, on_commit enqueues, the worker picks it up.
        good = uploads.roster_upload_create(
            actor=admin_user, profile=classic_profile, files=sample("v1-25-users")
        )
        good = wait_until_processed(good)
        assert good.state == RosterUpload.State.SUCCEEDED
        assert good.person_count == 24
        assert Person.objects.get(sis_id="13001").username == "OKlein@contoso.edu"

        files = edited(sample("v1-25-users"), "Student.csv", replace=("13001,10001,Ora", "13001,10001,Dora"))
        files = edited(files, "StudentEnrollment.csv", append="99999,13001")
        bad = uploads.roster_upload_create(actor=admin_user, profile=classic_profile, files=files)
        bad = wait_until_processed(bad)
        assert bad.state == RosterUpload.State.REJECTED
        assert list(bad.issues.values_list("line", "code")) == [(46, "InvalidLookupReference")]
        assert Person.objects.get(sis_id="13001").given_name == "Ora"


class RosterUploadProcessTaskFailureTests:
    def test_a_crash_marks_the_upload_failed_rather_than_leaving_it_pending(
        self, classic_profile, admin_user, monkeypatch
    ) -> None:
        upload = uploads.roster_upload_create(
            actor=admin_user, profile=classic_profile, files=sample("v1-25-users")
        )

        def crash(**kwargs):
            raise RuntimeError("the database went away")

        monkeypatch.setattr(tasks, "roster_upload_process", crash)
        with pytest.raises(RuntimeError):
            roster_upload_process_task.delay(require_tenant().pk, upload.pk)  # eager in unit tests
        upload.refresh_from_db()
        assert upload.state == RosterUpload.State.FAILED
        assert all(f.content is None for f in upload.files.all())


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
            apple_roster_sync_task.delay(require_tenant().pk, sync.pk)  # eager in unit tests
        sync.refresh_from_db()
        assert (sync.state, sync.error_code) == ("failed", "WORKER_ERROR")
        assert sync.finished_at is not None
