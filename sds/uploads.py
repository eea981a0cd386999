"""Roster uploads as they come in: reading the files (separate CSV files or one .zip) within the
size limit, keeping them encrypted, and queueing their validation and import for a worker."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Protocol

from django.conf import settings
from django.contrib.auth.models import User
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from asm_portal import clock, roles
from asm_portal.models import AuditEvent
from asm_portal.refusals import Refusal
from asm_portal.roles import Actor
from asm_portal.services import audit_record
from sds.models import RosterFile, RosterUpload, SyncProfile
from sds.tasks import roster_upload_enqueue_on_commit


class RosterUploadError(Refusal):
    """An upload that cannot even be queued (too large, not a zip…); the message is translated."""


class UploadedFileLike(Protocol):
    name: str | None
    size: int | None

    def read(self, size: int = -1, /) -> bytes: ...


def _is_ignored_member(path: PurePosixPath) -> bool:
    # Folders, and the resource forks and hidden files that macOS and others add to archives.
    return "__MACOSX" in path.parts or path.name.startswith(".")


def _unzip(data: bytes, *, budget: int) -> dict[str, bytes]:
    """The files of a .zip, read no further than `budget` bytes in all (zip bombs stop there)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError):
        raise RosterUploadError(
            _("The .zip file cannot be opened: it is damaged or not a zip archive.")
        ) from None
    files: dict[str, bytes] = {}
    for info in members:
        path = PurePosixPath(info.filename)
        if _is_ignored_member(path):
            continue
        if path.name in files:
            raise RosterUploadError(_("The .zip file holds %(file)s more than once.") % {"file": path.name})
        try:
            with archive.open(info) as member:
                content = member.read(budget + 1)
        except RuntimeError:
            raise RosterUploadError(_("Encrypted .zip files are not supported.")) from None
        except (zipfile.BadZipFile, NotImplementedError, OSError):
            raise RosterUploadError(
                _("The .zip file cannot be opened: it is damaged or not a zip archive.")
            ) from None
        budget -= len(content)
        if budget < 0:
            raise roster_too_large()
        files[path.name] = content
    return files


def roster_too_large() -> RosterUploadError:
    return RosterUploadError(
        _("The roster is larger than %(size)s, the largest upload allowed.")
        % {"size": filesizeformat(settings.ASM_MAX_CSV_UPLOAD_BYTES)}
    )


def roster_files_read(*, uploads: Iterable[UploadedFileLike]) -> dict[str, bytes]:
    """The CSV files of an upload, by name: separate files, one .zip, or both.

    The size limit counts what the CSV files hold, zipped or not.
    """
    budget = settings.ASM_MAX_CSV_UPLOAD_BYTES
    files: dict[str, bytes] = {}
    for upload in uploads:
        name = PurePosixPath((upload.name or "").replace("\\", "/")).name
        if (upload.size or 0) > budget:
            raise roster_too_large()
        data = upload.read(budget + 1)
        members = _unzip(data, budget=budget) if name.lower().endswith(".zip") else {name: data}
        for member, content in members.items():
            budget -= len(content)
            if budget < 0:
                raise roster_too_large()
            if member in files:
                raise RosterUploadError(_("%(file)s is in the upload more than once.") % {"file": member})
            files[member] = content
    if not files:
        raise RosterUploadError(_("Choose the roster's CSV files, or one .zip file that holds them."))
    return files


def roster_upload_create(
    *,
    actor: Actor,
    profile: SyncProfile,
    files: dict[str, bytes],
    language: str = "",
) -> RosterUpload:
    """Keep the files (encrypted by their field) and queue their validation and import for a worker."""
    roles.require_change_permission(actor)
    user = actor if isinstance(actor, User) else None
    upload = RosterUpload.objects.create(
        profile=profile,
        uploaded_by=user,
        uploaded_by_name=user.get_username() if user else "system",
        created_at=clock.now(),
        file_names=sorted(files),
        total_bytes=sum(len(content) for content in files.values()),
        language=language or settings.LANGUAGE_CODE,
    )
    RosterFile.objects.bulk_create(
        RosterFile(upload=upload, name=name, size=len(content), content=content)
        for name, content in sorted(files.items())
    )
    audit_record(
        actor=actor,
        category=AuditEvent.Category.SCHOOL_DATA_SYNC,
        action=gettext_noop("Upload roster"),
        target=profile,
        details={"upload": upload.pk, "files": upload.file_names, "bytes": upload.total_bytes},
    )
    roster_upload_enqueue_on_commit(upload_id=upload.pk)
    return upload
