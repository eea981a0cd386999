from __future__ import annotations

from sds import roster_import, uploads
from sds.models import RosterUpload, ValidationIssue
from tests.conftest import HTMX
from tests.sds.conftest import edited, sample, upload_and_process


def rejected(profile, actor) -> RosterUpload:
    # Two errors (sections that do not exist) and a warning (an enrollment given twice).
    files = edited(
        sample("v1-25-users"), "StudentEnrollment.csv", append="99999,13001\n99998,13002\n11001,13001"
    )
    upload = upload_and_process(profile, files, actor)
    assert upload.state == RosterUpload.State.REJECTED
    return upload


class UploadDetailTests:
    def url(self, upload) -> str:
        return f"/sds/uploads/{upload.pk}/"

    def test_it_shows_the_report_with_file_line_column_code_and_message(
        self, admin_client, classic_profile, admin_user
    ) -> None:
        upload = rejected(classic_profile, admin_user)
        response = admin_client.get(self.url(upload))
        assert response.status_code == 200
        assert b"<html" in response.content
        content = response.content.decode()
        assert "The roster was rejected: 2 errors. Nothing was imported." in content
        assert "StudentEnrollment.csv" in content and "<code>InvalidLookupReference</code>" in content
        assert "No row of Section.csv has the SIS ID “99998”." in content
        # Errors first, and no poller on a finished upload.
        assert [i.severity for i in response.context["page"]] == ["error", "error", "warning"]
        assert 'hx-trigger="every 2s"' not in content

    def test_the_report_filters_by_severity(self, admin_client, classic_profile, admin_user) -> None:
        upload = rejected(classic_profile, admin_user)
        response = admin_client.get(self.url(upload) + "?severity=warning&fragment=report", **HTMX)
        assert response.status_code == 200
        assert b"blade-header" not in response.content
        assert [(i.severity, i.code, i.line) for i in response.context["page"]] == [
            ("warning", "DuplicateRow", 48)
        ]

    def test_the_report_is_paged(self, admin_client, classic_profile, admin_user) -> None:
        upload = rejected(classic_profile, admin_user)
        ValidationIssue.objects.bulk_create(
            ValidationIssue(
                upload=upload,
                severity="warning",
                file="School.csv",
                line=n,
                code="UnknownHeader",
                message_id="header_unknown",
                params={"header": "x"},
            )
            for n in range(150)
        )
        response = admin_client.get(self.url(upload) + "?page=2")
        assert response.context["page"].number == 2
        assert len(response.context["page"]) == 53
        assert b"Page 2 of 2" in response.content

    def test_htmx_gets_the_journey_only(self, admin_client, imported_classic) -> None:
        response = admin_client.get(self.url(imported_classic), **HTMX)
        assert response.status_code == 200
        assert b"<html" not in response.content and b"The roster was imported." in response.content

    def test_a_pending_upload_polls_its_status(self, admin_client, classic_profile, admin_user) -> None:
        upload = uploads.roster_upload_create(
            actor=admin_user, profile=classic_profile, files=sample("v1-25-users")
        )
        response = admin_client.get(self.url(upload))
        assert f'hx-get="/sds/uploads/{upload.pk}/status/" hx-trigger="every 2s"'.encode() in response.content
        assert b"The report appears when validation is over." in response.content

    def test_operators_may_look(self, operator_client, imported_classic) -> None:
        assert operator_client.get(self.url(imported_classic)).status_code == 200

    def test_anonymous_users_sign_in_first(self, client, imported_classic) -> None:
        assert client.get(self.url(imported_classic))["Location"].startswith("/signin/")

    def test_it_refuses_other_methods(self, admin_client, imported_classic) -> None:
        assert admin_client.post(self.url(imported_classic)).status_code == 405


class UploadStatusTests:
    def url(self, upload) -> str:
        return f"/sds/uploads/{upload.pk}/status/"

    def test_it_keeps_polling_while_the_upload_is_pending(
        self, admin_client, classic_profile, admin_user
    ) -> None:
        upload = uploads.roster_upload_create(
            actor=admin_user, profile=classic_profile, files=sample("v1-25-users")
        )
        response = admin_client.get(self.url(upload), **HTMX)
        assert response.status_code == 200
        assert b'id="upload-status"' in response.content and b'hx-trigger="every 2s"' in response.content
        assert b'id="upload-report"' not in response.content

    def test_it_stops_polling_and_brings_the_report_when_done(
        self, admin_client, classic_profile, admin_user
    ) -> None:
        upload = uploads.roster_upload_create(
            actor=admin_user, profile=classic_profile, files=sample("v1-25-users")
        )
        roster_import.roster_upload_process(upload_id=upload.pk)
        response = admin_client.get(self.url(upload), **HTMX)
        content = response.content.decode()
        assert 'hx-trigger="every 2s"' not in content
        assert '<div id="upload-report" hx-swap-oob="true">' in content
        # The worker's notification arrives with the fragment, as a toast.
        assert "Roster imported" in content

    def test_anonymous_users_sign_in_first(self, client, imported_classic) -> None:
        assert client.get(self.url(imported_classic))["Location"].startswith("/signin/")

    def test_it_refuses_other_methods(self, admin_client, imported_classic) -> None:
        assert admin_client.post(self.url(imported_classic)).status_code == 405
