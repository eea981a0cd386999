from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GraphConfig(AppConfig):
    name = "graph"
    verbose_name = _("Microsoft Graph")

    def ready(self) -> None:
        from graph import navigation

        navigation.register()
