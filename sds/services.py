"""School Data Sync: sync profiles, roster uploads, and their validation and import."""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath
from typing import Any, Protocol

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from asm_portal import clock, roles
from asm_portal.models import AuditEvent, Notification
from asm_portal.services import audit_record, notification_send
from sds import apple_roster, importing, signals, validation
from sds.models import AppleRosterSync, RosterFile, RosterUpload, SyncProfile, ValidationIssue
from sds.sharing import token_sds_shared
from tokens.apple_errors import apple_error_message
from tokens.dep_client import DepError
from tokens.models import EnrollmentProgramToken
from tokens.services import (
    token_apple_call_failed,
    token_apple_call_succeeded,
    token_dep_client,
)

logger = logging.getLogger(__name__)

# A report lists this many issues at most; the counts always cover all of them.
MAX_STORED_ISSUES = 1000


class RosterUploadError(Exception):
    """An upload that cannot even be queued (too large, not a zip…); the message is translated."""


class UploadedFileLike(Protocol):
    name: str | None
    size: int | None

    def read(self, size: int = -1, /) -> bytes: ...


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.FIELD_ENCRYPTION_KEYS])


def sync_profile_create(
    *,
    actor: AbstractBaseUser | AnonymousUser,
    name: str,
    roster_format: str,
    domain_suffix: str = "",
) -> SyncProfile:
    roles.require_change_permission(actor)
    profile = SyncProfile.objects.create(
        name=name,
        roster_format=roster_format,
        domain_suffix=domain_suffix,
        created_at=clock.now(),
        created_by=actor if isinstance(actor, User) else None,
    )
    audit_record(
        actor=actor,
        category=AuditEvent.Category.SCHOOL_DATA_SYNC,
        action="Create sync profile",
        target=profile,
        details={"format": roster_format, "domain_suffix": domain_suffix},
    )
    return profile


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
    actor: AbstractBaseUser | AnonymousUser,
    profile: SyncProfile,
    files: dict[str, bytes],
    language: str = "",
) -> RosterUpload:
    """Keep the files (encrypted) and queue their validation and import for a worker."""
    from sds.tasks import roster_upload_process_task

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
    fernet = _fernet()
    RosterFile.objects.bulk_create(
        RosterFile(upload=upload, name=name, size=len(content), content=fernet.encrypt(content))
        for name, content in sorted(files.items())
    )
    audit_record(
        actor=actor,
        category=AuditEvent.Category.SCHOOL_DATA_SYNC,
        action="Upload roster",
        target=profile,
        details={"upload": upload.pk, "files": upload.file_names, "bytes": upload.total_bytes},
    )
    transaction.on_commit(lambda: roster_upload_process_task.delay(upload.pk))
    return upload


def _issue_order(names: tuple[str, ...]) -> Callable[[validation.Issue], tuple[bool, int, int]]:
    """Errors first, then the files in the format's order, then the lines."""

    def key(issue: validation.Issue) -> tuple[bool, int, int]:
        return (
            issue.severity != validation.ERROR,
            names.index(issue.file) if issue.file in names else -1,
            issue.line or 0,
        )

    return key


