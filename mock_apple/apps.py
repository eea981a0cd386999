from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.signals import request_started
from django.utils.translation import gettext_lazy as _


def _runner_start(**_kwargs: Any) -> None:
    """The served mock's first request starts the virtual iPads' runner (mock_apple.ipad.wake):
    it then delivers the pushes a previous process left undelivered. Not in ready(): a migrate
    or a shell must not run device sessions."""
    from mock_apple.ipad import wake  # models are ready only once a request comes

    request_started.disconnect(_runner_start)
    wake.start()


class MockAppleConfig(AppConfig):
    name = "mock_apple"
    verbose_name = _("Apple School Manager (mock)")

    def ready(self) -> None:
        if settings.MOCK_APPLE_IPAD_RUNNER:
            request_started.connect(_runner_start)
