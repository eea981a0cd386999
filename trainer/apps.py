from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainerConfig(AppConfig):
    name = "trainer"
    verbose_name = _("Trainer mode")

    def ready(self) -> None:
        from asm_portal.jobs import reconciler_register
        from trainer import navigation
        from trainer.tasks import trainer_jobs_reconcile

        reconciler_register("trainer", trainer_jobs_reconcile)
        navigation.register()
