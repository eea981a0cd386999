"""What other parts of the portal can follow without reaching into School Data Sync.

`roster_imported` is sent once an accepted upload is committed, with `profile` and `upload`
(a SyncProfile and its RosterUpload): the push of the roster to Apple School Manager starts
there. Receivers run after the commit, outside the import's transaction; they should only
enqueue work.
"""

from __future__ import annotations

from django.dispatch import Signal

roster_imported = Signal()

# Sent after the commit that shares a token with School Data Sync or stops sharing it, with
# `token`, `shared` (a bool) and `actor` (who did it): School Data Sync starts pushing rosters to
# Apple School Manager through the token, or stops. Receivers should only enqueue work.
sds_sharing_changed = Signal()
