"""What the worker does with a roster upload: validate it as SDS does, import it in one
transaction when it has no errors, store its report, forget its files and say how it went."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils.translation import gettext_noop

from asm_portal import clock, texts
from asm_portal.jobs import job_lease_release, job_lease_take, job_out_of_attempts, worker_id
from asm_portal.models import Notification
from sds import importing, signals, validation
from sds.models import RosterFile, RosterUpload, SyncProfile, ValidationIssue
from sds.outcomes import Toast, outcome_report, progress_save

logger = logging.getLogger(__name__)

# A report lists this many issues at most; the counts always cover all of them.
MAX_STORED_ISSUES = 1000


def _issue_order(names: tuple[str, ...]) -> Callable[[validation.Issue], tuple[bool, int, int]]:
    """Errors first, then the files in the format's order, then the lines."""

    def key(issue: validation.Issue) -> tuple[bool, int, int]:
        return (
            issue.severity != validation.ERROR,
            names.index(issue.file) if issue.file in names else -1,
            issue.line or 0,
        )

    return key


def roster_upload_process(*, upload_id: int, worker: str | None = None) -> RosterUpload:
    """Validate an upload as SDS does; import it in one transaction if it has no errors.

    One worker at a time holds the upload's lease (asm_portal.jobs). A worker lost in the middle
    left nothing half-written (the import is one transaction) and the files are kept until the
    end, so the next one starts again from the validation; one lost JOBS_MAX_ATTEMPTS times
    fails with its reason."""
    worker = worker or worker_id()
    attempt = job_lease_take(
        RosterUpload.objects.all(), pk=upload_id, worker=worker, states=RosterUpload.PENDING_STATES
    )
    if attempt is None:
        # Processed already (a task delivered twice), or another worker is at it.
        return RosterUpload.objects.select_related("profile", "uploaded_by").get(pk=upload_id)
    if job_out_of_attempts(attempt):
        roster_upload_fail(upload_id=upload_id, message_id="worker_lost", params={"count": attempt - 1})
        return RosterUpload.objects.select_related("profile", "uploaded_by").get(pk=upload_id)
    try:
        return _upload_process(upload_id)
    finally:
        job_lease_release(RosterUpload.objects.all(), pk=upload_id, worker=worker)


def _upload_process(upload_id: int) -> RosterUpload:
    upload = RosterUpload.objects.select_related("profile", "uploaded_by").get(pk=upload_id)
    progress_save(upload, state=RosterUpload.State.VALIDATING, started_at=upload.started_at or clock.now())
    files = {file.name: bytes(file.content or b"") for file in upload.files.all()}
    spec = upload.profile.spec
    result = validation.roster_validate(
        roster_format=spec, files=files, domain_suffix=upload.profile.domain_suffix
    )
    if not result.has_errors:
        progress_save(upload, state=RosterUpload.State.IMPORTING)
    present = sorted(name for name in files if name in spec.names)
    try:
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
            state = RosterUpload.State.REJECTED if result.has_errors else RosterUpload.State.SUCCEEDED
            _upload_finish(upload, result, state=state, names=spec.names)
    except DatabaseError:
        # The database refused the import (a constraint, a value it cannot hold, a lost
        # connection): nothing was imported. The report keeps what the validation found and
        # says why, so a failed upload never shows an empty report.
        logger.exception("Roster upload %s: the database refused the import", upload.pk)
        return _upload_failed(upload_id=upload.pk, result=result, names=spec.names)
    return upload


def _issues_store(upload: RosterUpload, issues: list[validation.Issue]) -> None:
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


def _upload_failed(
    *, upload_id: int, result: validation.ValidationResult, names: tuple[str, ...]
) -> RosterUpload:
    """The import failed in the database: the validation's report, then the reason."""
    result.error("", None, "", validation.IMPORT_FAILED, "import_failed")
    with transaction.atomic():
        upload = (
            RosterUpload.objects.select_for_update(of=("self",))
            .select_related("profile", "uploaded_by")
            .get(pk=upload_id)
        )
        if not upload.is_pending:
            return upload
        ValidationIssue.objects.filter(upload=upload).delete()
        _upload_finish(upload, result, state=RosterUpload.State.FAILED, names=names)
    return upload


