"""The issue's "done when", in Chromium, as a new administrator goes through it: allow School
Data Sync on the Apple School Manager token, see a bad roster rejected and nothing imported,
upload Microsoft's classic sample, and find the students' Managed Apple Accounts in the mock
Apple School Manager. A real worker imports and syncs; the mock Apple service is served over
HTTP in its own process.

The upload and rejection steps reuse the School Data Sync browser test's helpers.
"""

from __future__ import annotations

import re

import pytest

from mock_apple.models import Organization
from mock_apple.models import Person as ApplePerson
from sds.models import AppleRosterSync, Person
from tests.browser.conftest import readme_screenshot, screenshot
from tests.browser.steps import apple_signin
from tests.browser.test_sds import bad_roster, report_rows, settled
from tests.conftest import PASSWORD
from tests.mock_apple.conftest import dep_server, live, organization_create  # noqa: F401
from tests.sds.apple import apple_token
from tests.sds.conftest import SAMPLES

TOKEN = "Lycée Jean Moulin - Intune"


@pytest.fixture
def organization(settings, dep_server) -> Organization:  # noqa: F811
    # The portal's worker calls the served mock; browsers open its Apple School Manager.
    settings.APPLE_BASE_URL = settings.APPLE_PUBLIC_URL = dep_server
    return organization_create(devices=0)


@pytest.fixture
def worker(organization, request) -> str:
    """The worker starts once the portal points at the served mock (it inherits APPLE_BASE_URL)."""
    return str(request.getfixturevalue("celery_worker"))


@pytest.mark.browser
@pytest.mark.integration
@live
class SchoolDataSyncToAppleSchoolManagerBrowserTests:
    def test_a_new_administrator_sends_a_roster_to_apple_school_manager(
        self,
        live_server,
        dep_server,  # noqa: F811
        organization,
        worker,
        admin_user,
        page,
        tmp_path,
    ) -> None:
        portal = live_server.url
        token = apple_token(organization, name=TOKEN, shared=False)
        page.goto(f"{portal}/signin/")
        page.fill("input[name=username]", admin_user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{portal}/")

        # Step 3 of the article: on the token, the blue banner opens « Allow Microsoft School
        # Data Sync to use this token »; Allow, then OK.
        page.click(".leftnav >> text=Device enrollment")
        page.click("text=Apple enrollment")
        page.click(".blade-menu >> text=Enrollment program tokens")
        page.click(f"#grid >> text={TOKEN}")
        page.wait_for_url(f"{portal}/enrollment/apple/tokens/{token.pk}/")
        page.click("[data-sds-banner]")
        page.wait_for_url(f"{portal}/enrollment/apple/tokens/{token.pk}/school-data-sync/")
        assert (
            page.locator(".field-label")
            .inner_text()
            .startswith("Allow Microsoft School Data Sync to use this token")
        )
        assert (
            page.locator("a:has-text('Set up Microsoft School Data Sync')").get_attribute("href") == "/sds/"
        )
        page.click(".segmented label:has-text('Allow')")
        screenshot(page, "sds-asm-allow")
        page.click("button:has-text('OK')")
        page.wait_for_url(f"{portal}/enrollment/apple/tokens/{token.pk}/")
        page.wait_for_selector("text=Microsoft School Data Sync can use this token")
        assert "Allowed" in page.locator(".essentials").inner_text()

        # A sync profile, then a bad roster: rejected with its two errors, nothing imported.
        page.click(".leftnav >> text=School Data Sync")
        page.click(".blade-menu >> text=Sync profiles")
        page.click(".commandbar >> text=Create profile")
        page.fill("#pane input[name=name]", "Contoso classic")
        page.check("#pane input[name=roster_format][value=v1]")
        page.fill("#pane input[name=domain_suffix]", "contoso.edu")
        page.click("#pane button:has-text('Create')")
        page.wait_for_url(re.compile(r".*/sds/profiles/\d+/$"))
        page.click(".commandbar >> text=Upload files")
        page.set_input_files("#pane input[type=file]", bad_roster(tmp_path))
        page.click("#pane button:has-text('Upload')")
        page.wait_for_url(re.compile(r".*/sds/uploads/\d+/$"))
        page.wait_for_selector(
            "text=The roster was rejected: 2 errors. Nothing was imported.", timeout=60_000
        )
        assert [(row[1], row[4]) for row in report_rows(page)] == [
            ("Student.csv", "DuplicateTargetEntries"),
            ("StudentEnrollment.csv", "InvalidLookupReference"),
        ]
        assert not Person.objects.exists()
        assert not AppleRosterSync.objects.exists() and not ApplePerson.objects.exists()

        # The good roster: Microsoft's classic sample, as separate files.
        page.click(".breadcrumb >> text=Sync profiles")
        page.click("#grid >> text=Contoso classic")
        page.click(".commandbar >> text=Upload files")
        page.set_input_files(
            "#pane input[type=file]", [str(path) for path in sorted((SAMPLES / "v1-25-users").glob("*.csv"))]
        )
        page.click("#pane button:has-text('Upload')")
        page.wait_for_url(re.compile(r".*/sds/uploads/\d+/$"))
        page.wait_for_selector("text=The roster was imported.", timeout=60_000)

        # The import went on to Apple School Manager: the Outbound blade follows the sync.
        page.click(".breadcrumb >> text=School Data Sync")
        page.click(".blade-menu >> text=Apple School Manager")
        page.wait_for_url(f"{portal}/sds/apple-school-manager/")
        page.wait_for_selector("#apple-syncs [data-state=succeeded]", timeout=60_000)
        settled(page)
        row = page.locator("#apple-syncs tbody tr").first.inner_text()
        assert "Contoso classic" in row and TOKEN in row and "Roster imported" in row and "24" in row
        # The toasts of the upload and the sync have said their piece; the picture is the grid.
        page.evaluate("document.querySelectorAll('[data-toast]').forEach(toast => toast.remove())")
        screenshot(page, "sds-asm-syncs")
        readme_screenshot(page, "sds-asm-syncs")

        # In Apple School Manager: the students with their Managed Apple Accounts.
        with page.context.expect_page() as opened:
            page.click(".commandbar >> text=Open Apple School Manager")
        apple = opened.value
        apple.wait_for_load_state()
        apple_signin(apple)
        apple.wait_for_url(f"{dep_server}/asm/people/")
        assert "24 people" in apple.locator("#people-grid").inner_text()
        apple.select_option("#people-role", "student")
        apple.wait_for_selector("#people-grid >> text=22 people")
        students = apple.locator("[data-people] tbody tr").all_inner_texts()
        assert len(students) == 22
        assert any("Ora Klein" in row and "ora.klein@appleid.contoso.edu" in row for row in students)
        assert all("@appleid.contoso.edu" in row and "Student" in row and "SDS" in row for row in students)
        screenshot(apple, "asm-people")
        readme_screenshot(apple, "asm-people")
        apple.fill("#people-search", "mcmillan")
        apple.wait_for_selector("#people-grid >> text=1 person")
        assert "beulah.mcmillan@appleid.contoso.edu" in apple.locator("#people-grid").inner_text()
        apple.click("text=Classes")
        apple.click("text=Math - Algebra 1")
        apple.wait_for_selector("text=Students (22)")
        assert "craig.beane@appleid.contoso.edu" in apple.locator("[data-instructors]").inner_text()
        screenshot(apple, "asm-class")
        assert ApplePerson.objects.filter(role="student").count() == 22
