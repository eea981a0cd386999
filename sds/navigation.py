"""Where the School Data Sync blades sit in the shell (merged into asm_portal.navigation).

Kept here so that their titles live in this app's catalogue.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# (key, label, url name, icon) of the left-nav item.
SDS_NAV = ("sds", _("School Data Sync"), "sds:overview", "arrow_sync")

# The item of an enrollment program token's menu (asm_portal.navigation.TOKEN_MENU); the menu
# shows it for Apple School Manager tokens only.
SDS_TOKEN_MENU_ITEM = ("tokens:sds", _("School Data Sync"), "people")

# url name: (title, parent url name, left-nav section)
SDS_BLADES: dict[str, tuple[str | Promise, str | None, str]] = {
    # Under a token (its view adds the token to the trail): « Allow Microsoft School Data Sync… »
    "tokens:sds": (_("School Data Sync"), "tokens:list", "enrollment"),
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
