"""Syncs to Apple School Manager as the worker leaves them, for the pages' tests."""

from __future__ import annotations

from typing import Any

from asm_portal import clock
from sds.models import AppleRosterSync, SyncProfile


def make_sync(profile: SyncProfile, **fields: Any) -> AppleRosterSync:
    values: dict[str, Any] = {
        "token_name": "Lycée Jean Moulin - Intune",
        "trigger": AppleRosterSync.Trigger.IMPORT,
        "created_at": clock.now(),
        "state": AppleRosterSync.State.SUCCEEDED,
        "batches_total": 3,
        "batches_done": 3,
        "locations_created": 2,
        "people_created": 24,
        "classes_created": 2,
        **fields,
    }
    return AppleRosterSync.objects.create(profile=profile, **values)
