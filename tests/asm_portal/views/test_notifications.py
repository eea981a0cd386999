from __future__ import annotations

from asm_portal import services
from asm_portal.models import Notification
from tests.conftest import HTMX


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
