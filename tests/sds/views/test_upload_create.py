from __future__ import annotations

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from sds import uploads
from sds.models import Person, RosterUpload
from tests.conftest import HTMX
from tests.sds.conftest import sample


def files_of(name: str) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(file, content, "text/csv") for file, content in sample(name).items()]


class UploadCreateTests:
    def url(self, profile) -> str:
        return f"/sds/profiles/{profile.pk}/upload/"

    def test_it_shows_the_form_as_a_page(self, admin_client, classic_profile) -> None:
        response = admin_client.get(self.url(classic_profile))
        assert response.status_code == 200
        assert b"<html" in response.content
        assert b'type="file" name="roster"' in response.content and b"multiple" in response.content
        assert "Up to 20.0\xa0MB of CSV, zipped or not." in response.content.decode()

    def test_htmx_gets_the_context_pane_only(self, admin_client, classic_profile) -> None:
        response = admin_client.get(self.url(classic_profile), **HTMX)
        assert response.status_code == 200
        assert b"<html" not in response.content
        assert b'hx-encoding="multipart/form-data"' in response.content
        assert b'type="file" name="roster"' in response.content

    def test_it_queues_the_upload_and_the_worker_imports_it(
        self, admin_client, classic_profile, django_capture_on_commit_callbacks
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = admin_client.post(self.url(classic_profile), {"roster": files_of("v1-25-users")})
        upload = RosterUpload.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/sds/uploads/{upload.pk}/"
        # The task (run eagerly by the unit tests), then the announcement of the import it commits.
        assert len(callbacks) == 2
        assert upload.state == RosterUpload.State.SUCCEEDED and upload.language == "en"
        assert Person.objects.count() == 24

    def test_htmx_post_navigates_to_the_upload(self, admin_client, classic_profile) -> None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, content in sample("v1-25-users").items():
                archive.writestr(name, content)
        zipped = SimpleUploadedFile("roster.zip", buffer.getvalue(), "application/zip")
        response = admin_client.post(self.url(classic_profile), {"roster": [zipped]}, **HTMX)
        upload = RosterUpload.objects.get()
        assert response.status_code == 204
        assert f'"path": "/sds/uploads/{upload.pk}/"' in response["HX-Location"]
        assert len(upload.file_names) == 6

    def test_an_upload_without_files_is_explained(self, admin_client, classic_profile) -> None:
        response = admin_client.post(self.url(classic_profile), {}, **HTMX)
        assert response.status_code == 200
        assert b"Choose the roster" in response.content
        assert not RosterUpload.objects.exists()

    def test_a_damaged_zip_is_explained(self, admin_client, classic_profile) -> None:
        bad = SimpleUploadedFile("roster.zip", b"PK\x03\x04nonsense", "application/zip")
        response = admin_client.post(self.url(classic_profile), {"roster": [bad]}, **HTMX)
        assert response.status_code == 200
        assert b"damaged or not a zip archive" in response.content
        assert not RosterUpload.objects.exists()

    def test_an_upload_over_the_limit_is_refused_before_it_is_stored(
        self, admin_client, classic_profile, settings, monkeypatch
    ) -> None:
        settings.ASM_MAX_CSV_UPLOAD_BYTES = 1000

        # Past the limit and the multipart allowance, the quota handler stops reading the body:
        # no file reaches the form, let alone the service.
        def never(**kwargs):
            raise AssertionError("the files were read")

        monkeypatch.setattr(uploads, "roster_files_read", never)
        huge = SimpleUploadedFile("Student.csv", b"x" * (200 * 1024), "text/csv")
        response = admin_client.post(self.url(classic_profile), {"roster": [huge]}, **HTMX)
        assert response.status_code == 200
        assert (
            "The roster is larger than 1000\xa0bytes, the largest upload allowed."
            in response.content.decode()
        )
        assert not RosterUpload.objects.exists()
        # Under the allowance but over the limit, the service refuses it.
        monkeypatch.undo()
        bigger = SimpleUploadedFile("Student.csv", b"x" * 2000, "text/csv")
        response = admin_client.post(self.url(classic_profile), {"roster": [bigger]}, **HTMX)
        assert b"larger than" in response.content
        assert not RosterUpload.objects.exists()

    def test_csrf_is_still_checked(self, admin_user, classic_profile) -> None:
        client = Client(enforce_csrf_checks=True)
        client.force_login(admin_user)
        response = client.post(self.url(classic_profile), {"roster": files_of("v1-25-users")})
        assert response.status_code == 403
        assert not RosterUpload.objects.exists()

    def test_read_only_operators_are_refused(self, operator_client, classic_profile) -> None:
        assert operator_client.get(self.url(classic_profile)).status_code == 403
        response = operator_client.post(self.url(classic_profile), {"roster": files_of("v1-25-users")})
        assert response.status_code == 403
        assert not RosterUpload.objects.exists()

    def test_anonymous_users_sign_in_first(self, client, classic_profile) -> None:
        response = client.post(self.url(classic_profile), {"roster": files_of("v1-25-users")})
        assert response["Location"].startswith("/signin/")
        assert not RosterUpload.objects.exists()

    def test_it_refuses_other_methods(self, admin_client, classic_profile) -> None:
        assert admin_client.put(self.url(classic_profile)).status_code == 405
