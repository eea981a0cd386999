"""Where the token blades sit in the shell (registered by TokensConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from asm_portal import navigation
from asm_portal.navigation import APPLE_ENROLLMENT_MENU, TOKEN_MENU, MenuItem


def register() -> None:
    navigation.register_blades(
        {
            "tokens:push_certificate": (_("Apple MDM Push certificate"), "apple_enrollment", "enrollment"),
            "tokens:list": (_("Enrollment program tokens"), "apple_enrollment", "enrollment"),
            "tokens:add": (_("Add enrollment program token"), "tokens:list", "enrollment"),
            # A token's own blades (renew, delete) render under this one with the token in the trail.
            "tokens:detail": (_("Enrollment program token"), "tokens:list", "enrollment"),
        }
    )
    navigation.register_menu_item(
        APPLE_ENROLLMENT_MENU,
        MenuItem(
            "tokens:push_certificate", _("Apple MDM Push certificate"), "certificate", group="prerequisites"
        ),
    )
    navigation.register_menu_item(
        APPLE_ENROLLMENT_MENU,
        MenuItem("tokens:list", _("Enrollment program tokens"), "key", group="program", order=0),
    )
    navigation.register_menu_item(
        TOKEN_MENU, MenuItem("tokens:detail", _("Overview"), "info", group="overview")
    )
