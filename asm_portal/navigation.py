"""The shell's navigation: the left rail, the breadcrumb trail and the blade menus.

The core knows only its own blades. Each app registers its blades, left-nav entries and menu
items from its `AppConfig.ready()` (`<app>/navigation.py`), so that the core never imports
the apps built on it and each title stays in its own app's catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

Label = str | Promise


@dataclass(frozen=True)
class NavItem:
    key: str
    label: Label
    url_name: str
    icon: str
    order: int = 0
    # Shown only to users for whom this is true (e.g. the Trainer role); None: everyone.
    visible: Callable[[Any], bool] | None = None


@dataclass(frozen=True)
class Blade:
    title: Label
    parent: str | None
    section: str


@dataclass(frozen=True)
class MenuItem:
    url_name: str
    label: Label
    icon: str
    group: str  # the key of a group of the menu
    order: int = 0


@dataclass(frozen=True)
class MenuGroup:
    key: str
    label: Label | None
    order: int


@dataclass(frozen=True)
class Crumb:
    label: Label
    url: str


_BLADES: dict[str, Blade] = {}
_LEFT_NAV: list[NavItem] = []
_MENU_GROUPS: dict[str, dict[str, MenuGroup]] = {}
_MENU_ITEMS: dict[str, list[MenuItem]] = {}


def register_blades(blades: Mapping[str, tuple[Label, str | None, str]]) -> None:
    """Place blades in the tree: url name → (title, parent url name, left-nav section).

    Each blade names its parent, which gives the breadcrumb without hand-written trails.
    """
    for url_name, (title, parent, section) in blades.items():
        _BLADES[url_name] = Blade(title, parent, section)


def register_nav_item(item: NavItem) -> None:
    if all(existing.key != item.key for existing in _LEFT_NAV):
        _LEFT_NAV.append(item)
        _LEFT_NAV.sort(key=lambda entry: entry.order)


def register_menu_group(menu: str, group: MenuGroup) -> None:
    _MENU_GROUPS.setdefault(menu, {})[group.key] = group


def register_menu_item(menu: str, item: MenuItem) -> None:
    items = _MENU_ITEMS.setdefault(menu, [])
    if all(existing.url_name != item.url_name for existing in items):
        items.append(item)


def left_nav(user: Any) -> list[NavItem]:
    return [item for item in _LEFT_NAV if item.visible is None or item.visible(user)]


def menu(name: str) -> list[tuple[Label | None, list[tuple[str, Label, str]]]]:
    """A blade menu as the templates read it: (group label, [(url name, label, icon)])."""
    groups = sorted(_MENU_GROUPS.get(name, {}).values(), key=lambda group: group.order)
    items = sorted(_MENU_ITEMS.get(name, []), key=lambda item: item.order)
    shown = []
    for group in groups:
        entries = [(item.url_name, item.label, item.icon) for item in items if item.group == group.key]
        if entries:
            shown.append((group.label, entries))
    return shown


def blade(url_name: str) -> Blade | None:
    return _BLADES.get(url_name)


def trail(url_name: str) -> list[Crumb]:
    """The ancestors of a blade, outermost first; the blade itself is not repeated."""
    crumbs: list[Crumb] = []
    parent = _BLADES[url_name].parent
    while parent is not None:
        entry = _BLADES[parent]
        crumbs.insert(0, Crumb(entry.title, reverse(parent)))
        parent = entry.parent
    return crumbs


def section_of(url_name: str) -> str:
    entry = _BLADES.get(url_name)
    return entry.section if entry else ""


# The menus the core owns; the apps fill them.
APPLE_ENROLLMENT_MENU = "apple_enrollment"
# The menu of one enrollment program token (its urls take the token's id).
TOKEN_MENU = "token"


def register() -> None:
    """The core's own blades, left-nav entries and menu groups (called by AsmPortalConfig.ready)."""
    register_blades(
        {
            "home": (_("Home"), None, "home"),
            "enrollment": (_("Device enrollment"), "home", "enrollment"),
            "apple_enrollment": (_("Apple enrollment"), "enrollment", "enrollment"),
            "tenant_admin": (_("Tenant administration"), "home", "tenant"),
            "audit_logs": (_("Audit logs"), "tenant_admin", "tenant"),
            "roles": (_("Roles"), "tenant_admin", "tenant"),
            "notifications": (_("Notifications"), "home", "home"),
        }
    )
    register_nav_item(NavItem("home", _("Home"), "home", "home", order=0))
    register_nav_item(NavItem("enrollment", _("Device enrollment"), "enrollment", "phone_laptop", order=10))
    register_nav_item(NavItem("tenant", _("Tenant administration"), "tenant_admin", "settings", order=90))

    register_menu_group(APPLE_ENROLLMENT_MENU, MenuGroup("overview", None, 0))
    register_menu_group(APPLE_ENROLLMENT_MENU, MenuGroup("prerequisites", _("Prerequisites"), 10))
    register_menu_group(APPLE_ENROLLMENT_MENU, MenuGroup("program", _("Enrollment program"), 20))
    register_menu_item(
        APPLE_ENROLLMENT_MENU, MenuItem("apple_enrollment", _("Overview"), "info", group="overview")
    )
    register_menu_group(TOKEN_MENU, MenuGroup("overview", None, 0))
    register_menu_group(TOKEN_MENU, MenuGroup("manage", _("Manage"), 10))
