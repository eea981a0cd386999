"""Where the School Data Sync blades sit in the shell (merged into asm_portal.navigation).

Kept here so that their titles live in this app's catalogue.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# (key, label, url name, icon) of the left-nav item.
SDS_NAV = ("sds", _("School Data Sync"), "sds:overview", "arrow_sync")

# url name: (title, parent url name, left-nav section)
SDS_BLADES: dict[str, tuple[str | Promise, str | None, str]] = {
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
}

# The blade menu: (group label, [(url name, label, icon)]).
SDS_MENU = (
    (None, [("sds:overview", _("Overview"), "info")]),
    (_("Inbound"), [("sds:profile_list", _("Sync profiles"), "arrow_sync")]),
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
