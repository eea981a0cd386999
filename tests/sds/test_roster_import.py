"""The worker's service: validate an upload, then import it in one transaction, or nothing."""

from __future__ import annotations

from django.utils import translation

from asm_portal.models import AuditEvent, Notification
from sds import roster_import, signals, uploads
from sds.models import Enrollment, Membership, Person, RosterFile, RosterUpload, School, SchoolClass
from tests.sds.conftest import edited, sample, upload_and_process, without, without_lines


def roster_counts():
    return {
        "schools": School.objects.filter(is_active=True).count(),
        "people": Person.objects.filter(is_active=True).count(),
        "memberships": Membership.objects.filter(is_active=True).count(),
        "classes": SchoolClass.objects.filter(is_active=True).count(),
        "enrollments": Enrollment.objects.filter(is_active=True).count(),
    }


BAD_ROSTER = {
    "Student.csv": "13001,10001,Ora,Klein,OKlein,P@ssword,WA,,13001,Christopher,9,Active,4/2/2000,2019",
    "StudentEnrollment.csv": "99999,13002",
}


class RosterUploadProcessTests:
    def test_it_imports_the_classic_sample(self, classic_profile, admin_user) -> None:
        upload = upload_and_process(classic_profile, sample("v1-25-users"), admin_user)
        assert upload.state == RosterUpload.State.SUCCEEDED
        assert (upload.error_count, upload.warning_count, upload.rows_read) == (0, 0, 74)
        assert (upload.school_count, upload.person_count, upload.class_count, upload.enrollment_count) == (
            2,
            24,
            2,
            46,
        )
        ora = Person.objects.get(sis_id="13001")
        assert (ora.given_name, ora.middle_name, ora.family_name) == ("Ora", "Christopher", "Klein")
        assert (ora.username, ora.role, ora.grade, ora.number) == (
            "OKlein@contoso.edu",
            "student",
            "9",
            "13001",
        )
        assert [m.school.name for m in ora.memberships.all()] == ["Contoso High School"]
        algebra = SchoolClass.objects.get(sis_id="11001")
        assert (algebra.title, algebra.school.sis_id, algebra.course, algebra.term) == (
            "Math - Algebra 1",
            "10001",
            "Math 101",
            "SY1516",
        )
        assert sorted(e.person.sis_id for e in algebra.enrollments.exclude(role="student")) == ["14001"]
        assert algebra.enrollments.filter(role="student").count() == 22
        # The roster never keeps the Password column, and the stored files are emptied.
        assert "P@ssword" not in str(list(Person.objects.values()))
        assert all(f.content is None for f in RosterFile.objects.filter(upload=upload))
        classic_profile.refresh_from_db()
        assert classic_profile.file_set == sorted(sample("v1-25-users"))
        notification = Notification.objects.get(user=admin_user)
        assert (notification.title, notification.body, notification.level) == (
            "Roster imported",
            "Contoso classic: 24 people in the roster.",
            "success",
        )

    def test_it_imports_the_v21_sample(self, v21_profile, admin_user) -> None:
        upload = upload_and_process(v21_profile, sample("v2.1"), admin_user)
        assert upload.state == RosterUpload.State.SUCCEEDED, list(
            upload.issues.values_list("code", flat=True)
        )
        assert (upload.school_count, upload.person_count, upload.class_count, upload.enrollment_count) == (
            4,
            8,
            2,
            6,
        )
        kristen = Person.objects.get(sis_id="114007")
        # Two roles in roles.csv: the person's role is the primary one; both memberships stay.
        assert (kristen.role, kristen.grade) == ("teacher", "10")
        assert sorted((m.school.sis_id, m.is_primary) for m in kristen.memberships.all()) == [
            ("110003", False),
            ("110004", True),
        ]
        guardian = Person.objects.get(sis_id="114002")
        assert (guardian.role, guardian.email) == ("", "jean.craig@outlook.com")
        biology = SchoolClass.objects.get(sis_id="112002")
        assert (biology.school.name, biology.course, biology.term) == (
            "School of TwoDotOne",
            "Biology 10 2021",
            "2021 School Year",
        )
        assert School.objects.get(sis_id="110002").org_type == "department"
        professor = Enrollment.objects.get(school_class__sis_id="112001", person__sis_id="114006")
        assert professor.role == "professor" and professor.is_teacher

    def test_an_accepted_upload_is_announced_after_its_commit(
        self, classic_profile, admin_user, django_capture_on_commit_callbacks
    ) -> None:
        received = []

        def receiver(sender, profile, upload, **kwargs):
            received.append((profile.pk, upload.pk, upload.state))

        signals.roster_imported.connect(receiver)
        try:
            upload = uploads.roster_upload_create(
                actor=admin_user, profile=classic_profile, files=sample("v1-25-users")
            )
            with django_capture_on_commit_callbacks(execute=True):
                roster_import.roster_upload_process(upload_id=upload.pk)
            bad = edited(sample("v1-25-users"), "StudentEnrollment.csv", append="99999,13001")
            rejected = uploads.roster_upload_create(actor=admin_user, profile=classic_profile, files=bad)
            with django_capture_on_commit_callbacks(execute=True):
                roster_import.roster_upload_process(upload_id=rejected.pk)
        finally:
            signals.roster_imported.disconnect(receiver)
        assert received == [(classic_profile.pk, upload.pk, RosterUpload.State.SUCCEEDED)]

    def test_a_bad_roster_imports_nothing_and_reports_its_errors(self, classic_profile, admin_user) -> None:
        files = sample("v1-25-users")
        for name, line in BAD_ROSTER.items():
            files = edited(files, name, append=line)
        upload = upload_and_process(classic_profile, files, admin_user)
        assert upload.state == RosterUpload.State.REJECTED
        assert list(upload.issues.values_list("file", "line", "column", "code")) == [
            ("Student.csv", 24, "SIS ID", "DuplicateTargetEntries"),
            ("StudentEnrollment.csv", 46, "Section SIS ID", "InvalidLookupReference"),
        ]
        assert roster_counts() == {
            "schools": 0,
            "people": 0,
            "memberships": 0,
            "classes": 0,
            "enrollments": 0,
        }
        classic_profile.refresh_from_db()
        assert classic_profile.file_set == []
        event = AuditEvent.objects.get(action="Import roster")
        assert (event.result, event.details["errors"]) == ("failure", 2)
        notification = Notification.objects.get(user=admin_user)
        assert (notification.title, notification.level) == ("Roster rejected", "error")
        assert notification.link == f"/sds/uploads/{upload.pk}/"

    def test_a_bad_upload_leaves_the_previous_roster_untouched(self, classic_profile, admin_user) -> None:
        upload_and_process(classic_profile, sample("v1-25-users"), admin_user)
        before = roster_counts()
        files = edited(
            sample("v1-25-users"), "Student.csv", replace=("13001,10001,Ora,Klein", "13001,10001,Dora,Klein")
        )
        files = edited(files, "StudentEnrollment.csv", append="99999,13002")
        assert upload_and_process(classic_profile, files, admin_user).state == RosterUpload.State.REJECTED
        assert roster_counts() == before
        assert Person.objects.get(sis_id="13001").given_name == "Ora"

    def test_a_second_upload_updates_rather_than_duplicates(self, classic_profile, admin_user) -> None:
        first = upload_and_process(classic_profile, sample("v1-25-users"), admin_user)
        files = edited(
            sample("v1-25-users"), "Student.csv", replace=("13001,10001,Ora,Klein", "13001,10001,Dora,Klein")
        )
        second = upload_and_process(classic_profile, files, admin_user)
        assert second.state == RosterUpload.State.SUCCEEDED
        assert Person.objects.count() == 24
        dora = Person.objects.get(sis_id="13001")
        assert (dora.given_name, dora.last_upload_id) == ("Dora", second.pk)
        assert first.pk != second.pk and second.deactivated_count == 0

    def test_records_missing_from_an_upload_turn_inactive(self, classic_profile, admin_user) -> None:
        upload_and_process(classic_profile, sample("v1-25-users"), admin_user)
        files = without_lines(sample("v1-25-users"), "Student.csv", "13022,")
        files = without_lines(files, "StudentEnrollment.csv", "11001,13022", "11002,13022")
        upload = upload_and_process(classic_profile, files, admin_user)
        assert upload.state == RosterUpload.State.SUCCEEDED
        williams = Person.objects.get(sis_id="13022")
        assert not williams.is_active
        assert not williams.memberships.get().is_active
        assert not williams.enrollments.filter(is_active=True).exists()
        # Nothing is deleted: the person, one membership and two enrollments are inactive.
        assert upload.deactivated_count == 4
        assert upload.person_count == 23

    def test_a_file_left_out_marks_its_records_inactive_with_a_warning(
        self, classic_profile, admin_user
    ) -> None:
        upload_and_process(classic_profile, sample("v1-25-users"), admin_user)
        files = without(sample("v1-25-users"), "Section.csv", "StudentEnrollment.csv", "TeacherRoster.csv")
        upload = upload_and_process(classic_profile, files, admin_user)
        assert upload.state == RosterUpload.State.SUCCEEDED
        assert list(upload.issues.values_list("severity", "file", "code")) == [
            ("warning", "Section.csv", "FileSetChanged"),
            ("warning", "StudentEnrollment.csv", "FileSetChanged"),
            ("warning", "TeacherRoster.csv", "FileSetChanged"),
        ]
        assert SchoolClass.objects.count() == 2 and not SchoolClass.objects.filter(is_active=True).exists()
        assert not Enrollment.objects.filter(is_active=True).exists()
        assert upload.deactivated_count == 2 + 46
        assert Person.objects.filter(is_active=True).count() == 24
        assert Notification.objects.filter(
            title="Roster imported",
            body="Contoso classic: 24 people in the roster, with 3 warnings.",
            level="warning",
        ).exists()
        # The set keeps the class files: leaving them out again warns again.
        classic_profile.refresh_from_db()
        assert "Section.csv" in classic_profile.file_set

    def test_a_status_of_inactive_imports_the_record_inactive(self, classic_profile, admin_user) -> None:
        files = edited(
            sample("v1-25-users"), "Student.csv", replace=("Christopher,9,Active", "Christopher,9,inactive")
        )
        upload = upload_and_process(classic_profile, files, admin_user)
        assert upload.state == RosterUpload.State.SUCCEEDED
        assert not Person.objects.get(sis_id="13001").is_active
        assert upload.person_count == 23 and upload.deactivated_count == 0

    def test_a_repeated_row_is_imported_once(self, v21_profile, admin_user) -> None:
        files = edited(
            sample("v2.1"),
            "roles.csv",
            append="114001,110003,student,SY2021K12,10,TRUE,2021-08-24,2022-06-11",
        )
        files = edited(files, "enrollments.csv", append="112002,114001,student")
        upload = upload_and_process(v21_profile, files, admin_user)
        assert upload.state == RosterUpload.State.SUCCEEDED
        assert upload.warning_count == 2
        assert Membership.objects.filter(person__sis_id="114001").count() == 1
        assert Enrollment.objects.filter(person__sis_id="114001").count() == 1

    def test_an_older_upload_never_overwrites_a_newer_import(self, classic_profile, admin_user) -> None:
        older = uploads.roster_upload_create(
            actor=admin_user, profile=classic_profile, files=sample("v1-25-users")
        )
        newer = upload_and_process(classic_profile, sample("v1-25-users"), admin_user)
        assert newer.state == RosterUpload.State.SUCCEEDED
        older = roster_import.roster_upload_process(upload_id=older.pk)
        assert older.state == RosterUpload.State.REJECTED
        assert list(older.issues.values_list("code", flat=True)) == ["Superseded"]
        assert Person.objects.filter(last_upload=newer).count() == 24

    def test_a_processed_upload_is_left_alone(self, classic_profile, admin_user) -> None:
        upload = upload_and_process(classic_profile, sample("v1-25-users"), admin_user)
        again = roster_import.roster_upload_process(upload_id=upload.pk)
        assert again.finished_at == upload.finished_at
        assert AuditEvent.objects.filter(action="Import roster").count() == 1

    def test_a_failure_marks_the_upload_failed_and_forgets_the_files(
        self, classic_profile, admin_user
    ) -> None:
        upload = uploads.roster_upload_create(
            actor=admin_user, profile=classic_profile, files=sample("v1-25-users")
        )
        roster_import.roster_upload_fail(upload_id=upload.pk)
        upload.refresh_from_db()
        assert upload.state == RosterUpload.State.FAILED and upload.finished_at is not None
        assert all(f.content is None for f in upload.files.all())
        assert Notification.objects.get(user=admin_user).title == "Roster upload failed"
        assert not Person.objects.exists()

    def test_the_notification_speaks_the_uploaders_language(self, classic_profile, admin_user) -> None:
        upload = uploads.roster_upload_create(
            actor=admin_user, profile=classic_profile, files=sample("v1-25-users"), language="fr"
        )
        roster_import.roster_upload_process(upload_id=upload.pk)
        notification = Notification.objects.get(user=admin_user)
        assert notification.title == "Liste de classes importée"
        # Stored as message ids: an English reader later reads it in English.
        with translation.override("en"):
            assert notification.title_display() == "Roster imported"
            assert notification.body_display() == "Contoso classic: 24 people in the roster."
        with translation.override("fr"):
            assert notification.title_display() == "Liste de classes importée"
            assert (
                notification.body_display() == "Contoso classic\u00a0: 24 personnes dans la liste de classes."
            )
