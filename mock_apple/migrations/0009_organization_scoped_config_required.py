"""The organisation of a MockConfig row and of a queued fault is required (a migration of its
own: PostgreSQL refuses to alter a table with the previous migration's updates pending)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mock_apple", "0008_organization_scoped_config"),
    ]

    operations = [
        migrations.AlterField(
            model_name="mockconfig",
            name="organization",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="mock_config",
                to="mock_apple.organization",
            ),
        ),
        migrations.AlterField(
            model_name="forcedresponse",
            name="organization",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="mock_apple.organization",
            ),
        ),
    ]
