"""A database error during an import never leaves a failed upload with an empty report."""

from __future__ import annotations

import pytest
from django.db import DataError

from sds import importing, roster_import, validation
from sds.models import Person, RosterUpload
from sds.uploads import roster_upload_create
from tests.sds.conftest import sample, upload_and_process


@pytest.mark.django_db
def test_a_database_error_fails_the_upload_with_its_reason(classic_profile, admin_user, monkeypatch) -> None:
    def refused(**kwargs: object) -> None:
        raise DataError("value too long for type character varying(255)")

    monkeypatch.setattr(importing, "roster_write", refused)
    upload = upload_and_process(classic_profile, sample("v1-25-users"), admin_user)
    assert upload.state == RosterUpload.State.FAILED
    codes = list(upload.issues.values_list("code", flat=True))
    assert validation.IMPORT_FAILED in codes
    assert upload.error_count == codes.count(validation.IMPORT_FAILED) >= 1
    assert "nothing was imported" in upload.issues.get(code=validation.IMPORT_FAILED).message
    assert not Person.objects.exists()
    assert not upload.files.exclude(content=None).exists()  # the files are forgotten


@pytest.mark.django_db
def test_a_crashed_worker_leaves_a_reason_in_the_report(classic_profile, admin_user) -> None:
    upload = roster_upload_create(actor=admin_user, profile=classic_profile, files=sample("v1-25-users"))
    roster_import.roster_upload_fail(upload_id=upload.pk)
    upload.refresh_from_db()
    assert upload.state == RosterUpload.State.FAILED
    assert list(upload.issues.values_list("code", flat=True)) == [validation.IMPORT_FAILED]
    assert upload.error_count == 1
