from __future__ import annotations

from asm_portal import services
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
