from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainerConfig(AppConfig):
    name = "trainer"
    verbose_name = _("Trainer mode")

    def ready(self) -> None:
        from trainer import navigation

        navigation.register()
