"""School Data Sync › Apple School Manager: the token in use, the syncs, polling while they run."""

from __future__ import annotations

from tests.conftest import HTMX
from tests.sds.apple_syncs import make_sync
from tests.tokens.conftest import make_token

URL = "/sds/apple-school-manager/"


class AppleSyncListTests:
    def test_without_a_shared_token_it_says_how_to_connect_one(self, admin_client) -> None:
        body = admin_client.get(URL).content.decode()
        assert "No enrollment program token is shared with School Data Sync" in body
        assert 'href="/enrollment/apple/tokens/"' in body
        assert 'class="command" aria-disabled="true"' in body and "No syncs yet." in body

    def test_with_a_shared_token_and_a_roster_the_command_is_there(
        self, admin_client, imported_classic, settings
    ) -> None:
        token = make_token(token_name="Lycée Jean Moulin", shared_with_sds=True)
        body = admin_client.get(URL).content.decode()
        assert "School Data Sync uses the enrollment program token “Lycée Jean Moulin”" in body
        assert f'href="/enrollment/apple/tokens/{token.pk}/school-data-sync/"' in body
        assert 'hx-post="/sds/apple-school-manager/sync/"' in body
        assert f'href="{settings.APPLE_PUBLIC_URL}/asm/people/" target="_blank"' in body

    def test_it_lists_the_syncs_and_polls_while_one_runs(self, admin_client, imported_classic) -> None:
        make_sync(imported_classic.profile, people_failed=1)
        running = make_sync(imported_classic.profile, state="running", batches_done=1, people_created=0)
        response = admin_client.get(URL)
        body = response.content.decode()
        assert "Succeeded with refusals" in body and "1/3" in body and "Roster imported" in body
        assert 'hx-trigger="every 2s"' in body
        running.state = "succeeded"
        running.people_created = 3
        running.people_updated = 21
        running.save()
        fragment = admin_client.get(f"{URL}?fragment=syncs", **HTMX).content.decode()
        # The grid alone, no longer polling, with both syncs' rows as the worker left them.
        assert fragment.lstrip().startswith('<div id="apple-syncs">') and "<html" not in fragment
        assert "hx-trigger" not in fragment and "School Data Sync uses" not in fragment
        rows = fragment.split("<tr>")[2:]
        assert len(rows) == 2
        assert "Succeeded with refusals" in rows[1] and '<td class="numeric">1</td>' in rows[1]
        assert "Succeeded" in rows[0] and "Succeeded with refusals" not in rows[0]
        assert '<td class="numeric">3</td>' in rows[0] and '<td class="numeric">21</td>' in rows[0]
        assert all("Contoso classic" in row and "Roster imported" in row for row in rows)

    def test_read_only_operators_see_syncs_without_the_command(
        self, operator_client, imported_classic
    ) -> None:
        make_token(shared_with_sds=True)
        make_sync(imported_classic.profile)
        body = operator_client.get(URL).content.decode()
        assert "Contoso classic" in body and 'hx-post="/sds/apple-school-manager/sync/"' not in body

    def test_htmx_navigation_gets_the_blade_only(self, admin_client, imported_classic) -> None:
        make_token(token_name="Lycée Jean Moulin", shared_with_sds=True)
        make_sync(imported_classic.profile, people_created=24, classes_created=2)
        response = admin_client.get(URL, **HTMX)
        body = response.content.decode()
        assert response.status_code == 200 and "<html" not in body
        assert "School Data Sync uses the enrollment program token “Lycée Jean Moulin”" in body
        assert 'hx-post="/sds/apple-school-manager/sync/"' in body
        assert "Contoso classic" in body and "Succeeded" in body and "Roster imported" in body
        assert '<td class="numeric">24</td>' in body and "No syncs yet." not in body

    def test_anonymous_users_sign_in_first(self, client, db) -> None:
        assert client.get(URL).status_code == 302

    def test_it_refuses_other_methods(self, admin_client) -> None:
        assert admin_client.post(URL).status_code == 405
