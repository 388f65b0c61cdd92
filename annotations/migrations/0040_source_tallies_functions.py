# The sources' usage counts' PostgreSQL functions look up a claim's citations only when a
# statement moves a count (a claim's words edited: nothing; annotations/source_tallies.py). The
# counts are kept as before, so an existing desk's triggers are renamed and given the new
# functions instead of every source being counted again at the next ``migrate``.

from django.db import migrations

#: The sources' definition of the last release (ca7b9d7, ``source_tallies.signature``), and the
#: one this change makes.
BEFORE, AFTER = ("98ebca90fe",), "34c70f4865"


def replace(apps, schema_editor):
    """PostgreSQL: the functions replaced and the triggers renamed, in a moment. SQLite, or a
    desk with other triggers (or code that makes another definition already): ``ensure``, a
    recount, as before."""
    from annotations import source_tallies

    source_tallies.TRIGGERS.replace_functions(
        schema_editor.connection, from_signatures=BEFORE, to_signature=AFTER
    )


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0039_tally_publisher_name_locked"),
    ]

    operations = [
        # Going back changes nothing: the code of the time puts its own triggers back after
        # ``migrate``.
        migrations.RunPython(replace, migrations.RunPython.noop, elidable=False),
    ]
