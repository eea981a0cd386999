"""The trainer's Fault Injection page: the control API's switches, for Administrators only."""

from __future__ import annotations

import pytest

from mock_apple import clock
from mock_apple.models import ForcedResponse, MdmServer, MockConfig, Organization
from mock_apple.services import mdm_servers
from tests.mock_apple.conftest import APPLE_DB


@pytest.mark.django_db(databases=APPLE_DB)
class AsmFaultsTests:
    def test_it_shows_the_page(self, asm_admin) -> None:
        response = asm_admin.get("/asm/trainer/")
        assert response.status_code == 200 and b"Forced answers" in response.content

    def test_it_queues_and_clears_faults(self, asm_admin) -> None:
        data = {
            "action": "fault",
            "fault-endpoint": "sync",
            "fault-status": "429",
            "fault-code": "",
            "fault-retry_after": "30",
            "fault-latency_ms": "",
            "fault-count": "2",
        }
        assert asm_admin.post("/asm/trainer/", data).status_code == 302
        fault = ForcedResponse.objects.get()
        assert (fault.endpoint, fault.status, fault.retry_after, fault.remaining) == ("sync", 429, 30, 2)
        asm_admin.post("/asm/trainer/", {"action": "clear"})
        assert not ForcedResponse.objects.exists()

    def test_a_bad_fault_is_explained(self, asm_admin) -> None:
        data = {"action": "fault", "fault-endpoint": "sync", "fault-status": "", "fault-count": "1"}
        response = asm_admin.post("/asm/trainer/", data)
        assert (
            response.status_code == 200 and "Give a status, a latency, or both." in response.content.decode()
        )
        assert not ForcedResponse.objects.exists()

    def test_clock_sessions_feed_throttle_terms_and_servers(self, asm_admin, organization) -> None:
        asm_admin.post("/asm/trainer/", {"action": "clock", "clock-days": "8", "clock-hours": "1"})
        assert clock.offset().total_seconds() == 8 * 86_400 + 3600
        asm_admin.post(
            "/asm/trainer/",
            {"action": "session", "session-session_ttl_seconds": "30", "session-session_rotation": "on"},
        )
        asm_admin.post(
            "/asm/trainer/",
            {"action": "feed", "feed-echoed_cursor_remaining": "3", "feed-move_op_type": "added"},
        )
        asm_admin.post(
            "/asm/trainer/",
            {
                "action": "throttle",
                "throttle-throttle_percent": "25",
                "throttle-throttle_serials": "a1 b2",
                "throttle-failed_serials": "",
                "throttle-retry_after_seconds": "60",
            },
        )
        config = MockConfig.objects.get()
        assert (config.session_ttl_seconds, config.session_rotation, config.echoed_cursor_remaining) == (
            30,
            True,
            3,
        )
        assert (config.move_op_type, config.throttle_rate, config.throttle_serials) == (
            "added",
            0.25,
            ["A1", "B2"],
        )
        asm_admin.post("/asm/trainer/", {"action": "publish_terms"})
        assert not Organization.objects.get().terms_accepted
        server = mdm_servers.mdm_server_create(actor=None, organization=organization, name="Intune")
        asm_admin.post("/asm/trainer/", {"action": "deny", "server": server.server_uuid})
        assert MdmServer.objects.get().access_denied
        asm_admin.post("/asm/trainer/", {"action": "reset"})
        assert MockConfig.objects.get().session_ttl_seconds == 180 and clock.offset().total_seconds() == 0

    def test_only_administrators(self, asm_manager) -> None:
        assert asm_manager.get("/asm/trainer/").status_code == 403
        assert asm_manager.post("/asm/trainer/", {"action": "publish_terms"}).status_code == 403
        assert b"Fault Injection" not in asm_manager.get("/asm/devices/").content

    def test_it_refuses_other_methods(self, asm_admin) -> None:
        assert asm_admin.put("/asm/trainer/").status_code == 405
