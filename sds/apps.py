from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SdsConfig(AppConfig):
    name = "sds"
    verbose_name = _("School Data Sync")

    def ready(self) -> None:
        from asm_portal.jobs import reconciler_register
        from sds import navigation, receivers, signals
        from sds.tasks import sds_jobs_reconcile

        reconciler_register("sds", sds_jobs_reconcile)

        signals.roster_imported.connect(receivers.roster_imported, dispatch_uid="sds.roster_imported")
        signals.sds_sharing_changed.connect(
            receivers.sds_sharing_changed, dispatch_uid="sds.sds_sharing_changed"
        )
        navigation.register()
