from __future__ import annotations

from datetime import timedelta

from django.utils import translation

from asm_portal import clock, services, texts
from asm_portal.models import AuditEvent
from tests.conftest import HTMX


class AuditLogsTests:
    def record(self, user, action: str, result: str = AuditEvent.Result.SUCCESS) -> None:
        services.audit_record(
            actor=user,
            category="Enrollment",
            action=action,
            target_type="Token",
            result=result,
        )

    def test_it_lists_who_did_what(self, admin_client, admin_user) -> None:
        self.record(admin_user, "Upload enrollment program token")
        html = admin_client.get("/tenant-admin/audit-logs/").content.decode()
        assert "Upload enrollment program token" in html
        assert admin_user.username in html
        assert "Showing 1 to 1 of 1 records" in html

    def test_it_searches_and_filters(self, admin_client, admin_user) -> None:
        self.record(admin_user, "Create profile")
        self.record(admin_user, "Delete token", result=AuditEvent.Result.FAILURE)
        html = admin_client.get("/tenant-admin/audit-logs/?q=profile").content.decode()
        assert "Create profile" in html
        assert "Delete token" not in html
        html = admin_client.get("/tenant-admin/audit-logs/?result=failure").content.decode()
        assert "Delete token" in html
        assert "Create profile" not in html

    def test_htmx_search_gets_the_grid_only(self, admin_client, admin_user) -> None:
        self.record(admin_user, "Create profile")
        response = admin_client.get("/tenant-admin/audit-logs/?q=profile&fragment=grid", **HTMX)
        html = response.content.decode()
        assert html.lstrip().startswith('<div id="grid"')
        assert "Create profile" in html
        assert 'class="blade-header"' not in html

    def test_it_pages(self, admin_client, admin_user) -> None:
        for index in range(55):
            self.record(admin_user, f"Action {index}")
        html = admin_client.get("/tenant-admin/audit-logs/?page=2").content.decode()
        assert "Showing 51 to 55 of 55 records" in html
        assert "Page 2 of 2" in html

    def test_the_pager_keeps_the_filters_and_asks_htmx_for_the_grid_only(
        self, admin_client, admin_user
    ) -> None:
        for index in range(55):
            self.record(admin_user, f"Action {index}")
        html = admin_client.get(
            "/tenant-admin/audit-logs/?q=Action&page=2&fragment=grid", **HTMX
        ).content.decode()
        assert 'href="?q=Action&amp;page=1"' in html
        assert 'hx-get="?q=Action&amp;page=1&amp;fragment=grid"' in html


class AuditLanguageTests:
    """Actions, target types and worded targets are stored in English and shown in the reader's."""

    def test_the_log_follows_the_reader_s_language(self, admin_client, admin_user) -> None:
        with translation.override("fr"):  # recorded during a French request: stored in English all the same
            services.audit_record(
                actor=admin_user,
                category=AuditEvent.Category.TRAINER,
                action="Start fault drill",
                target_type="Fault drill",
                target_text=texts.gettext("Apple down"),
            )
        event = AuditEvent.objects.get()
        assert (event.action, event.target_type, event.target_name) == (
            "Start fault drill",
            "Fault drill",
            "Apple down",
        )
        english = admin_client.get("/tenant-admin/audit-logs/").content.decode()
        assert "Start fault drill" in english and "Fault drill:</span> Apple down" in english
        admin_client.post("/language/", {"language": "fr"})
        french = admin_client.get("/tenant-admin/audit-logs/").content.decode()
        assert "Démarrer l’exercice de panne" in french
        assert "Exercice de panne\u00a0:</span> Apple indisponible" in french
        assert "Start fault drill" not in french

    def test_a_model_target_s_type_is_stored_in_english(self, admin_user) -> None:
        with translation.override("fr"):
            services.audit_record(
                actor=admin_user,
                category=AuditEvent.Category.ROLE,
                action="Update role assignment",
                target=admin_user,
            )
        assert AuditEvent.objects.get().target_type == "user"

    def test_a_target_without_words_shows_no_dangling_colon(self, admin_client, admin_user) -> None:
        services.audit_record(
            actor=admin_user,
            category=AuditEvent.Category.TRAINER,
            action="Move demo clock",
            target_type="Demo clock",
        )
        html = admin_client.get("/tenant-admin/audit-logs/").content.decode()
        assert "Demo clock</span>" in html and "Demo clock:</span>" not in html


class AuditDemoClockTests:
    def test_it_sorts_by_real_time_and_shows_the_demo_time_beside_it(
        self, admin_client, admin_user, settings
    ) -> None:
        clock.set_offset(timedelta(days=8))
        services.audit_record(actor=admin_user, category="Trainer", action="Moved while forward")
        clock.set_offset(timedelta(0))
        services.audit_record(actor=admin_user, category="Trainer", action="Back at real time")
        html = admin_client.get("/tenant-admin/audit-logs/").content.decode()
        assert html.index("Back at real time") < html.index("Moved while forward")
        assert html.count('data-testid="demo-time"') == 1
        moved = AuditEvent.objects.get(action="Moved while forward")
        assert moved.demo_time_differs() and (moved.occurred_at - moved.recorded_at) >= timedelta(days=7)


class AuditSearchLanguageTests:
    def test_a_french_reader_finds_an_action_by_its_french_words(self, admin_client, admin_user) -> None:
        services.audit_record(actor=admin_user, category="Trainer", action="Start fault drill")
        services.audit_record(actor=admin_user, category="Trainer", action="Move demo clock")
        admin_client.post("/language/", {"language": "fr"})
        html = admin_client.get("/tenant-admin/audit-logs/?q=exercice").content.decode()
        assert "Démarrer l’exercice de panne" in html and "Avancer l’horloge" not in html
        html = admin_client.get("/tenant-admin/audit-logs/?q=fault drill").content.decode()
        assert "Démarrer l’exercice de panne" in html  # the stored English still matches
