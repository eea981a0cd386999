"""The directory users and app installs keep their rows when they move from devices to mdm."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from asm_portal import clock
from tests.profiles.conftest import token_create

BEFORE: list[tuple[str, str | None]] = [("devices", "0003_enrollment"), ("mdm", None)]
AFTER: list[tuple[str, str | None]] = [
    ("devices", "0004_move_directory_and_app_installs_to_mdm"),
    ("mdm", "0002_rename_tables"),
]


def _migrate(targets: Sequence[tuple[str, str | None]]) -> Any:
    """Migrate to `targets`; the models as they are there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([(app, name) for app, name in targets if name is not None]).apps


@pytest.fixture
def migrated_back_at_the_end(transactional_db: None) -> Iterator[None]:
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_rows_move_with_the_models(migrated_back_at_the_end: None) -> None:
    apps = _migrate(BEFORE)
    now = clock.now()
    token = token_create()  # tokens' schema does not change here
    device = apps.get_model("devices", "Device").objects.create(
        token_id=token.pk, serial_number="DMPQ000001", created_at=now, updated_at=now
    )
    user = apps.get_model("devices", "DirectoryUser").objects.create(
        upn="OKlein@contoso.onmicrosoft.com", display_name="Ora Klein", password="x", created_at=now
    )
    apps.get_model("devices", "DeviceAppInstall").objects.create(
        device=device, bundle_id="com.example.app", name="App", installed_by=user, installed_at=now
    )

    apps = _migrate(AFTER)

    assert apps.get_model("mdm", "DirectoryUser").objects.get().upn == "OKlein@contoso.onmicrosoft.com"
    install = apps.get_model("mdm", "DeviceAppInstall").objects.get()
    assert (install.device_id, install.installed_by_id) == (device.pk, user.pk)
    tables = connection.introspection.table_names()
    assert {"mdm_directoryuser", "mdm_deviceappinstall"} <= set(tables)
    assert not {"devices_directoryuser", "devices_deviceappinstall"} & set(tables)
