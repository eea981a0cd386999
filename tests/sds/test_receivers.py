"""The receivers that queue a roster sync to Apple School Manager, and their suppression by a reset."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from sds import apple_roster_sync_queue, receivers
from sds.models import RosterUpload, SyncProfile

PROFILE = SyncProfile(name="profile")
OTHER = SyncProfile(name="other")
UPLOAD = RosterUpload()


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    calls: list[Any] = []
    monkeypatch.setattr(
        apple_roster_sync_queue, "apple_roster_sync_after_import", lambda **kwargs: calls.append(kwargs)
    )
    return calls


class RosterSyncSuppressedTests:
    def test_an_import_queues_a_sync(self, queued: list[Any]) -> None:
        receivers.roster_imported(None, profile=PROFILE, upload=UPLOAD)

        assert queued == [{"profile": PROFILE, "upload": UPLOAD}]

    def test_inside_a_reset_the_import_queues_nothing(self, queued: list[Any]) -> None:
        with receivers.roster_syncs_suppressed():
            receivers.roster_imported(None, profile=PROFILE, upload=UPLOAD)

        assert queued == []
        receivers.roster_imported(None, profile=OTHER, upload=UPLOAD)
        assert [call["profile"] for call in queued] == [OTHER]

    def test_another_thread_still_queues_its_sync_during_a_reset(self, queued: list[Any]) -> None:
        with receivers.roster_syncs_suppressed():
            other = threading.Thread(
                target=receivers.roster_imported, args=(None,), kwargs={"profile": OTHER, "upload": UPLOAD}
            )
            other.start()
            other.join()

        assert [call["profile"] for call in queued] == [OTHER]
