"""A real worker process validates and imports the uploads the portal queues."""

from __future__ import annotations

import time

import pytest

from sds import tasks, uploads
from sds.models import Person, RosterUpload
from sds.tasks import roster_upload_process_task
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
            roster_upload_process_task.delay(upload.pk)  # eager in unit tests
        upload.refresh_from_db()
        assert upload.state == RosterUpload.State.FAILED
        assert all(f.content is None for f in upload.files.all())
