from __future__ import annotations

from typing import Any

from django.db.models import Model

APPLE_APP = "mock_apple"
APPLE_DB = "apple"


class AppleRouter:
    """Keeps the mock Apple data in its own database and the portal data out of it.

    Both aliases migrate with one `migrate --database` each (see `make migrate`); the
    router decides which app's tables land where.
    """

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        return APPLE_DB if model._meta.app_label == APPLE_APP else "default"

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        return APPLE_DB if model._meta.app_label == APPLE_APP else "default"

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        return (obj1._meta.app_label == APPLE_APP) == (obj2._meta.app_label == APPLE_APP)

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        if app_label == APPLE_APP:
            return db == APPLE_DB
        return db != APPLE_DB
