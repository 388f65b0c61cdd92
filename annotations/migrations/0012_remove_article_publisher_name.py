"""The publisher's name now lives in its record (previous migration): the text column goes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0011_publisher_records"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="article",
            name="publisher_name",
        ),
        migrations.RemoveField(
            model_name="historicalarticle",
            name="publisher_name",
        ),
    ]
