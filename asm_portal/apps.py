from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AsmPortalConfig(AppConfig):
    name = "asm_portal"
    verbose_name = _("Intune admin center")
