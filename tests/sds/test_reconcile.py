"""The reconciler's part for School Data Sync's jobs (roster uploads, roster pushes to Apple
School Manager): what nobody is doing is sent again, and the task resumes it or fails it with
its reason. Tasks run inline (eager), so each `sds_jobs_reconcile()` also runs what it sends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from asm_portal import clock
from mock_apple.models import Organization
from mock_apple.models import Person as ApplePerson
from sds import uploads
from sds.models import AppleRosterSync, RosterUpload, SyncProfile
from sds.tasks import sds_jobs_reconcile
from tests.conftest import dead_owner, live_owner
from tests.mock_apple.conftest import dep_server, live, organization_create  # noqa: F401
from tests.sds.apple import apple_token
from tests.sds.apple_syncs import make_sync
from tests.sds.conftest import sample, upload_and_process

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _resend_after_a_minute(settings) -> None:
    settings.JOBS_RESEND_AFTER_SECONDS = 60
    settings.JOBS_LEASE_SECONDS = 600
    settings.JOBS_MAX_ATTEMPTS = 3


def _queued(profile: SyncProfile, admin_user) -> RosterUpload:
    """An upload whose message never reached a worker: the test's transaction never commits,
    so its on-commit send never happens."""
    upload = uploads.roster_upload_create(actor=admin_user, profile=profile, files=sample("v1-25-users"))
    assert RosterUpload.objects.get(pk=upload.pk).state == RosterUpload.State.QUEUED
    return upload


def _started(upload: RosterUpload, *, state: str, owner: str, expires_in: int, attempts: int = 1) -> None:
    """As a worker leaves the upload when it is killed mid-job (its transaction rolled back)."""
    RosterUpload.objects.filter(pk=upload.pk).update(
        state=state,
        started_at=clock.now(),
        lease_owner=owner,
        lease_expires_at=clock.now() + timedelta(seconds=expires_in),
        attempts=attempts,
    )


class RosterUploadReconcileTests:
    def test_a_queued_upload_nobody_started_is_sent_again_and_imported(
        self, classic_profile, admin_user
    ) -> None:
        upload = _queued(classic_profile, admin_user)
        start = clock.now()
        with clock.frozen_at(start + timedelta(seconds=30)):
            assert sds_jobs_reconcile() == 0  # its message may still be on its way
        with clock.frozen_at(start + timedelta(seconds=61)):
            assert sds_jobs_reconcile() == 1
        upload.refresh_from_db()
        assert (upload.state, upload.person_count, upload.attempts) == (RosterUpload.State.SUCCEEDED, 24, 1)
        assert upload.lease_owner == ""
        assert sds_jobs_reconcile() == 0  # done: never again

    def test_an_upload_whose_lease_expired_is_resumed_from_its_files(
        self, classic_profile, admin_user
    ) -> None:
        upload = _queued(classic_profile, admin_user)
        _started(upload, state=RosterUpload.State.IMPORTING, owner="another-host:41:x", expires_in=600)
        assert sds_jobs_reconcile() == 0  # a live lease (another host's): left to its holder
        with clock.frozen_at(clock.now() + timedelta(seconds=601)):
            assert sds_jobs_reconcile() == 1
        upload.refresh_from_db()
        assert (upload.state, upload.person_count, upload.attempts) == (RosterUpload.State.SUCCEEDED, 24, 2)
        assert all(file.content is None for file in upload.files.all())  # forgotten at the end

    def test_a_live_lease_of_a_process_that_is_gone_is_taken_over_at_once(
        self, classic_profile, admin_user
    ) -> None:
        upload = _queued(classic_profile, admin_user)
        _started(upload, state=RosterUpload.State.VALIDATING, owner=live_owner(), expires_in=600)
        assert sds_jobs_reconcile() == 0  # its holder is alive
        _started(upload, state=RosterUpload.State.VALIDATING, owner=dead_owner(), expires_in=600)
        assert sds_jobs_reconcile() == 1
        upload.refresh_from_db()
        assert (upload.state, upload.person_count, upload.attempts) == (RosterUpload.State.SUCCEEDED, 24, 2)

    def test_an_upload_lost_too_many_times_fails_with_its_reason(self, classic_profile, admin_user) -> None:
        upload = _queued(classic_profile, admin_user)
        _started(upload, state=RosterUpload.State.IMPORTING, owner=dead_owner(), expires_in=600, attempts=3)
        assert sds_jobs_reconcile() == 1
        upload.refresh_from_db()
        assert (upload.state, upload.error_count, upload.person_count) == (RosterUpload.State.FAILED, 1, 0)
        (issue,) = upload.issues.all()
        with translation.override("fr"):
            assert "arrêtée de façon inattendue" in issue.message, issue.message
        assert "3 times" in issue.message
        assert all(file.content is None for file in upload.files.all())
        assert sds_jobs_reconcile() == 0


@pytest.fixture
def organization(settings, dep_server) -> Organization:  # noqa: F811
    settings.APPLE_BASE_URL = dep_server
    settings.SYNC_RETRY_BACKOFF_SECONDS = 0
    return organization_create(devices=0)


@live
class AppleRosterSyncReconcileTests:
    @pytest.fixture
    def synced(self, organization, classic_profile, admin_user) -> AppleRosterSync:
        """The roster imported and pushed to Apple once (Apple holds its 24 people)."""
        apple_token(organization)
        upload_and_process(classic_profile, sample("v1-25-users"), admin_user)
        sync = AppleRosterSync.objects.get()
        assert (sync.state, sync.people_created) == (AppleRosterSync.State.SUCCEEDED, 24)
        return sync

    def _again(self, synced: AppleRosterSync, **fields) -> AppleRosterSync:
        values = {
            "token": synced.token,
            "state": AppleRosterSync.State.QUEUED,
            "batches_done": 0,
            "locations_created": 0,
            "people_created": 0,
            "classes_created": 0,
            **fields,
        }
        return make_sync(synced.profile, **values)

    def test_a_queued_sync_nobody_started_is_sent_again(self, synced) -> None:
        sync = self._again(synced, created_at=clock.now() - timedelta(seconds=61))
        assert sds_jobs_reconcile() == 1
        sync.refresh_from_db()
        assert (sync.state, sync.batches_done, sync.people_updated) == (
            AppleRosterSync.State.SUCCEEDED,
            3,
            24,
        )
        assert ApplePerson.objects.count() == 24

    def test_a_sync_whose_lease_expired_resumes_after_its_last_counted_batch(self, synced) -> None:
        # Killed after the locations' batch was counted: the next worker sends people and
        # classes only (the locations' counts stay as they were), and Apple updates what the lost
        # worker may have sent: nobody twice.
        sync = self._again(
            synced,
            state=AppleRosterSync.State.RUNNING,
            started_at=clock.now(),
            batches_done=1,
            locations_updated=2,
            lease_owner="another-host:41:x",
            lease_expires_at=clock.now() + timedelta(seconds=600),
            attempts=1,
        )
        assert sds_jobs_reconcile() == 0
        # Its lease runs out (not the clock moved on: Apple refuses OAuth ten minutes off).
        AppleRosterSync.objects.filter(pk=sync.pk).update(lease_expires_at=clock.now() - timedelta(seconds=1))
        assert sds_jobs_reconcile() == 1
        sync.refresh_from_db()
        assert (sync.state, sync.batches_done, sync.attempts) == (AppleRosterSync.State.SUCCEEDED, 3, 2)
        assert (sync.locations_created, sync.locations_updated) == (0, 2)  # not sent again
        assert (sync.people_created, sync.people_updated, sync.classes_updated) == (0, 24, 2)
        assert ApplePerson.objects.count() == 24

    def _dead_owner_s(self, synced: AppleRosterSync, *, attempts: int) -> AppleRosterSync:
        """Running, its live lease held by a process that is gone."""
        return self._again(
            synced,
            state=AppleRosterSync.State.RUNNING,
            started_at=clock.now(),
            lease_owner=dead_owner(),
            lease_expires_at=clock.now() + timedelta(seconds=600),
            attempts=attempts,
        )

    def test_a_live_lease_of_a_process_that_is_gone_is_taken_over(self, synced) -> None:
        sync = self._dead_owner_s(synced, attempts=1)
        assert sds_jobs_reconcile() == 1
        sync.refresh_from_db()
        assert (sync.state, sync.batches_done, sync.attempts) == (AppleRosterSync.State.SUCCEEDED, 3, 2)

    def test_a_sync_lost_too_many_times_fails_with_its_reason(self, synced) -> None:
        sync = self._dead_owner_s(synced, attempts=3)
        assert sds_jobs_reconcile() == 1
        sync.refresh_from_db()
        assert (sync.state, sync.error_code, sync.batches_done) == ("failed", "WORKER_ERROR", 0)
        assert sync.finished_at is not None
