"""Seed the three role groups and a default verdict scale."""

from django.db import migrations

ROLE_GROUPS = ["Reviewer", "Editor", "Admin"]

# label, colour, ClaimReview rating (None: not on the 1–5 scale), description
DEFAULT_VERDICTS = [
    ("Accurate", "#2e7d32", 5, "The claim is correct and nothing important is missing."),
    ("Mostly accurate", "#7cb342", 4, "Correct in substance, with small errors or omissions."),
    ("Missing context", "#f9a825", 3, "True as far as it goes, but leaves out what changes its meaning."),
    ("Misleading", "#ef6c00", 2, "Uses real facts to give a false impression."),
    ("Inaccurate", "#c62828", 1, "The claim is wrong."),
    ("Unverifiable", "#6d6f7b", None, "The evidence needed to check it is not available."),
]


def seed(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Verdict = apps.get_model("annotations", "Verdict")
    for name in ROLE_GROUPS:
        Group.objects.get_or_create(name=name)
    for order, (label, colour, rating, description) in enumerate(DEFAULT_VERDICTS, start=1):
        Verdict.objects.get_or_create(
            label=label,
            defaults={
                "colour": colour,
                "rating": rating,
                "description": description,
                "order": order * 10,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("annotations", "Verdict").objects.filter(
        label__in=[row[0] for row in DEFAULT_VERDICTS], claims__isnull=True
    ).delete()
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [("annotations", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(seed, unseed)]
