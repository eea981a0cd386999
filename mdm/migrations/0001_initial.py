# DirectoryUser and DeviceAppInstall, moved from the devices app with their data: the state
# takes over the existing tables (devices_directoryuser, devices_deviceappinstall) without
# touching the database; 0002 renames them.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('devices', '0004_move_directory_and_app_installs_to_mdm'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='DirectoryUser',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('upn', models.CharField(max_length=254, unique=True, verbose_name='User principal name')),
                        ('display_name', models.CharField(max_length=200, verbose_name='Display name')),
                        ('job_title', models.CharField(blank=True, max_length=100, verbose_name='Job title')),
                        ('password', models.CharField(max_length=128)),
                        ('enabled', models.BooleanField(default=True, verbose_name='Account enabled')),
                        ('created_at', models.DateTimeField()),
                    ],
                    options={
                        'verbose_name': 'user',
                        'verbose_name_plural': 'users',
                        'ordering': ['display_name', 'upn'],
                        'db_table': 'devices_directoryuser',
                    },
                ),
                migrations.CreateModel(
                    name='DeviceAppInstall',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('bundle_id', models.CharField(max_length=200)),
                        ('name', models.CharField(max_length=200)),
                        ('installed_at', models.DateTimeField()),
                        ('device', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='app_installs', to='devices.device')),
                        ('installed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='mdm.directoryuser')),
                    ],
                    options={
                        'ordering': ['installed_at', 'id'],
                        'constraints': [models.UniqueConstraint(fields=('device', 'bundle_id'), name='unique_app_install_per_device')],
                        'db_table': 'devices_deviceappinstall',
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
