"""Where the device blades sit in the shell (registered by DevicesConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from asm_portal import navigation
from asm_portal.navigation import APPLE_ENROLLMENT_MENU, TOKEN_MENU, MenuItem


def register() -> None:
    navigation.register_blades(
        {
            "devices:list": (_("Enrollment program devices"), "apple_enrollment", "enrollment"),
            "devices:sync_choose": (_("Sync"), "devices:list", "enrollment"),
            "devices:assign": (_("Assign profile"), "devices:list", "enrollment"),
            "devices:columns": (_("Columns"), "devices:list", "enrollment"),
            "devices:delete": (_("Delete devices"), "devices:list", "enrollment"),
            # Under its token's Devices blade: the view adds the token, Devices and the serial number.
            "devices:detail": (_("Enrollment program device"), "tokens:list", "enrollment"),
            # Blades under a token or a profile: the views add the token (and profile) to the trail.
            "devices:token_devices": (_("Devices"), "tokens:list", "enrollment"),
            "devices:sync": (_("Sync"), "tokens:list", "enrollment"),
            "devices:profile_assignments": (_("Device assignments"), "tokens:list", "enrollment"),
            "devices:profile_assign": (_("Assign"), "tokens:list", "enrollment"),
            "devices:assignment": (_("Assignment result"), "tokens:list", "enrollment"),
        }
    )
    navigation.register_menu_item(
        APPLE_ENROLLMENT_MENU,
        MenuItem("devices:list", _("Enrollment program devices"), "tablet", group="program", order=20),
    )
    navigation.register_menu_item(
        TOKEN_MENU, MenuItem("devices:token_devices", _("Devices"), "tablet", group="manage", order=10)
    )
