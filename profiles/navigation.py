"""Where the profile blades sit in the shell (registered by ProfilesConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from asm_portal import navigation
from asm_portal.navigation import APPLE_ENROLLMENT_MENU, TOKEN_MENU, MenuItem


def register() -> None:
    navigation.register_blades(
        {
            "profiles:list": (_("Enrollment program profiles"), "apple_enrollment", "enrollment"),
            "profiles:rules": (_("Profile rules"), "profiles:list", "enrollment"),
            # Blades under a token or a profile: the views add the token (and profile) to the trail.
            "profiles:token_profiles": (_("Profiles"), "tokens:list", "enrollment"),
            "profiles:create": (_("Create profile"), "tokens:list", "enrollment"),
            "profiles:detail": (_("Enrollment program profile"), "tokens:list", "enrollment"),
            "profiles:edit": (_("Properties"), "tokens:list", "enrollment"),
            "profiles:json": (_("View as JSON"), "tokens:list", "enrollment"),
            "profiles:delete": (_("Delete profile"), "tokens:list", "enrollment"),
            "profiles:default": (_("Set default profile"), "tokens:list", "enrollment"),
        }
    )
    navigation.register_menu_item(
        APPLE_ENROLLMENT_MENU,
        MenuItem("profiles:list", _("Enrollment program profiles"), "document", group="program", order=10),
    )
    navigation.register_menu_item(
        TOKEN_MENU, MenuItem("profiles:token_profiles", _("Profiles"), "document", group="manage", order=0)
    )