def roster_upload_process(*, upload_id: int) -> RosterUpload:
    """Validate an upload as SDS does; import it in one transaction if it has no errors."""
    upload = RosterUpload.objects.select_related("profile", "uploaded_by").get(pk=upload_id)
    if not upload.is_pending:
        return upload  # processed already (a task delivered twice)
    _state_set(upload, RosterUpload.State.VALIDATING, started_at=clock.now())
    fernet = _fernet()
    files = {file.name: fernet.decrypt(bytes(file.content)) for file in upload.files.all()}
    spec = upload.profile.spec
    result = validation.roster_validate(
        roster_format=spec, files=files, domain_suffix=upload.profile.domain_suffix
    )
    if not result.has_errors:
        _state_set(upload, RosterUpload.State.IMPORTING)
    present = sorted(name for name in files if name in spec.names)
    with transaction.atomic():
        # One import at a time per profile; the file-set rule reads the profile under the lock.
        profile = SyncProfile.objects.select_for_update().get(pk=upload.profile_id)
        if not result.has_errors:
            if RosterUpload.objects.filter(
                profile=profile, state=RosterUpload.State.SUCCEEDED, pk__gt=upload.pk
            ).exists():
                result.error("", None, "", validation.SUPERSEDED, "superseded")
            for issue in validation.file_set_check(
                roster_format=spec,
                previous=profile.file_set,
                present=present,
                missing_reported=result.missing_reported,
            ):
                result.add(issue)
        if not result.has_errors:
            roster = importing.roster_from_result(result, domain_suffix=profile.domain_suffix)
            counts = importing.roster_write(profile=profile, upload=upload, roster=roster)
            profile.file_set = sorted(set(profile.file_set) | set(present))
            profile.save(update_fields=["file_set"])
            upload.school_count = counts.schools
            upload.person_count = counts.people
            upload.class_count = counts.classes
            upload.enrollment_count = counts.enrollments
            upload.deactivated_count = counts.deactivated
            transaction.on_commit(
                lambda: signals.roster_imported.send(sender=SyncProfile, profile=profile, upload=upload)
            )
        issues = sorted(result.issues, key=_issue_order(spec.names))
        ValidationIssue.objects.bulk_create(
            ValidationIssue(
                upload=upload,
                severity=issue.severity,
                file=issue.file[:255],
                line=issue.line,
                column=issue.column[:255],
                code=issue.code,
                message_id=issue.message_id,
                params=issue.params,
            )
            for issue in issues[:MAX_STORED_ISSUES]
        )
        upload.state = RosterUpload.State.REJECTED if result.has_errors else RosterUpload.State.SUCCEEDED
        upload.finished_at = clock.now()
        upload.rows_read = result.rows_read
        upload.error_count = result.error_count
        upload.warning_count = result.warning_count
        upload.save()
        RosterFile.objects.filter(upload=upload).update(content=b"")
        _report_outcome(upload)
    return upload


def roster_upload_fail(*, upload_id: int) -> None:
    """The worker could not finish (a crash, a time limit): say so, and forget the files."""
    logger.exception("Roster upload %s failed", upload_id)
    with transaction.atomic():
        # Lock the upload's row only: PostgreSQL cannot lock the nullable side of an outer join.
        upload = (
            RosterUpload.objects.select_for_update(of=("self",))
            .select_related("profile", "uploaded_by")
            .filter(pk=upload_id)
            .first()
        )
        if upload is None or not upload.is_pending:
            return
        upload.state = RosterUpload.State.FAILED
        upload.finished_at = clock.now()
        upload.save(update_fields=["state", "finished_at"])
        RosterFile.objects.filter(upload=upload).update(content=b"")
        _report_outcome(upload)


def _progress(row: RosterUpload | AppleRosterSync, **fields: object) -> None:
    """A committed step of progress, so that the polling page sees it at once."""
    type(row).objects.filter(pk=row.pk).update(**fields)
    for name, value in fields.items():
        setattr(row, name, value)


def _state_set(upload: RosterUpload, state: str, **fields: object) -> None:
    _progress(upload, state=state, **fields)


