"""Every publisher name an article had (in its history too) becomes a Publisher record, the same
record for names that differ only in case or spacing; the articles point to it."""

from django.db import migrations


def _key(name: str) -> str:
    return " ".join((name or "").split()).casefold()


def names_to_records(apps, schema_editor):
    Article = apps.get_model("annotations", "Article")
    HistoricalArticle = apps.get_model("annotations", "HistoricalArticle")
    Publisher = apps.get_model("annotations", "Publisher")
    records = {_key(p.name): p for p in Publisher.objects.all()}
    for model in (Article, HistoricalArticle):
        names = sorted(
            set(model.objects.exclude(publisher_name="").values_list("publisher_name", flat=True))
        )
        for name in names:
            key = _key(name)
            if not key:
                continue
            if key not in records:
                records[key] = Publisher.objects.create(name=" ".join(name.split())[:300])
            model.objects.filter(publisher_name=name).update(publisher=records[key])


def records_to_names(apps, schema_editor):
    Article = apps.get_model("annotations", "Article")
    HistoricalArticle = apps.get_model("annotations", "HistoricalArticle")
    Publisher = apps.get_model("annotations", "Publisher")
    for publisher in Publisher.objects.all():
        for model in (Article, HistoricalArticle):
            model.objects.filter(publisher=publisher).update(publisher_name=publisher.name)


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0010_publishing"),
    ]

    operations = [
        migrations.RunPython(names_to_records, records_to_names),
    ]
