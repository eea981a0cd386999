"""School Data Sync, as a new administrator goes through it, with a real worker behind the portal."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from sds.models import Person, RosterUpload
from tests.browser.conftest import readme_screenshot, screenshot
from tests.conftest import PASSWORD
from tests.sds.conftest import edited, sample

DUPLICATE_STUDENT = "13001,10001,Ora,Klein,OKlein,P@ssword,WA,,13001,Christopher,9,Active,4/2/2000,2019"
UNKNOWN_SECTION = "99999,13002"


def bad_roster(folder) -> list[str]:
    """Microsoft's classic sample, with a student given twice and an enrollment in no section."""
    files = edited(sample("v1-25-users"), "Student.csv", append=DUPLICATE_STUDENT)
    files = edited(files, "StudentEnrollment.csv", append=UNKNOWN_SECTION)
    paths = []
    for name, content in files.items():
        path = folder / name
        path.write_bytes(content)
        paths.append(str(path))
    return paths


def settled(page) -> None:
    """Wait until htmx has swapped and processed the new content (its triggers are bound)."""
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)


def report_rows(page) -> list[list[str]]:
    rows = page.locator("#upload-report table.report tbody tr")
    return [
        [cell.strip() for cell in rows.nth(i).locator("td").all_inner_texts()] for i in range(rows.count())
    ]


@pytest.mark.browser
@pytest.mark.integration
class SchoolDataSyncBrowserTests:
    def test_a_bad_roster_is_rejected_then_a_good_one_is_imported(
        self, live_server, celery_worker, admin_user, page, tmp_path
    ) -> None:
        page.goto(f"{live_server.url}/signin/")
        page.fill("input[name=username]", admin_user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        # A sync profile for the classic format; its usernames get contoso.edu.
        page.click(".leftnav >> text=School Data Sync")
        page.wait_for_url(f"{live_server.url}/sds/")
        page.click(".blade-menu >> text=Sync profiles")
        page.click(".commandbar >> text=Create profile")
        page.fill("#pane input[name=name]", "Contoso classic")
        page.check("#pane input[name=roster_format][value=v1]")
        page.fill("#pane input[name=domain_suffix]", "contoso.edu")
        page.click("#pane button:has-text('Create')")
        page.wait_for_url(re.compile(r".*/sds/profiles/\d+/$"))
        assert page.locator(".blade-title").inner_text() == "Contoso classic"

        # The bad roster: rejected, with exactly its two errors, and nothing imported.
        page.click(".commandbar >> text=Upload files")
        page.set_input_files("#pane input[type=file]", bad_roster(tmp_path))
        page.click("#pane button:has-text('Upload')")
        page.wait_for_url(re.compile(r".*/sds/uploads/\d+/$"))
        page.wait_for_selector(
            "text=The roster was rejected: 2 errors. Nothing was imported.", timeout=60_000
        )
        assert report_rows(page) == [
            [
                "Error",
                "Student.csv",
                "24",
                "SIS ID",
                "DuplicateTargetEntries",
                "The SIS ID “13001” is already used on line 2.",
            ],
            [
                "Error",
                "StudentEnrollment.csv",
                "46",
                "Section SIS ID",
                "InvalidLookupReference",
                "No row of Section.csv has the SIS ID “99999”.",
            ],
        ]
        # The poller was replaced by a final status without a trigger.
        assert page.locator("#upload-status[hx-trigger]").count() == 0
        screenshot(page, "sds-upload-rejected")
        readme_screenshot(page, "sds-upload-rejected")
        page.click(".breadcrumb >> text=School Data Sync")
        page.click(".blade-menu >> text=People")
        page.wait_for_url(f"{live_server.url}/sds/people/")
        assert "No people to display" in page.locator("#grid").inner_text()
        assert not Person.objects.exists()

        # The good roster: Microsoft's sample as the Sample files page offers it, one .zip.
        page.click(".blade-menu >> text=Sample files")
        with page.expect_download() as download:
            page.click("a[href='/sds/samples/v1-25-users.zip']")
        archive = tmp_path / "v1-25-users.zip"
        download.value.save_as(archive)
        page.click(".blade-menu >> text=Sync profiles")
        page.click("#grid >> text=Contoso classic")
        page.click(".commandbar >> text=Upload files")
        page.set_input_files("#pane input[type=file]", str(archive))
        page.click("#pane button:has-text('Upload')")
        page.wait_for_url(re.compile(r".*/sds/uploads/\d+/$"))
        page.wait_for_selector("text=The roster was imported.", timeout=60_000)
        assert (
            "2 schools, 24 people, 2 classes, 46 enrollments" in page.locator("#upload-status").inner_text()
        )
        assert "No errors and no warnings." in page.locator("#upload-report").inner_text()
        screenshot(page, "sds-upload-imported")
        assert RosterUpload.objects.filter(state=RosterUpload.State.SUCCEEDED).count() == 1

        # The roster pages: the students, searchable, and a class with its teacher and students.
        page.click(".breadcrumb >> text=School Data Sync")
        page.click(".blade-menu >> text=People")
        page.wait_for_url(f"{live_server.url}/sds/people/")
        page.wait_for_selector("#grid >> text=Showing 1 to 24 of 24 records")
        settled(page)
        page.fill("input[type=search]", "klein")
        page.wait_for_selector("#grid >> text=Showing 1 to 1 of 1 records")
        assert "OKlein@contoso.edu" in page.locator("#grid").inner_text()
        page.fill("input[type=search]", "")
        page.select_option("select[name=role]", "student")
        page.wait_for_selector("#grid >> text=Showing 1 to 22 of 22 records")
        screenshot(page, "sds-people")
        page.click(".blade-menu >> text=Classes")
        page.click("#grid >> text=Math - Algebra 1")
        page.wait_for_selector("text=Students (22)")
        members = page.locator("table[data-members]").all_inner_texts()
        assert "Craig Beane" in members[0] and "Ora Klein" in members[1]
        screenshot(page, "sds-class")

        # The same report, in French.
        with page.expect_navigation():
            page.select_option("#topbar-language", "fr")
        rejected = RosterUpload.objects.get(state=RosterUpload.State.REJECTED)
        page.goto(f"{live_server.url}/sds/uploads/{rejected.pk}/")
        assert (
            "La liste de classes a été refusée\u00a0: 2 erreurs."
            in page.locator("#upload-status").inner_text()
        )
        assert (
            "Aucune ligne de Section.csv n’a le SIS ID «\u00a099999\u00a0»."
            in page.locator("#upload-report").inner_text()
        )
        screenshot(page, "sds-upload-rejected-fr")