def _report_outcome(upload: RosterUpload) -> None:
    succeeded = upload.state == RosterUpload.State.SUCCEEDED
    audit_record(
        actor=upload.uploaded_by,
        category=AuditEvent.Category.SCHOOL_DATA_SYNC,
        action="Import roster",
        target=upload.profile,
        result=AuditEvent.Result.SUCCESS if succeeded else AuditEvent.Result.FAILURE,
        details={
            "upload": upload.pk,
            "state": upload.state,
            "errors": upload.error_count,
            "warnings": upload.warning_count,
            "people": upload.person_count,
            "deactivated": upload.deactivated_count,
        },
    )
    if upload.uploaded_by is None:
        return
    # The worker has no request: speak the language the upload was made in.
    with translation.override(upload.language):
        if succeeded:
            title = _("Roster imported")
            people = ngettext("%(count)s person", "%(count)s people", upload.person_count) % {
                "count": upload.person_count
            }
            if upload.warning_count:
                body = ngettext(
                    "%(profile)s: %(people)s in the roster, with %(count)s warning.",
                    "%(profile)s: %(people)s in the roster, with %(count)s warnings.",
                    upload.warning_count,
                ) % {"profile": upload.profile.name, "people": people, "count": upload.warning_count}
            else:
                body = _("%(profile)s: %(people)s in the roster.") % {
                    "profile": upload.profile.name,
                    "people": people,
                }
            level = Notification.Level.WARNING if upload.warning_count else Notification.Level.SUCCESS
        elif upload.state == RosterUpload.State.REJECTED:
            title = _("Roster rejected")
            body = ngettext(
                "%(profile)s: %(count)s error. Nothing was imported.",
                "%(profile)s: %(count)s errors. Nothing was imported.",
                upload.error_count,
            ) % {"profile": upload.profile.name, "count": upload.error_count}
            level = Notification.Level.ERROR
        else:
            title = _("Roster upload failed")
            body = _(
                "%(profile)s: the upload could not be processed. Nothing was imported; upload it again."
            ) % {"profile": upload.profile.name}
            level = Notification.Level.ERROR
        notification_send(
            user=upload.uploaded_by,
            title=title,
            body=body,
            level=level,
            link=reverse("sds:upload_detail", args=[upload.pk]),
        )


# --- Syncs to Apple School Manager ---------------------------------------------------------------

# The failures a sync keeps to show (the counts cover them all).
MAX_STORED_FAILURES = 1000


class AppleRosterSyncError(Exception):
    """A sync that cannot be asked for (no token shared, nothing imported); the message is translated."""


def _profiles_with_roster() -> list[SyncProfile]:
    return list(
        SyncProfile.objects.filter(uploads__state=RosterUpload.State.SUCCEEDED).distinct().order_by("name")
    )


def _apple_roster_sync_queue(
    *,
    profile: SyncProfile,
    token: EnrollmentProgramToken,
    trigger: str,
    requested_by: User | None,
    language: str,
    upload: RosterUpload | None = None,
) -> AppleRosterSync:
    from sds.tasks import apple_roster_sync_task

    sync = AppleRosterSync.objects.create(
        profile=profile,
        upload=upload,
        token=token,
        token_name=token.token_name,
        trigger=trigger,
        requested_by=requested_by,
        language=language or settings.LANGUAGE_CODE,
        created_at=clock.now(),
    )
    transaction.on_commit(lambda: apple_roster_sync_task.delay(sync.pk))
    return sync


def apple_roster_sync_request(
    *, actor: AbstractBaseUser | AnonymousUser, language: str = ""
) -> list[AppleRosterSync]:
    """The "Sync to Apple School Manager" command: every sync profile's roster, through the shared token."""
    roles.require_change_permission(actor)
    token = token_sds_shared()
    if token is None:
        raise AppleRosterSyncError(
            _(
                "No enrollment program token is shared with School Data Sync. Allow School Data Sync on an "
                "Apple School Manager token first."
            )
        )
    profiles = _profiles_with_roster()
    if not profiles:
        raise AppleRosterSyncError(_("No roster has been imported yet: upload one first."))
    user = actor if isinstance(actor, User) else None
    with transaction.atomic():
        syncs = [
            _apple_roster_sync_queue(
                profile=profile,
                token=token,
                trigger=AppleRosterSync.Trigger.MANUAL,
                requested_by=user,
                language=language,
            )
            for profile in profiles
        ]
        audit_record(
            actor=actor,
            category=AuditEvent.Category.SCHOOL_DATA_SYNC,
            action="Sync rosters to Apple School Manager",
            target=token,
            target_type="Enrollment program token",
            details={
                "profiles": [profile.name for profile in profiles],
                "syncs": [sync.pk for sync in syncs],
            },
        )
    return syncs


