from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevicesConfig(AppConfig):
    name = "devices"
    verbose_name = _("Enrollment program devices")

    def ready(self) -> None:
        from devices import navigation, panels, receivers

        navigation.register()
        panels.register()
        receivers.connect()
