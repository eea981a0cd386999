from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SdsConfig(AppConfig):
    name = "sds"
    verbose_name = _("School Data Sync")