def apple_roster_sync_after_import(*, profile: SyncProfile, upload: RosterUpload) -> AppleRosterSync | None:
    """An accepted import goes on to Apple School Manager when a token is shared with SDS."""
    token = token_sds_shared()
    if token is None:
        return None
    return _apple_roster_sync_queue(
        profile=profile,
        token=token,
        trigger=AppleRosterSync.Trigger.IMPORT,
        requested_by=upload.uploaded_by,
        language=upload.language,
        upload=upload,
    )


def apple_roster_sync_after_sharing(
    *, token: EnrollmentProgramToken, actor: User | None, language: str = ""
) -> list[AppleRosterSync]:
    """A token newly shared with SDS receives the rosters already imported."""
    return [
        _apple_roster_sync_queue(
            profile=profile,
            token=token,
            trigger=AppleRosterSync.Trigger.SHARED,
            requested_by=actor,
            language=language,
        )
        for profile in _profiles_with_roster()
    ]


def _count(answer: dict[str, Any], kind: str, name: str) -> int:
    part = answer.get(kind)
    value = part.get(name, 0) if isinstance(part, dict) else 0
    return value if isinstance(value, int) and value >= 0 else 0


def _tally(sync: AppleRosterSync, answer: Any) -> None:
    """Add one answer of POST /roster/import to the sync's counts."""
    if not isinstance(answer, dict):
        raise DepError("Apple's roster answer is not an object.", code="INVALID_RESPONSE")
    for field_name, kind, name in (
        ("locations_created", "locations", "created"),
        ("locations_updated", "locations", "updated"),
        ("people_created", "people", "created"),
        ("people_updated", "people", "updated"),
        ("people_deactivated", "people", "deactivated"),
        ("people_failed", "people", "failed"),
        ("classes_created", "classes", "created"),
        ("classes_updated", "classes", "updated"),
        ("classes_switched_to_manual", "classes", "switched_to_manual"),
        ("classes_failed", "classes", "failed"),
        ("members_not_found", "classes", "members_not_found"),
    ):
        setattr(sync, field_name, getattr(sync, field_name) + _count(answer, kind, name))
    room = MAX_STORED_FAILURES - len(sync.failures)
    failures = answer.get("failures")
    if room > 0 and isinstance(failures, list):
        sync.failures = [
            *sync.failures,
            *(
                {key: str(failure.get(key, ""))[:255] for key in ("record", "id", "code", "field")}
                for failure in failures[:room]
                if isinstance(failure, dict)
            ),
        ]


COUNT_FIELDS = (
    "batches_done",
    "locations_created",
    "locations_updated",
    "people_created",
    "people_updated",
    "people_deactivated",
    "people_failed",
    "classes_created",
    "classes_updated",
    "classes_switched_to_manual",
    "classes_failed",
    "members_not_found",
    "failures",
)


