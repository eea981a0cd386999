"""Tenants: every portal row gets an owner. Existing data, users and the clock offset move into
one tenant, Contoso (the apps' own migrations fill their `tenant` columns with it)."""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import asm_portal.models


def contoso_create(apps, schema_editor):
    Tenant = apps.get_model("asm_portal", "Tenant")
    ClockOffset = apps.get_model("asm_portal", "ClockOffset")
    TenantMembership = apps.get_model("asm_portal", "TenantMembership")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    offset = ClockOffset.objects.filter(pk=1).values_list("seconds", flat=True).first() or 0
    tenant, _ = Tenant.objects.get_or_create(
        initial_domain="contoso.onmicrosoft.com",
        defaults={"display_name": "Contoso", "clock_offset_seconds": offset},
    )
    TenantMembership.objects.bulk_create(
        [TenantMembership(user_id=pk, tenant=tenant) for pk in User.objects.values_list("pk", flat=True)]
    )
    apps.get_model("asm_portal", "AuditEvent").objects.update(tenant=tenant)
    apps.get_model("asm_portal", "Notification").objects.update(tenant=tenant)


class Migration(migrations.Migration):
    dependencies = [
        ("asm_portal", "0002_audit_categories"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # NOT NULL first, then the default (a callable of the scope, which a migration has not: the
    # schema editor would call it to fill rows when a column becomes NOT NULL).
    operations = [
        migrations.CreateModel(
            name="Tenant",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("tenant_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("display_name", models.CharField(max_length=200, verbose_name="Name")),
                ("initial_domain", models.CharField(max_length=253, unique=True, verbose_name="Initial domain")),
                ("apple_organization_id", models.CharField(blank=True, max_length=32)),
                ("clock_offset_seconds", models.BigIntegerField(default=0)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={"ordering": ["display_name", "pk"]},
        ),
        migrations.CreateModel(
            name="TenantMembership",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "tenant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="memberships",
                        to="asm_portal.tenant",
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="membership",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="auditevent",
            name="tenant",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="asm_portal.tenant"
            ),
        ),
        migrations.AddField(
            model_name="notification",
            name="tenant",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="asm_portal.tenant"
            ),
        ),
        migrations.RunPython(contoso_create, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="tenant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="tenant",
            field=models.ForeignKey(
                default=asm_portal.models.current_tenant_id,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="tenant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="tenant",
            field=models.ForeignKey(
                default=asm_portal.models.current_tenant_id,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="asm_portal.tenant",
            ),
        ),
        migrations.DeleteModel(name="ClockOffset"),
    ]
