"""Where the graph app's blades sit in the shell (registered by GraphConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from asm_portal import navigation


def register() -> None:
    navigation.register_blades(
        {
            "graph:apps": (_("App registrations"), "tenant_admin", "tenant"),
            "graph:app_new": (_("Register an application"), "graph:apps", "tenant"),
            "graph:app_detail": (_("App registration"), "graph:apps", "tenant"),
        }
    )
