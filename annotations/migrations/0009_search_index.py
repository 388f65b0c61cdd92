"""Full-text search: SQLite FTS5 tables or PostgreSQL tsvector columns, kept current by
triggers (see annotations/search.py). The SQL depends on the database, so it is run from
Python: ``schema_editor.connection.vendor`` picks it.

The index is made from the models as they are now; when a later migration adds a table or
column the index reads, it is made after ``migrate`` instead (``search.repair_after_migrate``).
"""

from django.db import migrations


def create_index(apps, schema_editor):
    from annotations import search

    if schema_editor.connection.vendor in ("sqlite", "postgresql"):
        search.ensure_index(schema_editor.connection)


def remove_index(apps, schema_editor):
    from annotations import search

    if schema_editor.connection.vendor in ("sqlite", "postgresql"):
        search.remove_index(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0008_claim_figures"),
    ]

    operations = [
        migrations.RunPython(create_index, remove_index, elidable=False),
    ]
