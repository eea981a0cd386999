"""What other parts of the portal can follow on profiles (the devices app receives both).

`profile_replaced_on_apple` is sent after the commit of a profile edit that has devices
assigned: Apple's profiles cannot change, so the edit is a new Apple profile and the devices
assigned the old one must be assigned the new one. Receivers should only enqueue work.

`default_profile_set` is sent when a profile becomes its token's default: devices already
synced without a profile get it, as Intune does.
"""

from __future__ import annotations

from django.dispatch import Signal

profile_replaced_on_apple = Signal()
default_profile_set = Signal()
