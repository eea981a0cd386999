"""A toast sent by a view, and an audit entry whose actor is a device, follow the reader's
language after a switch (issue 17: the stored texts of asm_portal.texts)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import translation

from asm_portal import clock, services, texts
from asm_portal.models import AuditEvent, Notification
from tests.conftest import make_user


def test_a_view_s_toast_is_shown_again_in_the_new_language(admin_client, admin_user) -> None:
    subject = make_user("teacher@contoso.onmicrosoft.com")
    admin_client.post(f"/tenant-admin/roles/{subject.pk}/", {"roles": []})
    notification = Notification.objects.get(user=admin_user)
    assert notification.title_display() == "Role assignment updated"
    admin_client.post("/language/", {"language": "fr"})
    with translation.override("fr"):
        title, body = translation.gettext("Role assignment updated"), notification.body_display()
    assert title != "Role assignment updated"
    assert "teacher@contoso.onmicrosoft.com" in body and "roles of" not in body
    page = admin_client.get("/notifications/").content.decode()
    assert title in page and body in page and "Role assignment updated" not in page


def test_a_device_actor_is_named_in_the_reader_s_language(admin_client) -> None:
    services.audit_record(
        actor=None,
        actor_name=texts.gettext("%(serial)s (device)", serial="DMPQ000001"),
        category=AuditEvent.Category.ENROLLMENT,
        action="Enroll device",
    )
    services.audit_record(actor=None, category=AuditEvent.Category.ENROLLMENT, action="Enroll device")
    assert sorted(AuditEvent.objects.values_list("actor_name", flat=True)) == [
        "DMPQ000001 (device)",
        "system",
    ]
    assert "DMPQ000001 (device)" in admin_client.get("/tenant-admin/audit-logs/").content.decode()
    admin_client.post("/language/", {"language": "fr"})
    french = admin_client.get("/tenant-admin/audit-logs/").content.decode()
    assert "DMPQ000001 (appareil)" in french and "(device)" not in french
    assert "système" in french


def test_notifications_are_listed_in_the_order_they_were_sent(admin_client, admin_user) -> None:
    """Sent while the demo clock was moved forward, then after going back: the later first."""
    clock.set_offset(timedelta(days=8))
    services.notification_send(user=admin_user, title=texts.gettext("Demo clock moved"))
    clock.set_offset(timedelta(0))
    services.notification_send(user=admin_user, title=texts.gettext("Demo clock reset"))
    page = admin_client.get("/notifications/").content.decode()
    assert page.index("Demo clock reset") < page.index("Demo clock moved")
