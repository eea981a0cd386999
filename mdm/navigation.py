"""Where the mdm app's blades sit in the shell (registered by MdmConfig.ready): the tenant's
Users blade, and Intune's Devices (the managed-device list, a device's blade, Monitor)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from asm_portal import navigation
from asm_portal.navigation import MenuGroup, MenuItem, NavItem

# Devices' own menu (All devices, By platform, Monitor) and a managed device's menu.
DEVICES_MENU = "devices"
DEVICE_MENU = "managed_device"


def register() -> None:
    navigation.register_blades(
        {
            "directory_users": (_("Users"), "tenant_admin", "tenant"),
            "mdm:all_devices": (_("Devices"), "home", "devices"),
            "mdm:ios_devices": (_("iOS/iPadOS"), "mdm:all_devices", "devices"),
            "mdm:device_actions": (_("Device actions"), "mdm:all_devices", "devices"),
            "mdm:bulk": (_("Bulk device actions"), "mdm:all_devices", "devices"),
            # A device's blade and its menu pages sit under All devices.
            "mdm:device": (_("Overview"), "mdm:all_devices", "devices"),
            "mdm:device_hardware": (_("Hardware"), "mdm:all_devices", "devices"),
            "mdm:device_apps": (_("Discovered apps"), "mdm:all_devices", "devices"),
            "mdm:device_configuration": (_("Device configuration"), "mdm:all_devices", "devices"),
            "mdm:device_users": (_("Users"), "mdm:all_devices", "devices"),
            "mdm:device_action": (_("Device action"), "mdm:all_devices", "devices"),
            # On an enrollment program profile (its view adds the token and the profile to the trail).
            "mdm:profile_export": (_("Export Profile"), "tokens:list", "enrollment"),
        }
    )
    navigation.register_nav_item(NavItem("devices", _("Devices"), "mdm:all_devices", "tablet", order=5))

    navigation.register_menu_group(DEVICES_MENU, MenuGroup("overview", None, 0))
    navigation.register_menu_group(DEVICES_MENU, MenuGroup("platform", _("By platform"), 10))
    navigation.register_menu_group(DEVICES_MENU, MenuGroup("monitor", _("Monitor"), 20))
    navigation.register_menu_group(DEVICES_MENU, MenuGroup("onboarding", _("Device onboarding"), 30))
    for item in (
        MenuItem("mdm:all_devices", _("All devices"), "tablet", group="overview"),
        MenuItem("mdm:ios_devices", _("iOS/iPadOS"), "phone_laptop", group="platform"),
        MenuItem("mdm:device_actions", _("Device actions"), "task_list_ltr", group="monitor"),
        MenuItem("enrollment", _("Enrollment"), "phone_laptop", group="onboarding"),
    ):
        navigation.register_menu_item(DEVICES_MENU, item)

    navigation.register_menu_group(DEVICE_MENU, MenuGroup("overview", None, 0))
    navigation.register_menu_group(DEVICE_MENU, MenuGroup("monitor", _("Monitor"), 10))
    for item in (
        MenuItem("mdm:device", _("Overview"), "info", group="overview"),
        MenuItem("mdm:device_hardware", _("Hardware"), "developer_board", group="monitor", order=10),
        MenuItem("mdm:device_apps", _("Discovered apps"), "apps_list", group="monitor", order=20),
        MenuItem(
            "mdm:device_configuration", _("Device configuration"), "document", group="monitor", order=30
        ),
        MenuItem("mdm:device_users", _("Users"), "people", group="monitor", order=40),
    ):
        navigation.register_menu_item(DEVICE_MENU, item)
