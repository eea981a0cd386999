"""Syncing rosters to Apple School Manager, against the mock Apple service over real HTTP."""

from __future__ import annotations

import pytest

from asm_portal.models import Notification
from mock_apple.models import Organization, RosterClass
from mock_apple.models import Person as ApplePerson
from mock_apple.roster import managed_apple_ids
from sds import apple_roster_sync, apple_roster_sync_queue, sharing, sync_profiles
from sds.models import AppleRosterSync, SyncProfile
from tests.mock_apple.conftest import control, dep_server, live, organization_create  # noqa: F401
from tests.sds.apple import apple_token
from tests.sds.conftest import edited, sample, upload_and_process, without_lines
from tokens.models import EnrollmentProgramToken


@pytest.fixture
def organization(settings, dep_server) -> Organization:  # noqa: F811
    settings.APPLE_BASE_URL = dep_server
    return organization_create(devices=0)


@pytest.fixture
def profile(admin_user) -> SyncProfile:
    return sync_profiles.sync_profile_create(
        actor=admin_user, name="Contoso classic", roster_format="v1", domain_suffix="contoso.edu"
    )


@live
class AppleRosterSyncTests:
    def test_an_accepted_import_goes_on_to_apple_school_manager(
        self, organization, profile, admin_user
    ) -> None:
        token = apple_token(organization)
        upload = upload_and_process(profile, sample("v1-25-users"), admin_user)
        sync = AppleRosterSync.objects.get()
        assert (sync.state, sync.trigger, sync.upload, sync.token, sync.token_name) == (
            "succeeded",
            "import",
            upload,
            token,
            "Lycée Jean Moulin - Intune",
        )
        assert (sync.batches_total, sync.batches_done) == (3, 3)
        assert (sync.locations_created, sync.people_created, sync.classes_created) == (2, 24, 2)
        assert sync.failures == [] and sync.requested_by == admin_user
        assert ApplePerson.objects.count() == 24
        ora = ApplePerson.objects.get(person_id="13001")
        assert (ora.managed_apple_id, ora.source_name, ora.synced_by) == (
            "ora.klein@appleid.contoso.edu",
            "Contoso classic",
            "Lycée Jean Moulin - Intune",
        )
        assert RosterClass.objects.get(class_id="11001").students.count() == 22
        toast = Notification.objects.get(title="Roster synced to Apple School Manager")
        assert (
            toast.body == "Contoso classic: 24 new people with a Managed Apple Account, 0 updated, 2 classes."
        )

    def test_syncing_again_updates_in_place(self, organization, profile, admin_user) -> None:
        apple_token(organization)
        upload_and_process(profile, sample("v1-25-users"), admin_user)
        (sync,) = apple_roster_sync_queue.apple_roster_sync_request(actor=admin_user)
        sync.refresh_from_db()
        assert (sync.trigger, sync.state, sync.people_created, sync.people_updated) == (
            "manual",
            "succeeded",
            0,
            24,
        )
        assert (sync.locations_updated, sync.classes_updated) == (2, 2)
        assert ApplePerson.objects.count() == 24 and RosterClass.objects.count() == 2

    def test_people_and_classes_that_left_stay_in_apple_school_manager(
        self, organization, profile, admin_user
    ) -> None:
        apple_token(organization)
        upload_and_process(profile, sample("v1-25-users"), admin_user)
        files = without_lines(sample("v1-25-users"), "Student.csv", "13001,")
        files = without_lines(files, "StudentEnrollment.csv", "11001,13001", "11002,13001")
        files = without_lines(files, "Section.csv", "11002,")
        files = without_lines(files, "StudentEnrollment.csv", "11002,")
        files = without_lines(files, "TeacherRoster.csv", "11002,")
        upload_and_process(profile, files, admin_user)
        sync = AppleRosterSync.objects.order_by("-id")[0]
        assert (sync.people_deactivated, sync.classes_switched_to_manual) == (1, 1)
        ora = ApplePerson.objects.get(person_id="13001")
        assert not ora.is_active and ora.managed_apple_id == "ora.klein@appleid.contoso.edu"
        algebra_2 = RosterClass.objects.get(class_id="11002")
        assert algebra_2.source == "manual" and algebra_2.students.count() == 0

    def test_refused_people_are_listed_and_the_others_created(
        self, organization, profile, admin_user
    ) -> None:
        apple_token(organization)
        managed_apple_ids.managed_apple_id_format_set(
            actor=None,
            organization=organization,
            value="{first}.{middle_initial}.{last}@appleid.{domain}",
            apply_to_existing=False,
        )
        files = edited(sample("v1-25-users"), "Student.csv", replace=(",13001,Christopher,", ",13001,,"))
        upload_and_process(profile, files, admin_user)
        sync = AppleRosterSync.objects.get()
        assert sync.state == "succeeded" and (sync.people_created, sync.people_failed) == (23, 1)
        assert sync.failures == [
            {
                "record": "person",
                "id": "13001",
                "code": "MANAGED_ID_GENERATION_FAILED",
                "field": "middle_name",
            }
        ]
        assert sync.members_not_found == 2  # Ora is in both classes
        assert (
            ApplePerson.objects.get(person_id="13002").managed_apple_id
            == "beulah.l.mcmillan@appleid.contoso.edu"
        )
        assert Notification.objects.get(title="Roster synced to Apple School Manager").level == "warning"

    def test_apple_refusing_the_token_fails_the_sync(
        self,
        organization,
        profile,
        admin_user,
        dep_server,  # noqa: F811
    ) -> None:
        token = apple_token(organization)
        control(dep_server, "POST", "terms", {"action": "publish"})
        upload_and_process(profile, sample("v1-25-users"), admin_user)
        sync = AppleRosterSync.objects.get()
        assert (sync.state, sync.error_code, sync.batches_done) == ("failed", "T_C_NOT_SIGNED", 0)
        assert EnrollmentProgramToken.objects.get(pk=token.pk).last_sync_error_code == "T_C_NOT_SIGNED"
        toast = Notification.objects.get(title="Roster sync to Apple School Manager failed")
        assert "has not accepted the latest Apple School Manager terms" in toast.body
        assert not ApplePerson.objects.exists()

    def test_apple_unavailable_then_syncing_again_completes(
        self,
        organization,
        profile,
        admin_user,
        dep_server,  # noqa: F811
    ) -> None:
        apple_token(organization)
        fault = {"endpoint": "roster", "status": 503, "code": "", "retry_after": 60, "count": 1}
        assert control(dep_server, "POST", "faults", fault).status_code == 201
        upload_and_process(profile, sample("v1-25-users"), admin_user)
        failed = AppleRosterSync.objects.get()
        assert (failed.state, failed.error_code, failed.batches_done) == (
            "failed",
            "503 SERVICE_UNAVAILABLE",
            0,
        )
        (sync,) = apple_roster_sync_queue.apple_roster_sync_request(actor=admin_user)
        sync.refresh_from_db()
        assert (sync.state, sync.people_created) == ("succeeded", 24)

    def test_sharing_a_token_sends_the_rosters_already_imported(
        self, organization, profile, admin_user
    ) -> None:
        upload_and_process(profile, sample("v1-25-users"), admin_user)
        assert not AppleRosterSync.objects.exists()  # no token shared: nothing leaves
        token = apple_token(organization, shared=False)
        sharing.token_sds_share(actor=admin_user, token=token)
        sync = AppleRosterSync.objects.get()
        assert (sync.trigger, sync.state, sync.people_created) == ("shared", "succeeded", 24)

    def test_a_token_blocked_before_the_worker_ran_sends_nothing(
        self, organization, profile, admin_user
    ) -> None:
        token = apple_token(organization, shared=False)
        upload_and_process(profile, sample("v1-25-users"), admin_user)
        sync = AppleRosterSync.objects.create(
            profile=profile,
            token=token,
            token_name=token.token_name,
            trigger="manual",
            requested_by=admin_user,
            created_at=profile.created_at,
        )
        apple_roster_sync.apple_roster_sync_run(sync_id=sync.pk)
        sync.refresh_from_db()
        assert sync.state == "cancelled" and sync.started_at is None
        assert not ApplePerson.objects.exists()
        assert Notification.objects.get(title="Roster sync cancelled").level == "warning"


