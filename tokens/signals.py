"""What other parts of the portal can follow on tokens.

`token_sync_requested` is sent inside the transaction that uploads, renews or otherwise asks
for a sync of a token, with `token` and `actor` (a user, or None for the portal itself): the
devices app queues the sync run (its task is sent once that transaction commits).
"""

from __future__ import annotations

from django.dispatch import Signal

token_sync_requested = Signal()
