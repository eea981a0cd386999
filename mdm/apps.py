from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MdmConfig(AppConfig):
    name = "mdm"
    verbose_name = _("Device management")

    def ready(self) -> None:
        from mdm import navigation, panels

        navigation.register()
        panels.register()
