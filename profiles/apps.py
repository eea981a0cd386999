from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProfilesConfig(AppConfig):
    name = "profiles"
    verbose_name = _("Enrollment program profiles")

    def ready(self) -> None:
        from profiles import navigation, panels

        navigation.register()
        panels.register()
