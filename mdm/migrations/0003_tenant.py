"""Every row of this app belongs to a tenant; existing rows move into Contoso (asm_portal 0003)."""

import django.db.models.deletion
from django.db import migrations, models

import asm_portal.models

MODELS = ("directoryuser", "deviceappinstall",)


def contoso_fill(apps, schema_editor):
    tenant = apps.get_model("asm_portal", "Tenant").objects.order_by("pk").first()
    for name in MODELS:
        apps.get_model("mdm", name).objects.update(tenant=tenant)


class Migration(migrations.Migration):
    dependencies = [
        ("asm_portal", "0003_tenants"),
        ("mdm", "0002_rename_tables"),
    ]

    # NOT NULL first, then the default (a callable of the scope, which a migration has not: the
    # schema editor would call it to fill rows when a column becomes NOT NULL).
    operations = [
        migrations.AddField(
            model_name="directoryuser",
            name="tenant",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="asm_portal.tenant"),
        ),
        migrations.AddField(
            model_name="deviceappinstall",
            name="tenant",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="asm_portal.tenant"),
        ),
        migrations.RunPython(contoso_fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="directoryuser",
            name="tenant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="directoryuser",
            name="tenant",
            field=models.ForeignKey(
                default=asm_portal.models.current_tenant_id,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="deviceappinstall",
            name="tenant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="deviceappinstall",
            name="tenant",
            field=models.ForeignKey(
                default=asm_portal.models.current_tenant_id,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
    ]
