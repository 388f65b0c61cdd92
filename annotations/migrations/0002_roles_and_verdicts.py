"""Seed the three role groups and a default verdict scale."""

from django.db import migrations

from annotations.defaults import DEFAULT_VERDICTS, ROLE_GROUPS, seed_defaults


def seed(apps, schema_editor):
    seed_defaults(apps.get_model("auth", "Group"), apps.get_model("annotations", "Verdict"))


def unseed(apps, schema_editor):
    apps.get_model("annotations", "Verdict").objects.filter(
        label__in=[row[0] for row in DEFAULT_VERDICTS], claims__isnull=True
    ).delete()
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
