"""What other parts of the portal can follow on tokens.

`sds_sharing_changed` is sent after the commit that shares a token with School Data Sync or
stops sharing it, with `token`, `shared` (a bool) and `actor` (who did it): School Data Sync starts pushing rosters to
Apple School Manager through the token, or stops. Receivers should only enqueue work.
"""

from __future__ import annotations

from django.dispatch import Signal

sds_sharing_changed = Signal()
