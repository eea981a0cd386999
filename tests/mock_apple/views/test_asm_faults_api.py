"""The Fault Injection page's School Manager API card: limits, slow activities, expired tokens."""

from __future__ import annotations

import pytest

from mock_apple import clock
from mock_apple.models import ApiAccessToken, ForcedResponse, MockConfig
from mock_apple.services import api_accounts
from tests.mock_apple.conftest import APPLE_DB


@pytest.mark.django_db(databases=APPLE_DB)
class AsmFaultsApiTests:
    def test_the_card_and_the_new_endpoints_are_shown(self, asm_admin) -> None:
        body = asm_admin.get("/asm/trainer/").content.decode()
        assert "data-api-faults" in body and 'value="axm_token"' in body and 'value="axm_activity"' in body

    def test_limits_and_a_slow_activity(self, asm_admin) -> None:
        data = {
            "action": "api",
            "api-api_get_per_minute": "0",
            "api-api_activity_posts_per_hour": "100",
            "api-api_activity_seconds": "3600",
        }
        assert asm_admin.post("/asm/trainer/", data).status_code == 302
        config = MockConfig.load()
        assert (
            config.api_get_per_minute,
            config.api_activity_posts_per_hour,
            config.api_activity_seconds,
        ) == (
            0,
            100,
            3600,
        )
        bad = asm_admin.post("/asm/trainer/", {**data, "api-api_activity_seconds": "-1"})
        assert bad.status_code == 200 and b"field-error" in bad.content

    def test_queueing_a_fault_for_the_api(self, asm_admin) -> None:
        data = {
            "action": "fault",
            "fault-endpoint": "axm_devices",
            "fault-status": "409",
            "fault-code": "",
            "fault-retry_after": "",
            "fault-latency_ms": "",
            "fault-count": "1",
        }
        assert asm_admin.post("/asm/trainer/", data).status_code == 302
        assert ForcedResponse.objects.get().endpoint == "axm_devices"

    def test_expiring_every_access_token(self, asm_admin, organization) -> None:
        created = api_accounts.api_account_create(actor=None, organization=organization, name="X")
        ApiAccessToken.objects.create(
            token_digest="d" * 64,
            account=created.account,
            created_at=clock.now(),
            expires_at=clock.now().replace(year=2100),
        )
        assert asm_admin.post("/asm/trainer/", {"action": "expire_api_tokens"}).status_code == 302
        assert ApiAccessToken.objects.get().expires_at <= clock.now()
