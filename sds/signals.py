"""What other parts of the portal can follow without reaching into the import.

`roster_imported` is sent once an accepted upload is committed, with `profile` and `upload`
(a SyncProfile and its RosterUpload): the push of the roster to Apple School Manager starts
there. Receivers run after the commit, outside the import's transaction; they should only
enqueue work.
"""

from __future__ import annotations

from django.dispatch import Signal

roster_imported = Signal()
