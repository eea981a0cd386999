"""Every row of this app belongs to a tenant; existing rows move into Contoso (asm_portal 0003)."""

import django.db.models.deletion
from django.db import migrations, models

import asm_portal.models

MODELS = ("syncprofile", "rosterupload", "applerostersync", "rosterfile", "validationissue", "school", "person", "membership", "schoolclass", "enrollment",)


def contoso_fill(apps, schema_editor):
    tenant = apps.get_model("asm_portal", "Tenant").objects.order_by("pk").first()
    for name in MODELS:
        apps.get_model("sds", name).objects.update(tenant=tenant)


class Migration(migrations.Migration):
    dependencies = [
        ("asm_portal", "0003_tenants"),
        ("sds", "0003_roster_file_content_encrypted"),
    ]

    # NOT NULL first, then the default (a callable of the scope, which a migration has not: the
    # schema editor would call it to fill rows when a column becomes NOT NULL).
    operations = [
        migrations.AddField(
            model_name="syncprofile",
            name="tenant",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="asm_portal.tenant"),
        ),
        migrations.AddField(
            model_name="rosterupload",
            name="tenant",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="asm_portal.tenant"),
        ),
        migrations.AddField(
            model_name="applerostersync",
            name="tenant",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="asm_portal.tenant"),
        ),
        migrations.AddField(
            model_name="rosterfile",
            name="tenant",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="asm_portal.tenant"),
        ),
        migrations.AddField(
            model_name="validationissue",
            name="tenant",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="asm_portal.tenant"),
        ),
        migrations.AddField(
            model_name="school",
            name="tenant",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="asm_portal.tenant"),
        ),
        migrations.AddField(
            model_name="person",
            name="tenant",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="asm_portal.tenant"),
        ),
        migrations.AddField(
            model_name="membership",
            name="tenant",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="asm_portal.tenant"),
        ),
        migrations.AddField(
            model_name="schoolclass",
            name="tenant",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="asm_portal.tenant"),
        ),
        migrations.AddField(
            model_name="enrollment",
            name="tenant",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="asm_portal.tenant"),
        ),
        migrations.RunPython(contoso_fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="syncprofile",
            name="tenant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="syncprofile",
            name="tenant",
            field=models.ForeignKey(
                default=asm_portal.models.current_tenant_id,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="rosterupload",
            name="tenant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="rosterupload",
            name="tenant",
            field=models.ForeignKey(
                default=asm_portal.models.current_tenant_id,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="applerostersync",
            name="tenant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="applerostersync",
            name="tenant",
            field=models.ForeignKey(
                default=asm_portal.models.current_tenant_id,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="rosterfile",
            name="tenant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="rosterfile",
            name="tenant",
            field=models.ForeignKey(
                default=asm_portal.models.current_tenant_id,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="validationissue",
            name="tenant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="validationissue",
            name="tenant",
            field=models.ForeignKey(
                default=asm_portal.models.current_tenant_id,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="school",
            name="tenant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="school",
            name="tenant",
            field=models.ForeignKey(
                default=asm_portal.models.current_tenant_id,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="person",
            name="tenant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="person",
            name="tenant",
            field=models.ForeignKey(
                default=asm_portal.models.current_tenant_id,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="membership",
            name="tenant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="membership",
            name="tenant",
            field=models.ForeignKey(
                default=asm_portal.models.current_tenant_id,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="schoolclass",
            name="tenant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="schoolclass",
            name="tenant",
            field=models.ForeignKey(
                default=asm_portal.models.current_tenant_id,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="enrollment",
            name="tenant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="enrollment",
            name="tenant",
            field=models.ForeignKey(
                default=asm_portal.models.current_tenant_id,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
    ]
