from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MdmConfig(AppConfig):
    name = "mdm"
    verbose_name = _("Device management")

    def ready(self) -> None:
        from asm_portal.jobs import reconciler_register
        from mdm import navigation, panels
        from mdm.tasks import mdm_jobs_reconcile

        reconciler_register("mdm", mdm_jobs_reconcile)

        navigation.register()
        panels.register()
