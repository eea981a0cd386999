from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MockAppleConfig(AppConfig):
    name = "mock_apple"
    verbose_name = _("Apple School Manager (mock)")