def apple_roster_sync_run(*, sync_id: int) -> AppleRosterSync:
    """What the worker does: send the profile's roster to Apple School Manager, batch by batch,
    with the shared token (GET /session, then POST /roster/import), counting what Apple did."""
    sync = AppleRosterSync.objects.select_related("profile", "requested_by").get(pk=sync_id)
    if not sync.is_pending:
        return sync  # done already (a task delivered twice)
    token = (
        EnrollmentProgramToken.objects.filter(pk=sync.token_id, shared_with_sds=True).first()
        if sync.token_id is not None
        else None
    )
    if token is None:
        # Blocked (or moved to another token) since it was asked for: nothing goes to Apple.
        _progress(sync, state=AppleRosterSync.State.CANCELLED, finished_at=clock.now())
        _sync_report(sync)
        return sync
    batches = apple_roster.roster_batches(sync.profile)
    _progress(sync, state=AppleRosterSync.State.RUNNING, started_at=clock.now(), batches_total=batches.total)
    client = token_dep_client(token=token)
    try:
        for body in batches.requests:
            _tally(sync, client.request("POST", apple_roster.PATH, json_body=body))
            sync.batches_done += 1
            _progress(sync, **{name: getattr(sync, name) for name in COUNT_FIELDS})
    except DepError as error:
        logger.info("Roster sync %s refused by Apple: HTTP %s %s", sync.pk, error.status, error.code)
        token_apple_call_failed(token=token, error=error)
        code = error.code or (str(error.status) if error.status else "UNREACHABLE")
        _progress(sync, state=AppleRosterSync.State.FAILED, finished_at=clock.now(), error_code=code[:64])
    else:
        token_apple_call_succeeded(token=token)
        _progress(sync, state=AppleRosterSync.State.SUCCEEDED, finished_at=clock.now())
    _sync_report(sync)
    return sync


def apple_roster_sync_fail(*, sync_id: int) -> None:
    """The worker could not finish (a crash, a time limit): the sync must not stay pending."""
    logger.exception("Roster sync %s failed", sync_id)
    sync = AppleRosterSync.objects.select_related("profile", "requested_by").filter(pk=sync_id).first()
    if sync is None or not sync.is_pending:
        return
    _progress(sync, state=AppleRosterSync.State.FAILED, finished_at=clock.now(), error_code="WORKER_ERROR")
    _sync_report(sync)


def apple_error_text(code: str) -> str:
    """Why a sync stopped, for people."""
    if code == "WORKER_ERROR":
        return _("The sync stopped unexpectedly. Run it again with Sync to Apple School Manager.")
    return apple_error_message(code)


def _sync_report(sync: AppleRosterSync) -> None:
    succeeded = sync.state == AppleRosterSync.State.SUCCEEDED
    audit_record(
        actor=sync.requested_by,
        category=AuditEvent.Category.SCHOOL_DATA_SYNC,
        action="Sync roster to Apple School Manager",
        target=sync.profile,
        result=AuditEvent.Result.SUCCESS if succeeded else AuditEvent.Result.FAILURE,
        details={
            "sync": sync.pk,
            "token": sync.token_name,
            "state": sync.state,
            "people_created": sync.people_created,
            "people_updated": sync.people_updated,
            "people_failed": sync.people_failed,
            "error": sync.error_code,
        },
    )
    if sync.requested_by is None:
        return
    with translation.override(sync.language):
        if succeeded:
            title = _("Roster synced to Apple School Manager")
            body = _(
                "%(profile)s: %(created)s new people with a Managed Apple Account, %(updated)s updated, "
                "%(classes)s classes."
            ) % {
                "profile": sync.profile.name,
                "created": sync.people_created,
                "updated": sync.people_updated,
                "classes": sync.classes_created + sync.classes_updated,
            }
            if sync.failure_count:
                body += " " + ngettext(
                    "%(count)s record was refused.", "%(count)s records were refused.", sync.failure_count
                ) % {"count": sync.failure_count}
            level = Notification.Level.WARNING if sync.failure_count else Notification.Level.SUCCESS
        elif sync.state == AppleRosterSync.State.CANCELLED:
            title = _("Roster sync cancelled")
            body = _(
                "%(profile)s: the token “%(token)s” is no longer shared with School Data Sync, so nothing was sent."
            ) % {"profile": sync.profile.name, "token": sync.token_name}
            level = Notification.Level.WARNING
        else:
            title = _("Roster sync to Apple School Manager failed")
            body = f"{sync.profile.name}: {apple_error_text(sync.error_code)}"
            level = Notification.Level.ERROR
        notification_send(
            user=sync.requested_by,
            title=title,
            body=body,
            level=level,
            link=reverse("sds:apple_sync_detail", args=[sync.pk]),
        )
