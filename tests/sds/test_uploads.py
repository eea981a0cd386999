"""Roster uploads as they come in: reading the files (separate CSV files or a .zip, within the size
limit), keeping them encrypted and queueing them for the worker."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from asm_portal.models import AuditEvent
from sds import uploads
from sds.models import RosterUpload
from tests.sds.conftest import raw_content, sample


def zipped(files: dict[str, bytes], **extra: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in {**files, **extra}.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def uploaded(**files: bytes) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(name.replace("__", "."), content) for name, content in files.items()]


class RosterFilesReadTests:
    def test_it_reads_separate_files(self) -> None:
        files = sample("v1-25-users")
        read = uploads.roster_files_read(uploads=[SimpleUploadedFile(n, c) for n, c in files.items()])
        assert read == files

    def test_it_reads_a_zip_in_a_folder_and_skips_what_archivers_add(self) -> None:
        files = sample("v2.1")
        archive = zipped(
            {f"roster/{name}": content for name, content in files.items()},
            **{"__MACOSX/roster/._users.csv": b"\x00\x05", "roster/.DS_Store": b"\x00"},
        )
        read = uploads.roster_files_read(uploads=uploaded(roster__zip=archive))
        assert read == files

    def test_it_refuses_a_damaged_zip(self) -> None:
        with pytest.raises(uploads.RosterUploadError, match="damaged or not a zip"):
            uploads.roster_files_read(uploads=uploaded(roster__zip=b"PK\x03\x04 not really"))

    def test_it_refuses_a_file_twice(self) -> None:
        files = sample("v1-25-users")
        archive = zipped({"School.csv": files["School.csv"]})
        with pytest.raises(uploads.RosterUploadError, match="School.csv is in the upload more than once"):
            uploads.roster_files_read(
                uploads=[*uploaded(roster__zip=archive), SimpleUploadedFile("School.csv", b"x")]
            )

    def test_it_refuses_a_roster_over_the_limit_zipped_or_not(self, settings) -> None:
        settings.ASM_MAX_CSV_UPLOAD_BYTES = 4000
        big = b"SIS ID,Name\n" + b"1,School\n" * 600
        with pytest.raises(uploads.RosterUploadError, match="larger than"):
            uploads.roster_files_read(uploads=uploaded(School__csv=big))
        # Zipped, it is small; unzipped, it is not, and reading stops at the limit.
        archive = zipped({"School.csv": big})
        assert len(archive) < 4000
        with pytest.raises(uploads.RosterUploadError, match="larger than"):
            uploads.roster_files_read(uploads=uploaded(roster__zip=archive))

    def test_the_limit_counts_all_files_together(self, settings) -> None:
        settings.ASM_MAX_CSV_UPLOAD_BYTES = 3000
        part = b"x" * 1600
        with pytest.raises(uploads.RosterUploadError, match="larger than"):
            uploads.roster_files_read(uploads=uploaded(School__csv=part, Student__csv=part))

    def test_it_refuses_an_upload_without_files(self) -> None:
        with pytest.raises(uploads.RosterUploadError, match="Choose the roster"):
            uploads.roster_files_read(uploads=uploaded(roster__zip=zipped({})))


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
