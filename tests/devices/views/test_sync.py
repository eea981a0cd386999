"""The Sync blade: Last requested sync, Last successful sync, Request sync and its progress bar."""

from __future__ import annotations

from datetime import timedelta

import pytest

from asm_portal import clock
from asm_portal.models import Notification
from devices.models import SyncRun
from devices.sync_rules import sync_run_notify
from tests.conftest import HTMX
from tests.devices.conftest import run_failed, token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def token():
    return token_create("Lycée Jean Moulin - Intune")


def urls(token) -> tuple[str, str, str]:
    base = f"/enrollment/apple/tokens/{token.pk}/devices/sync/"
    return base, f"{base}request/", f"{base}status/"


class TokenSyncTests:
    def test_it_shows_the_blade(self, admin_client, token) -> None:
        blade, request_url, _ = urls(token)
        body = admin_client.get(blade).content.decode()
        assert "<html" in body and ">Sync</h1>" in body
        assert "Last requested sync" in body and "Not available. Sync to refresh." in body
        assert "Request sync" in body and f'hx-post="{request_url}"' in body
        assert "runs at most once every seven days" in body
        assert "hx-trigger" not in body.split('id="sync-panel"')[1].split(">")[0]  # nothing to poll

    def test_request_sync_queues_a_run_and_polls_its_progress(self, admin_client, admin_user, token) -> None:
        _, request_url, status_url = urls(token)
        response = admin_client.post(request_url, **HTMX)
        body = response.content.decode()
        run = SyncRun.objects.get()
        assert (run.trigger, run.requested_by) == (SyncRun.Trigger.MANUAL, admin_user)
        assert response.status_code == 200 and "<html" not in body
        assert f'hx-get="{status_url}" hx-trigger="every 2s"' in body
        assert "The sync is waiting for a worker." in body
        assert "disabled" in body.split("Request sync")[0].rsplit("<button", 1)[1]
        assert '<progress class="progressbar"' in body
        assert Notification.objects.filter(user=admin_user, title="Sync requested").exists()

    def test_a_second_request_is_refused_with_the_time_left(self, admin_client, token) -> None:
        _, request_url, _ = urls(token)
        admin_client.post(request_url, **HTMX)
        body = admin_client.post(request_url, **HTMX).content.decode()
        assert "You can request another sync in 15 minutes." in body
        assert SyncRun.objects.count() == 1

    def test_without_htmx_the_request_redirects_to_the_blade(self, admin_client, token) -> None:
        blade, request_url, _ = urls(token)
        response = admin_client.post(request_url)
        assert response.status_code == 302 and response["Location"] == blade

    def test_the_status_stops_polling_and_toasts_when_the_run_ends(
        self, admin_client, admin_user, token
    ) -> None:
        _, request_url, status_url = urls(token)
        admin_client.post(request_url, **HTMX)
        run = SyncRun.objects.get()
        SyncRun.objects.filter(pk=run.pk).update(
            state=SyncRun.State.SUCCEEDED, finished_at=clock.now(), added=12, pages=2
        )
        Notification.objects.filter(user=admin_user).update(toasted=True)
        run.refresh_from_db()
        sync_run_notify(run)
        body = admin_client.get(status_url, **HTMX).content.decode()
        assert "hx-trigger" not in body.split('id="sync-panel"')[1].split(">")[0]
        assert "The last sync succeeded" in body and "12 added" in body
        assert "hx-swap-oob" in body and "Sync of “Lycée Jean Moulin - Intune” completed" in body

    def test_it_says_which_sync_the_next_request_gets(self, admin_client, token) -> None:
        from devices.models import TokenSyncState

        blade, _, _ = urls(token)
        assert "Next request</dt><dd>Full sync" in admin_client.get(blade).content.decode()
        state = TokenSyncState.objects.create(
            token=token,
            cursor="C",
            last_full_sync_at=clock.now() - timedelta(days=1),
            next_must_be_full=False,
        )
        assert "Next request</dt><dd>New serial numbers only" in admin_client.get(blade).content.decode()
        TokenSyncState.objects.filter(pk=state.pk).update(last_full_sync_at=clock.now() - timedelta(days=8))
        assert "Next request</dt><dd>Full sync" in admin_client.get(blade).content.decode()

    def test_a_failure_shows_apple_s_reason_and_the_window(self, admin_client, token) -> None:
        blade, _, _ = urls(token)
        run_failed(token, error_code="ACCESS_DENIED", requested_ago=timedelta(minutes=5))
        body = admin_client.get(blade).content.decode()
        assert "The last sync failed" in body and "(ACCESS_DENIED)" in body
        assert "You can request another sync in 10 minutes." in body
        assert 'hx-trigger="every 15s"' in body  # the bar moves on
        # The countdown (shell.js ticks it every second; the panel renders it again every 15 s).
        assert 'data-countdown-seconds="600">10:00</time>' in body

    def test_read_only_operators_see_but_cannot_request(self, operator_client, token) -> None:
        blade, request_url, _ = urls(token)
        body = operator_client.get(blade).content.decode()
        assert "Read-only operators cannot request a sync." in body
        assert operator_client.post(request_url).status_code == 403
        assert not SyncRun.objects.exists()

    def test_other_methods_and_anonymous(self, client, admin_client, token) -> None:
        blade, request_url, status_url = urls(token)
        assert admin_client.post(blade).status_code == 405
        assert admin_client.get(request_url).status_code == 405
        assert admin_client.post(status_url).status_code == 405
        assert client.get(blade).status_code == 302
