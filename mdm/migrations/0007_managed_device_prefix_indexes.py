"""The Devices blade's searches are prefix searches (Django's istartswith: UPPER(col) LIKE 'X%',
and startswith on the serial number). PostgreSQL uses a B-tree for LIKE 'X%' only with the
text_pattern_ops operator class, which Django can declare only for PostgreSQL; SQLite searches its
smaller tables without them."""

from django.db import migrations

INDEXES = {
    "mdm_device_name_upper": "(UPPER(device_name) text_pattern_ops)",
    "mdm_device_upn_upper": "(UPPER(user_principal_name) text_pattern_ops)",
    "mdm_device_serial_prefix": "(serial_number text_pattern_ops)",
}


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON mdm_manageddevice {columns}")


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("mdm", "0006_managed_device_indexes")]

    operations = [migrations.RunPython(create, drop)]
