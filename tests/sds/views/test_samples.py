from __future__ import annotations

import io
import zipfile

from sds import formats, validation
from tests.conftest import HTMX
from tests.sds.conftest import sample


class SamplesTests:
    def test_it_offers_the_three_sets_with_the_licence(self, admin_client) -> None:
        response = admin_client.get("/sds/samples/")
        assert response.status_code == 200
        assert b"<html" in response.content
        content = response.content.decode()
        for slug in ("v1-25-users", "v1-min-required", "v2-1"):
            assert f'href="/sds/samples/{slug}.zip"' in content
        assert "Copyright (c) 2017 - Microsoft Corporation" in content

    def test_htmx_gets_the_journey_only(self, admin_client) -> None:
        fragment = admin_client.get("/sds/samples/", **HTMX).content.decode()
        assert "<html" not in fragment
        assert 'href="/sds/samples/v2-1.zip"' in fragment
        assert "Copyright (c) 2017 - Microsoft Corporation" in fragment

    def test_anonymous_users_sign_in_first(self, client) -> None:
        assert client.get("/sds/samples/")["Location"].startswith("/signin/")
        assert client.get("/sds/samples/v2-1.zip")["Location"].startswith("/signin/")

    def test_it_refuses_other_methods(self, admin_client) -> None:
        assert admin_client.post("/sds/samples/").status_code == 405
        assert admin_client.post("/sds/samples/v2-1.zip").status_code == 405


class SampleDownloadTests:
    def test_the_archive_holds_exactly_the_csv_files_and_the_licence_in_its_comment(
        self, admin_client
    ) -> None:
        response = admin_client.get("/sds/samples/v2-1.zip")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        assert 'filename="sds-sample-v2-1.zip"' in response["Content-Disposition"]
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        files = {name: archive.read(name) for name in archive.namelist()}
        assert files == sample("v2.1")
        assert b"MIT License" in archive.comment and b"O365-EDU-Tools" in archive.comment
        # As it is, the archive is a valid upload.
        result = validation.roster_validate(roster_format=formats.V2_1, files=files)
        assert not result.issues

    def test_an_unknown_set_is_not_found(self, admin_client) -> None:
        assert admin_client.get("/sds/samples/v9.zip").status_code == 404
