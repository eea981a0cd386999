from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AsmPortalConfig(AppConfig):
    name = "asm_portal"
    verbose_name = _("Intune admin center")

    def ready(self) -> None:
        from asm_portal import navigation

        navigation.register()
