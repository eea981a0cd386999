"""The shell's navigation: the left rail, the breadcrumb trail and the Apple enrollment menu."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sds.navigation import SDS_BLADES, SDS_NAV, SDS_TOKEN_MENU_ITEM


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url_name: str
    icon: str


LEFT_NAV = (
    NavItem("home", _("Home"), "home", "home"),
    NavItem("enrollment", _("Device enrollment"), "enrollment", "phone_laptop"),
    NavItem(*SDS_NAV),
    NavItem("tenant", _("Tenant administration"), "tenant_admin", "settings"),
)

# Shown only to the Trainer role (the shell checks roles.is_trainer).
TRAINER_NAV = NavItem("trainer", _("Trainer mode"), "trainer:home", "wrench")

# Each blade names its parent, which gives the breadcrumb without hand-written trails.
BLADES: dict[str, tuple[str | Promise, str | None, str]] = {
    # url name: (title, parent url name, left-nav section)
    "home": (_("Home"), None, "home"),
    "enrollment": (_("Device enrollment"), "home", "enrollment"),
    "apple_enrollment": (_("Apple enrollment"), "enrollment", "enrollment"),
    "tokens:push_certificate": (
        _("Apple MDM Push certificate"),
        "apple_enrollment",
        "enrollment",
    ),
    "tokens:list": (_("Enrollment program tokens"), "apple_enrollment", "enrollment"),
    "tokens:add": (_("Add enrollment program token"), "tokens:list", "enrollment"),
    # A token's own blades (renew, delete) render under this one with the token in the trail.
    "tokens:detail": (_("Enrollment program token"), "tokens:list", "enrollment"),
    "profiles:list": (
        _("Enrollment program profiles"),
        "apple_enrollment",
        "enrollment",
    ),
    "profiles:rules": (_("Profile rules"), "profiles:list", "enrollment"),
    # Blades under a token or a profile: the views add the token (and profile) to the trail.
    "profiles:token_profiles": (_("Profiles"), "tokens:list", "enrollment"),
    "profiles:create": (_("Create profile"), "tokens:list", "enrollment"),
    "profiles:detail": (_("Enrollment program profile"), "tokens:list", "enrollment"),
    "profiles:edit": (_("Properties"), "tokens:list", "enrollment"),
    "profiles:json": (_("View as JSON"), "tokens:list", "enrollment"),
    "profiles:delete": (_("Delete profile"), "tokens:list", "enrollment"),
    "profiles:default": (_("Set default profile"), "tokens:list", "enrollment"),
    "devices:list": (_("Enrollment program devices"), "apple_enrollment", "enrollment"),
    "devices:sync_choose": (_("Sync"), "devices:list", "enrollment"),
    "devices:assign": (_("Assign profile"), "devices:list", "enrollment"),
    "devices:delete": (_("Delete devices"), "devices:list", "enrollment"),
    # Under its token's Devices blade: the view adds the token, Devices and the serial number.
    "devices:detail": (_("Enrollment program device"), "tokens:list", "enrollment"),
    # Blades under a token or a profile: the views add the token (and profile) to the trail.
    "devices:token_devices": (_("Devices"), "tokens:list", "enrollment"),
    "devices:sync": (_("Sync"), "tokens:list", "enrollment"),
    "devices:profile_assignments": (_("Device assignments"), "tokens:list", "enrollment"),
    "devices:profile_assign": (_("Assign"), "tokens:list", "enrollment"),
    "devices:assignment": (_("Assignment result"), "tokens:list", "enrollment"),
    "tenant_admin": (_("Tenant administration"), "home", "tenant"),
    "audit_logs": (_("Audit logs"), "tenant_admin", "tenant"),
    "roles": (_("Roles"), "tenant_admin", "tenant"),
    "directory_users": (_("Users"), "tenant_admin", "tenant"),
    "notifications": (_("Notifications"), "home", "home"),
    "trainer:home": (_("Trainer mode"), "home", "trainer"),
    "trainer_presets:list": (_("Scenario presets"), "trainer:home", "trainer"),
    "trainer_presets:reset": (_("Reset to this preset"), "trainer_presets:list", "trainer"),
    **SDS_BLADES,
}


@dataclass(frozen=True)
class Crumb:
    label: str | Promise
    url: str


def trail(url_name: str) -> list[Crumb]:
    """The ancestors of a blade, outermost first; the blade itself is not repeated."""
    crumbs: list[Crumb] = []
    parent = BLADES[url_name][1]
    while parent is not None:
        title, grandparent, _section = BLADES[parent]
        crumbs.insert(0, Crumb(title, reverse(parent)))
        parent = grandparent
    return crumbs


def section_of(url_name: str) -> str:
    entry = BLADES.get(url_name)
    return entry[2] if entry else ""


APPLE_ENROLLMENT_MENU = (
    # (group label, [(url name, label, icon)])
    (None, [("apple_enrollment", _("Overview"), "info")]),
    (
        _("Prerequisites"),
        [("tokens:push_certificate", _("Apple MDM Push certificate"), "certificate")],
    ),
    (
        _("Enrollment program"),
        [
            ("tokens:list", _("Enrollment program tokens"), "key"),
            ("profiles:list", _("Enrollment program profiles"), "document"),
            ("devices:list", _("Enrollment program devices"), "tablet"),
        ],
    ),
)


# The menu of one enrollment program token (urls take the token's id). Profiles, Devices and,
# for Apple School Manager tokens, School Data Sync join it when their apps exist.
TOKEN_MENU = (
    # (group label, [(url name, label, icon)])
    (None, [("tokens:detail", _("Overview"), "info")]),
    (
        _("Manage"),
        [
            ("profiles:token_profiles", _("Profiles"), "document"),
            ("devices:token_devices", _("Devices"), "tablet"),
            SDS_TOKEN_MENU_ITEM,
        ],
    ),
)
