from __future__ import annotations

from django.utils import translation

from asm_portal import clock, services
from asm_portal.models import Notification
from devices.sync_rules import sync_run_notify
from tests.conftest import HTMX
from tests.devices.conftest import run_failed, token_create


class NotificationsTests:
    def test_a_notification_is_toasted_once_then_archived(self, admin_client, admin_user) -> None:
        services.notification_send(user=admin_user, title="Sync finished", body="42 devices", level="success")
        first = admin_client.get("/").content.decode()
        assert "Sync finished" in first
        assert 'id="bell-count" class="bell-count">1<' in first
        second = admin_client.get("/").content.decode()
        assert 'class="toast toast-success"' not in second

    def test_htmx_fragments_carry_new_toasts_out_of_band(self, admin_client, admin_user) -> None:
        services.notification_send(user=admin_user, title="Token uploaded")
        html = admin_client.get("/enrollment/", **HTMX).content.decode()
        assert 'hx-swap-oob="afterbegin:#toasts"' in html
        assert "Token uploaded" in html

    def test_the_panel_lists_and_marks_read(self, admin_client, admin_user) -> None:
        services.notification_send(user=admin_user, title="Profile created")
        response = admin_client.get("/notifications/", **HTMX)
        assert b"Profile created" in response.content
        assert b"<html" not in response.content
        assert b"<h2>Notifications</h2>" in response.content and b"Mark all as read" in response.content
        admin_client.post("/notifications/read/", **HTMX)
        assert not Notification.objects.filter(user=admin_user, read=False).exists()

    def test_users_see_only_their_own(self, operator_client, admin_user) -> None:
        services.notification_send(user=admin_user, title="Only for the admin")
        assert b"Only for the admin" not in operator_client.get("/notifications/").content

    def test_mark_read_needs_post(self, admin_client) -> None:
        assert admin_client.get("/notifications/read/").status_code == 405


class NotificationLanguageTests:
    """A toast written outside a request is shown in the reader's language, then and later."""

    def test_a_worker_s_toast_follows_the_reader_s_language(self, admin_client, admin_user) -> None:
        token = token_create("Lycée Jean Moulin - Intune")
        run = run_failed(token, error_code="503 SERVICE_UNAVAILABLE", requested_by=admin_user)
        with translation.override("en"):  # the worker's language
            sync_run_notify(run)
        admin_client.post("/language/", {"language": "fr"})
        french = admin_client.get("/notifications/").content.decode()
        assert "Échec de la synchronisation de «\u00a0Lycée Jean Moulin - Intune\u00a0»" in french
        assert "Apple a répondu 503 SERVICE_UNAVAILABLE" in french
        assert "Sync of" not in french and "Try again later" not in french
        admin_client.post("/language/", {"language": "en"})
        english = admin_client.get("/notifications/").content.decode()
        assert "Sync of “Lycée Jean Moulin - Intune” failed" in english
        assert "Apple answered 503 SERVICE_UNAVAILABLE. Try again later." in english

    def test_an_older_notification_is_shown_as_stored(self, admin_client, admin_user) -> None:
        Notification.objects.create(
            user=admin_user, created_at=clock.now(), title="Ancien titre", body="Corps"
        )
        admin_client.post("/language/", {"language": "en"})
        html = admin_client.get("/notifications/").content.decode()
        assert "Ancien titre" in html and "Corps" in html
