from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TokensConfig(AppConfig):
    name = "tokens"
    verbose_name = _("Enrollment program tokens")

    def ready(self) -> None:
        from tokens import navigation

        navigation.register()