def _upload_finish(
    upload: RosterUpload, result: validation.ValidationResult, *, state: str, names: tuple[str, ...]
) -> None:
    """The upload's end, whatever it is: its report, its counts, its files forgotten."""
    _issues_store(upload, sorted(result.issues, key=_issue_order(names)))
    upload.state = state
    upload.finished_at = clock.now()
    upload.rows_read = result.rows_read
    upload.error_count = result.error_count
    upload.warning_count = result.warning_count
    upload.save()
    _files_forget(upload)
    _upload_report(upload)


def roster_upload_fail(
    *, upload_id: int, message_id: str = "import_failed", params: dict[str, object] | None = None
) -> None:
    """The worker could not finish (a crash, a time limit, lost too many times): say so in the
    report, and forget the files."""
    logger.error("Roster upload %s failed", upload_id, exc_info=sys.exc_info()[0] is not None)
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
        if not upload.issues.exists():
            failure = validation.Issue(
                validation.ERROR, "", None, "", validation.IMPORT_FAILED, message_id, params or {}
            )
            _issues_store(upload, [failure])
        upload.state = RosterUpload.State.FAILED
        upload.finished_at = clock.now()
        upload.error_count = max(upload.error_count, 1)
        upload.save(update_fields=["state", "finished_at", "error_count"])
        _files_forget(upload)
        _upload_report(upload)


def _files_forget(upload: RosterUpload) -> None:
    # Rosters may carry passwords: their files are kept only until the upload is processed.
    RosterFile.objects.filter(upload=upload).update(content=None)


def _upload_toast(upload: RosterUpload) -> Toast:
    profile = upload.profile.name
    if upload.state == RosterUpload.State.SUCCEEDED:
        people = texts.ngettext("%(count)s person", "%(count)s people", "count", count=upload.person_count)
        if upload.warning_count:
            body = texts.ngettext(
                "%(profile)s: %(people)s in the roster, with %(count)s warning.",
                "%(profile)s: %(people)s in the roster, with %(count)s warnings.",
                "count",
                profile=profile,
                people=people,
                count=upload.warning_count,
            )
            return texts.gettext("Roster imported"), body, Notification.Level.WARNING
        body = texts.gettext("%(profile)s: %(people)s in the roster.", profile=profile, people=people)
        return texts.gettext("Roster imported"), body, Notification.Level.SUCCESS
    if upload.state == RosterUpload.State.REJECTED:
        body = texts.ngettext(
            "%(profile)s: %(count)s error. Nothing was imported.",
            "%(profile)s: %(count)s errors. Nothing was imported.",
            "count",
            profile=profile,
            count=upload.error_count,
        )
        return texts.gettext("Roster rejected"), body, Notification.Level.ERROR
    body = texts.gettext(
        "%(profile)s: the upload could not be processed. Nothing was imported; upload it again.",
        profile=profile,
    )
    return texts.gettext("Roster upload failed"), body, Notification.Level.ERROR


def _upload_report(upload: RosterUpload) -> None:
    outcome_report(
        actor=upload.uploaded_by,
        action=gettext_noop("Import roster"),
        target=upload.profile,
        succeeded=upload.state == RosterUpload.State.SUCCEEDED,
        details={
            "upload": upload.pk,
            "state": upload.state,
            "errors": upload.error_count,
            "warnings": upload.warning_count,
            "people": upload.person_count,
            "deactivated": upload.deactivated_count,
        },
        language=upload.language,
        toast=lambda: _upload_toast(upload),
        link=reverse("sds:upload_detail", args=[upload.pk]),
    )
