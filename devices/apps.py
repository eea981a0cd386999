from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevicesConfig(AppConfig):
    name = "devices"
    verbose_name = _("Enrollment program devices")

    def ready(self) -> None:
        from asm_portal.jobs import reconciler_register
        from devices import navigation, panels, receivers
        from devices.tasks import devices_jobs_reconcile

        # Sync runs and profile assignments nobody is doing are sent again (asm_portal.jobs).
        reconciler_register("devices", devices_jobs_reconcile)
        navigation.register()
        panels.register()
        receivers.connect()
