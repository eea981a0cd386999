"""What other parts of the portal can follow on tokens.

`sds_sharing_changed` is sent after the commit that shares a token with School Data Sync or
stops sharing it, with `token`, `shared` (a bool) and `actor` (who did it): School Data Sync starts pushing rosters to
Apple School Manager through the token, or stops. Receivers should only enqueue work.

`token_sync_requested` is sent inside the transaction that uploads, renews or otherwise asks
for a sync of a token, with `token` and `actor` (a user, or None for the portal itself): the
devices app queues the sync run (its task is sent once that transaction commits).
"""

from __future__ import annotations

from django.dispatch import Signal

sds_sharing_changed = Signal()
token_sync_requested = Signal()
