# The moved tables take the mdm app's names (a real rename: the rows stay).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('mdm', '0001_initial'),
    ]

    operations = [
        migrations.AlterModelTable(name='directoryuser', table=None),
        migrations.AlterModelTable(name='deviceappinstall', table=None),
    ]
