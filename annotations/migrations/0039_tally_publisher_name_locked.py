# The tallies' copy of an article's publisher's name is the committed name even when the
# publisher is renamed while the article is inserted or moved (PostgreSQL, read committed): the
# articles' trigger function reads the publisher's row locked (annotations/tallies.py,
# _pg_article_function). The counts are kept as before, so nothing is counted again.

from django.db import migrations

#: The tallies' definitions this change may find (``tallies.signature``): the last release's
#: (ca7b9d7) and the one before this change (da3d9e4: fewer statements per claim write, the same
#: counts); and the one it makes.
BEFORE, AFTER = ("2da29723ad", "c24a7c409e"), "7114dd2562"


def replace(apps, schema_editor):
    """PostgreSQL: the functions replaced and the triggers renamed to the new signature, in a
    moment (no recount of the 2,000,000 claims). SQLite drops its triggers before every
    ``migrate`` and makes them again after it (with a count), as for any migration; a
    PostgreSQL desk whose triggers are none of the ones before this change, or whose code makes
    another definition already, gets ``tallies.ensure`` (a recount, as before)."""
    from annotations import tallies

    tallies.TRIGGERS.replace_functions(
        schema_editor.connection, from_signatures=BEFORE, to_signature=AFTER
    )


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0038_family_open_conflicts"),
    ]

    operations = [
        # Going back changes nothing: the code of the time puts its own triggers back after
        # ``migrate`` (tallies.repair_after_migrate).
        migrations.RunPython(replace, migrations.RunPython.noop, elidable=False),
    ]
