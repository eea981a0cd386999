"""Sync to Apple School Manager: one sync per sync profile with a roster, through the shared token."""

from __future__ import annotations

from asm_portal.models import AuditEvent
from sds import sync_profiles
from sds.models import AppleRosterSync
from tests.conftest import HTMX
from tests.sds.conftest import sample, upload_and_process
from tests.tokens.conftest import make_token

URL = "/sds/apple-school-manager/sync/"


class AppleSyncRequestTests:
    def test_it_queues_a_sync_and_opens_it(self, admin_client, admin_user, imported_classic) -> None:
        token = make_token(shared_with_sds=True)
        response = admin_client.post(URL)
        sync = AppleRosterSync.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/sds/apple-school-manager/{sync.pk}/"
        assert (sync.state, sync.trigger, sync.token, sync.requested_by) == (
            "queued",
            "manual",
            token,
            admin_user,
        )
        audit = AuditEvent.objects.get(action="Sync rosters to Apple School Manager")
        assert audit.details["profiles"] == ["Contoso classic"]

    def test_every_profile_with_a_roster_is_synced(
        self, admin_client, admin_user, imported_classic, imported_v21
    ) -> None:
        make_token(shared_with_sds=True)
        sync_profiles.sync_profile_create(
            actor=admin_user, name="Empty", roster_format="v1", domain_suffix="contoso.edu"
        )
        response = admin_client.post(URL, **HTMX)
        assert response.status_code == 204 and "/sds/apple-school-manager/" in response["HX-Location"]
        assert sorted(AppleRosterSync.objects.values_list("profile__name", flat=True)) == [
            "Contoso classic",
            "Contoso v2.1",
        ]

    def test_without_a_shared_token_it_explains(self, admin_client, imported_classic) -> None:
        make_token(shared_with_sds=False)
        response = admin_client.post(URL)
        assert response.status_code == 200
        assert "Allow School Data Sync on an Apple School Manager token first." in response.content.decode()
        assert not AppleRosterSync.objects.exists()

    def test_without_a_roster_it_explains(self, admin_client, classic_profile) -> None:
        make_token(shared_with_sds=True)
        body = admin_client.post(URL).content.decode()
        assert "No roster has been imported yet: upload one first." in body
        assert not AppleRosterSync.objects.exists()

    def test_a_rejected_upload_is_no_roster(self, admin_client, classic_profile, admin_user) -> None:
        make_token(shared_with_sds=True)
        upload_and_process(classic_profile, {"School.csv": sample("v1-25-users")["School.csv"]}, admin_user)
        assert "No roster has been imported yet" in admin_client.post(URL).content.decode()

    def test_read_only_operators_get_403(self, operator_client, imported_classic) -> None:
        make_token(shared_with_sds=True)
        assert operator_client.post(URL).status_code == 403
        assert not AppleRosterSync.objects.exists()

    def test_anonymous_users_sign_in_first(self, client, db) -> None:
        assert client.post(URL).status_code == 302

    def test_it_refuses_other_methods(self, admin_client) -> None:
        assert admin_client.get(URL).status_code == 405
