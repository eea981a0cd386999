"""Portal-wide services: whether the background worker reports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from asm_portal import clock, services
from asm_portal.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


class WorkerStateTests:
    def test_a_fresh_start_is_starting_not_missing(self, monkeypatch) -> None:
        monkeypatch.setattr(services, "PROCESS_STARTED_AT", timezone.now() - timedelta(seconds=20))
        assert services.worker_state() == "starting"

    def test_a_worker_that_reported_is_online(self, monkeypatch) -> None:
        monkeypatch.setattr(services, "PROCESS_STARTED_AT", timezone.now() - timedelta(hours=1))
        services.worker_heartbeat_record(hostname="worker-1")
        assert services.worker_state() == "online"

    def test_a_quiet_worker_after_the_start_is_missing(self, monkeypatch) -> None:
        monkeypatch.setattr(services, "PROCESS_STARTED_AT", timezone.now() - timedelta(hours=1))
        assert services.worker_state() == "missing"
        WorkerHeartbeat.objects.create(hostname="worker-1", last_seen=timezone.now() - timedelta(minutes=6))
        assert services.worker_state() == "missing"

    def test_the_demo_clock_does_not_make_a_worker_quiet(self, monkeypatch) -> None:
        """Heartbeats are real time: moving the demo clock forward says nothing of the worker."""
        monkeypatch.setattr(services, "PROCESS_STARTED_AT", timezone.now() - timedelta(hours=1))
        services.worker_heartbeat_record(hostname="worker-1")
        clock.set_offset(timedelta(days=8))
        assert services.worker_state() == "online"


class HomeBannerTests:
    def test_the_home_page_says_the_service_is_starting(self, admin_client, monkeypatch) -> None:
        monkeypatch.setattr(services, "PROCESS_STARTED_AT", timezone.now())
        html = admin_client.get("/").content.decode()
        assert "The background service is starting" in html and "has not reported" not in html

    def test_the_home_page_warns_when_the_worker_is_missing(self, admin_client, monkeypatch) -> None:
        monkeypatch.setattr(services, "PROCESS_STARTED_AT", timezone.now() - timedelta(hours=1))
        html = admin_client.get("/").content.decode()
        assert "has not reported in the last five minutes" in html and "is starting" not in html

    def test_no_banner_while_a_worker_reports(self, admin_client, monkeypatch) -> None:
        monkeypatch.setattr(services, "PROCESS_STARTED_AT", timezone.now() - timedelta(hours=1))
        services.worker_heartbeat_record(hostname="worker-1")
        html = admin_client.get("/").content.decode()
        assert "is starting" not in html and "has not reported" not in html
