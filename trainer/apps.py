from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainerConfig(AppConfig):
    name = "trainer"
    verbose_name = _("Trainer mode")

    def ready(self) -> None:
        from asm_portal.jobs import reconciler_register
        from tokens.apple_retry import register_pointless_retry_check
        from trainer import navigation
        from trainer.fault_drills import apple_down_drill_answered
        from trainer.tasks import trainer_jobs_reconcile

        reconciler_register("trainer", trainer_jobs_reconcile)
        register_pointless_retry_check(apple_down_drill_answered)
        navigation.register()
