# Indexes make bench-scale's query plans asked for (issue 17).

from django.db import migrations, models

# The dashboard's date sorts ("Newest first" is its first page, "Oldest first"): a page of 25
# articles read from an index instead of a sort of every article (98 ms → 0.2 ms at 100,000
# articles). PostgreSQL only: SQLite cannot index NULLS LAST, and its DESC already puts nulls
# last.
DATE_INDEXES = {
    "article_newest_first": '"published_on" DESC NULLS LAST, "imported_at" DESC, "id"',
    "article_oldest_first": '"published_on" ASC NULLS LAST, "imported_at" ASC, "id"',
}


def add_date_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, columns in DATE_INDEXES.items():
            schema_editor.execute(f'CREATE INDEX "{name}" ON "annotations_article" ({columns})')


def drop_date_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in DATE_INDEXES:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0024_suggestion_parts_known"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="citation",
            index=models.Index(
                fields=["source", "-created_at", "-id"], name="citation_source_recent"
            ),
        ),
        migrations.RunPython(add_date_indexes, drop_date_indexes),
    ]
