"""Queueing an upload: the files kept encrypted for the worker, the task enqueued on commit."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from asm_portal.models import AuditEvent
from sds import uploads
from sds.models import RosterUpload
from tests.sds.conftest import raw_content, sample


class RosterUploadCreateTests:
    def test_it_keeps_the_files_encrypted_and_queues_the_task(
        self, classic_profile, admin_user, django_capture_on_commit_callbacks
    ) -> None:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            upload = uploads.roster_upload_create(
                actor=admin_user, profile=classic_profile, files=sample("v1-25-users")
            )
        assert len(callbacks) == 1
        assert upload.state == RosterUpload.State.QUEUED
        school = upload.files.get(name="School.csv")
        assert school.size == len(sample("v1-25-users")["School.csv"])
        assert school.content == sample("v1-25-users")["School.csv"]
        assert b"Contoso" not in raw_content(school)
        assert upload.file_names == sorted(sample("v1-25-users"))
        assert AuditEvent.objects.get(action="Upload roster").details["files"] == upload.file_names

    def test_read_only_operators_cannot_upload(self, classic_profile, operator_user) -> None:
        with pytest.raises(PermissionDenied):
            uploads.roster_upload_create(
                actor=operator_user, profile=classic_profile, files=sample("v1-25-users")
            )
        assert not RosterUpload.objects.exists()
