from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AsmPortalConfig(AppConfig):
    name = "asm_portal"
    verbose_name = _("Intune admin center")

    def ready(self) -> None:
        from django.urls import register_converter

        from asm_portal import navigation
        from asm_portal.ids import DatabaseIdConverter

        navigation.register()
        # `<id:pk>` in the portal's URLconfs: only ids a table can hold match (asm_portal.ids).
        register_converter(DatabaseIdConverter, "id")
