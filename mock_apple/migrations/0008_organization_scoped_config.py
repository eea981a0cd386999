"""Every trainee has an organisation of their own: the mock's switches (MockConfig) and the
queued faults become the organisation's. Existing rows go to the default organisation (the
oldest); without any organisation they are only defaults, and go. The key stays nullable: a
mock with no organisation yet (a bare test database) keeps one row of switches, its clock."""

import django.db.models.deletion
from django.db import migrations, models


def to_default_organization(apps, schema_editor):
    Organization = apps.get_model("mock_apple", "Organization")
    MockConfig = apps.get_model("mock_apple", "MockConfig")
    ForcedResponse = apps.get_model("mock_apple", "ForcedResponse")
    db = schema_editor.connection.alias
    default = Organization.objects.using(db).order_by("pk").first()
    if default is None:
        MockConfig.objects.using(db).all().delete()
        ForcedResponse.objects.using(db).all().delete()
        return
    kept = MockConfig.objects.using(db).order_by("pk").first()
    if kept is not None:
        MockConfig.objects.using(db).exclude(pk=kept.pk).delete()
        MockConfig.objects.using(db).filter(pk=kept.pk).update(organization=default)
    ForcedResponse.objects.using(db).update(organization=default)


class Migration(migrations.Migration):
    dependencies = [
        ("mock_apple", "0007_school_manager_api"),
    ]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="language",
            field=models.CharField(default="en", max_length=8),
        ),
        migrations.AddField(
            model_name="mockconfig",
            name="organization",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="mock_config",
                to="mock_apple.organization",
            ),
        ),
        migrations.AddField(
            model_name="forcedresponse",
            name="organization",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="mock_apple.organization",
            ),
        ),
        migrations.RunPython(to_default_organization, migrations.RunPython.noop),
    ]
