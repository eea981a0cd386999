"""Where the School Data Sync blades sit in the shell (registered by SdsConfig.ready)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from asm_portal import navigation
from asm_portal.navigation import TOKEN_MENU, MenuItem, NavItem

SDS_BLADES: dict[str, tuple[str | Promise, str | None, str]] = {
    # Under a token (its view adds the token to the trail): « Allow Microsoft School Data Sync… »
    "sds:token_sharing": (_("School Data Sync"), "tokens:list", "enrollment"),
    "sds:overview": (_("School Data Sync"), "home", "sds"),
    "sds:profile_list": (_("Sync profiles"), "sds:overview", "sds"),
    "sds:profile_create": (_("Create sync profile"), "sds:profile_list", "sds"),
    "sds:profile_detail": (_("Sync profile"), "sds:profile_list", "sds"),
    "sds:upload_create": (_("Upload files"), "sds:profile_list", "sds"),
    "sds:upload_detail": (_("Upload"), "sds:profile_list", "sds"),
    "sds:school_list": (_("Schools"), "sds:overview", "sds"),
    "sds:school_detail": (_("School"), "sds:school_list", "sds"),
    "sds:class_list": (_("Classes"), "sds:overview", "sds"),
    "sds:class_detail": (_("Class"), "sds:class_list", "sds"),
    "sds:person_list": (_("People"), "sds:overview", "sds"),
    "sds:person_detail": (_("Person"), "sds:person_list", "sds"),
    "sds:samples": (_("Sample files"), "sds:overview", "sds"),
    "sds:apple_sync_list": (_("Apple School Manager"), "sds:overview", "sds"),
    "sds:apple_sync_detail": (_("Sync to Apple School Manager"), "sds:apple_sync_list", "sds"),
}

# The blade menu: (group label, [(url name, label, icon)]).
SDS_MENU = (
    (None, [("sds:overview", _("Overview"), "info")]),
    (_("Inbound"), [("sds:profile_list", _("Sync profiles"), "arrow_sync")]),
    (_("Outbound"), [("sds:apple_sync_list", _("Apple School Manager"), "arrow_export")]),
    (
        _("Roster"),
        [
            ("sds:school_list", _("Schools"), "home"),
            ("sds:class_list", _("Classes"), "people"),
            ("sds:person_list", _("People"), "person"),
        ],
    ),
    (_("Help"), [("sds:samples", _("Sample files"), "document")]),
)


def register() -> None:
    navigation.register_blades(SDS_BLADES)
    navigation.register_nav_item(
        NavItem("sds", _("School Data Sync"), "sds:overview", "arrow_sync", order=20)
    )
    # On a token's menu; the menu shows it for Apple School Manager tokens only.
    navigation.register_menu_item(
        TOKEN_MENU, MenuItem("sds:token_sharing", _("School Data Sync"), "people", group="manage", order=20)
    )
