"""The article's sync rules: which sync a request gets (no Apple needed: no run is executed)."""

from __future__ import annotations

import pytest

from asm_portal import clock
from devices.models import SyncRun, TokenSyncState
from devices.sync_rules import sync_kind
from tests.devices.conftest import sync_state_synced, token_create
from tokens.models import EnrollmentProgramToken

pytestmark = pytest.mark.django_db


@pytest.fixture
def token() -> EnrollmentProgramToken:
    return token_create()


class SyncKindTests:
    def test_it_is_full_without_a_cursor_or_after_a_failure(self, token) -> None:
        now = clock.now()
        state = TokenSyncState(token=token)
        for trigger in SyncRun.Trigger.values:
            assert sync_kind(state=state, trigger=trigger, now=now) == SyncRun.Kind.FULL
        state = sync_state_synced(token)
        state.next_must_be_full = True
        assert sync_kind(state=state, trigger=SyncRun.Trigger.AUTOMATIC, now=now) == SyncRun.Kind.FULL

    def test_a_request_within_seven_days_of_a_full_sync_adds_new_serials_only(self, token) -> None:
        state = sync_state_synced(token, full_days_ago=6.9)
        now = clock.now()
        assert sync_kind(state=state, trigger=SyncRun.Trigger.MANUAL, now=now) == SyncRun.Kind.NEW_SERIALS
        assert (
            sync_kind(state=state, trigger=SyncRun.Trigger.TOKEN_UPLOAD, now=now) == SyncRun.Kind.NEW_SERIALS
        )

    def test_a_request_seven_days_after_a_full_sync_is_full(self, token) -> None:
        state = sync_state_synced(token, full_days_ago=7)
        assert sync_kind(state=state, trigger=SyncRun.Trigger.MANUAL, now=clock.now()) == SyncRun.Kind.FULL

    def test_automatic_syncs_are_deltas(self, token) -> None:
        state = sync_state_synced(token, full_days_ago=30)
        assert (
            sync_kind(state=state, trigger=SyncRun.Trigger.AUTOMATIC, now=clock.now()) == SyncRun.Kind.DELTA
        )

    def test_the_interval_is_a_setting(self, token, settings) -> None:
        settings.SYNC_FULL_INTERVAL_SECONDS = 3600
        state = sync_state_synced(token, full_days_ago=0.05)  # 72 minutes
        assert sync_kind(state=state, trigger=SyncRun.Trigger.MANUAL, now=clock.now()) == SyncRun.Kind.FULL