@live
class AppleRosterSyncRetryTests:
    """Apple's 429, 5xx and timeouts are tried again with the device sync's back-off."""

    @pytest.fixture(autouse=True)
    def _no_waiting(self, settings) -> None:
        settings.SYNC_RETRY_BACKOFF_SECONDS = 0
        settings.SYNC_RETRY_ATTEMPTS = 3

    def test_one_429_then_the_sync_succeeds(
        self,
        organization,
        profile,
        admin_user,
        dep_server,  # noqa: F811
    ) -> None:
        apple_token(organization)
        fault = {"endpoint": "roster", "status": 429, "code": "", "count": 1}
        assert control(dep_server, "POST", "faults", fault).status_code == 201
        upload_and_process(profile, sample("v1-25-users"), admin_user)
        sync = AppleRosterSync.objects.get()
        assert (sync.state, sync.error_code, sync.people_created) == ("succeeded", "", 24)
        assert ApplePerson.objects.count() == 24

    def test_a_503_twice_then_the_sync_succeeds(
        self,
        organization,
        profile,
        admin_user,
        dep_server,  # noqa: F811
    ) -> None:
        apple_token(organization)
        fault = {"endpoint": "roster", "status": 503, "code": "", "count": 2}
        assert control(dep_server, "POST", "faults", fault).status_code == 201
        upload_and_process(profile, sample("v1-25-users"), admin_user)
        sync = AppleRosterSync.objects.get()
        assert (sync.state, sync.batches_done, sync.people_created) == ("succeeded", 3, 24)

    def test_apple_failing_every_time_fails_the_sync_after_the_configured_attempts(
        self,
        organization,
        profile,
        admin_user,
        dep_server,  # noqa: F811
    ) -> None:
        token = apple_token(organization)
        fault = {"endpoint": "roster", "status": 503, "code": "", "count": 10}
        assert control(dep_server, "POST", "faults", fault).status_code == 201
        upload_and_process(profile, sample("v1-25-users"), admin_user)
        sync = AppleRosterSync.objects.get()
        assert (sync.state, sync.batches_done) == ("failed", 0)
        assert sync.error_code == "503 SERVICE_UNAVAILABLE"
        remaining = control(dep_server, "GET", "faults").json()
        assert sum(f["remaining"] for f in remaining["faults"]) == 7  # three tries, then it stops
        assert (
            EnrollmentProgramToken.objects.get(pk=token.pk).last_sync_error_code == "503 SERVICE_UNAVAILABLE"
        )
        toast = Notification.objects.get(title="Roster sync to Apple School Manager failed")
        assert toast.level == "error" and not ApplePerson.objects.exists()
