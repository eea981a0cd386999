"""A sync to Apple School Manager: its progress (polled), its counts and the refused records."""

from __future__ import annotations

from tests.conftest import HTMX
from tests.sds.apple_syncs import make_sync

FAILURE = {"record": "person", "id": "13001", "code": "MANAGED_ID_GENERATION_FAILED", "field": "middle_name"}


def url(sync) -> str:
    return f"/sds/apple-school-manager/{sync.pk}/"


class AppleSyncDetailTests:
    def test_a_finished_sync_shows_its_counts(self, admin_client, imported_classic) -> None:
        sync = make_sync(
            imported_classic.profile, upload=imported_classic, people_updated=3, classes_switched_to_manual=1
        )
        body = admin_client.get(url(sync)).content.decode()
        assert "The roster is in Apple School Manager." in body
        assert "24 new, 3 updated, 0 made inactive, 0 refused" in body
        assert "<dt>Locations</dt><dd>2 new, 0 updated</dd>" in body
        assert "2 new, 0 updated, 1 switched to Manual, 0 refused" in body
        assert f'href="/sds/uploads/{imported_classic.pk}/"' in body and "Nothing was refused." in body
        assert "hx-trigger" not in body

    def test_refused_records_are_explained(self, admin_client, imported_classic) -> None:
        sync = make_sync(imported_classic.profile, people_failed=1, members_not_found=2, failures=[FAILURE])
        body = admin_client.get(url(sync)).content.decode()
        assert "Synced, but Apple School Manager refused 1 record: see below." in body
        assert "MANAGED_ID_GENERATION_FAILED" in body
        assert "No Managed Apple Account could be made: middle_name is part of the account format" in body
        assert "2 students or instructors are not in Apple School Manager" in body

    def test_a_running_sync_polls_until_it_is_over(self, admin_client, imported_classic) -> None:
        sync = make_sync(imported_classic.profile, state="running", batches_done=1)
        body = admin_client.get(url(sync)).content.decode()
        assert "Syncing to Apple School Manager: 1 of 3 requests sent." in body
        assert f'hx-get="{url(sync)}?fragment=status" hx-trigger="every 2s"' in body
        sync.state, sync.failures = "succeeded", [FAILURE]
        sync.save()
        fragment = admin_client.get(f"{url(sync)}?fragment=status", **HTMX).content.decode()
        assert "<html" not in fragment and "hx-trigger" not in fragment
        # The last answer also brings the refused records, out of band.
        assert (
            'id="apple-sync-failures" hx-swap-oob="true"' in fragment
            and "MANAGED_ID_GENERATION_FAILED" in fragment
        )

    def test_a_failed_sync_says_why(self, admin_client, imported_classic) -> None:
        sync = make_sync(
            imported_classic.profile, state="failed", batches_done=1, error_code="T_C_NOT_SIGNED"
        )
        body = admin_client.get(url(sync)).content.decode()
        assert "The sync stopped after 1 of 3 requests:" in body and "T_C_NOT_SIGNED" in body
        assert "syncing again completes it" in body

    def test_a_cancelled_sync(self, admin_client, imported_classic) -> None:
        sync = make_sync(imported_classic.profile, state="cancelled", batches_done=0)
        assert "was no longer shared with School Data Sync" in admin_client.get(url(sync)).content.decode()

    def test_read_only_operators_see_it(self, operator_client, imported_classic) -> None:
        assert operator_client.get(url(make_sync(imported_classic.profile))).status_code == 200

    def test_unknown_syncs_are_not_found(self, admin_client) -> None:
        assert admin_client.get("/sds/apple-school-manager/4040/").status_code == 404

    def test_anonymous_users_sign_in_first(self, client, imported_classic) -> None:
        assert client.get(url(make_sync(imported_classic.profile))).status_code == 302

    def test_it_refuses_other_methods(self, admin_client, imported_classic) -> None:
        assert admin_client.post(url(make_sync(imported_classic.profile))).status_code == 405
