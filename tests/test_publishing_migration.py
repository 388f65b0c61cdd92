"""The migration that makes publishers records: every name an article had, in its history too,
becomes one Publisher (names that differ only in case or spacing are one), and nothing is lost
on the way back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)


def _named(suffix: str) -> tuple[str, str]:
    executor = MigrationExecutor(connection)
    [name] = [
        n
        for app, n in executor.loader.graph.nodes
        # "0010_publishing", not "0014_claimreview_publishing"
        if app == "annotations" and n.split("_", 1)[1] == suffix.lstrip("_")
    ]
    return ("annotations", name)


def _migrate(target) -> object:
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return MigrationExecutor(connection).loader.project_state([target]).apps


def test_publisher_names_become_records_and_come_back():
    before = _named("_publishing")  # the new column is there, the names still in publisher_name
    after = _named("_publisher_records")
    leaf = MigrationExecutor(connection).loader.graph.leaf_nodes("annotations")[0]
    try:
        apps = _migrate(before)
        Article = apps.get_model("annotations", "Article")
        HistoricalArticle = apps.get_model("annotations", "HistoricalArticle")
        for n, name in enumerate(["Hillside Herald", "hillside  HERALD ", "Valley Courier", ""]):
            Article.objects.create(
                title=f"Story {n}",
                publisher_name=name,
                body="Text.",
                raw_text=f"Story {n}",
                content_hash=f"{n:064d}",
            )
        HistoricalArticle.objects.create(
            id=99,
            title="Deleted story",
            publisher_name="Coastline Post",
            raw_encoding="utf-8",
            content_hash="9" * 64,
            history_date="2025-01-01T00:00:00Z",
            history_type="-",
            imported_at="2025-01-01T00:00:00Z",
            updated_at="2025-01-01T00:00:00Z",
            version=1,
            title_inferred=False,
            removed_lines=[],
            publication="",
        )

        apps = _migrate(after)
        Publisher = apps.get_model("annotations", "Publisher")
        Article = apps.get_model("annotations", "Article")
        assert sorted(Publisher.objects.values_list("name", flat=True)) == [
            "Coastline Post",
            "Hillside Herald",
            "Valley Courier",
        ]
        herald = Publisher.objects.get(name="Hillside Herald")
        by_title = {a.title: a.publisher_id for a in Article.objects.all()}
        assert by_title == {
            "Story 0": herald.pk,
            "Story 1": herald.pk,
            "Story 2": Publisher.objects.get(name="Valley Courier").pk,
            "Story 3": None,
        }
        history = apps.get_model("annotations", "HistoricalArticle").objects.get(id=99)
        assert history.publisher_id == Publisher.objects.get(name="Coastline Post").pk

        # Back: each article gets its publisher's name again.
        apps = _migrate(before)
        names = dict(
            apps.get_model("annotations", "Article").objects.values_list("title", "publisher_name")
        )
        assert names["Story 1"] == "Hillside Herald" and names["Story 3"] == ""
    finally:
        _migrate(leaf)
