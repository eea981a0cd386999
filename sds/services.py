"""The names `trainer/presets.py` (and code written against main) still import from here.

The services live in modules named after what they hold: `sds.sync_profiles`, `sds.uploads`
(reading and queueing an upload), `sds.roster_import` (what the worker does with it),
`sds.apple_roster_sync_queue` (asking for syncs to Apple School Manager) and
`sds.apple_roster_sync` (what the worker does for one). Import from those; this module goes
once its last user has moved.
"""

from __future__ import annotations

from sds.apple_roster_sync import apple_error_text, apple_roster_sync_run
from sds.apple_roster_sync_queue import apple_roster_sync_after_import, apple_roster_sync_after_sharing
from sds.roster_import import roster_upload_process
from sds.sync_profiles import sync_profile_create
from sds.uploads import roster_upload_create

__all__ = [
    "apple_error_text",
    "apple_roster_sync_after_import",
    "apple_roster_sync_after_sharing",
    "apple_roster_sync_run",
    "roster_upload_create",
    "roster_upload_process",
    "sync_profile_create",
]
