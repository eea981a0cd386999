# DirectoryUser and DeviceAppInstall moved to the mdm app (the device-facing server). Their
# tables stay: this only removes them from devices' state; mdm.0001 takes them over as they are
# and mdm.0002 renames them.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('devices', '0003_enrollment'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='DeviceAppInstall'),
                migrations.DeleteModel(name='DirectoryUser'),
            ],
            database_operations=[],
        ),
    ]
