from __future__ import annotations

import pytest
from django.db import connections, router

from asm_portal.models import AuditEvent
from asm_portal.routers import AppleRouter
from mock_apple.models import Device, Organization


class AppleRouterTests:
    def test_it_sends_mock_apple_models_to_the_apple_database(self) -> None:
        assert router.db_for_write(Device) == "apple"
        assert router.db_for_read(Organization) == "apple"
        assert router.db_for_write(AuditEvent) == "default"

    def test_each_database_gets_only_its_own_tables(self) -> None:
        apple_router = AppleRouter()
        assert apple_router.allow_migrate("apple", "mock_apple")
        assert not apple_router.allow_migrate("default", "mock_apple")
        assert apple_router.allow_migrate("default", "tokens")
        assert not apple_router.allow_migrate("apple", "auth")

    @pytest.mark.django_db(databases=["default", "apple"])
    def test_the_tables_really_live_apart(self) -> None:
        default_tables = connections["default"].introspection.table_names()
        apple_tables = connections["apple"].introspection.table_names()
        assert "mock_apple_device" in apple_tables
        assert "mock_apple_device" not in default_tables
        assert "auth_user" in default_tables
        assert "auth_user" not in apple_tables
