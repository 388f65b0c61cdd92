"""Backup and restore: ``dumpdata`` → an emptied database → ``loaddata`` gives back the same rows,
with the same content hash per table, history included; a second dump is identical to the
first. Uploaded snapshot files live in MEDIA_ROOT (or the configured storage) and are backed up
with it, not by dumpdata: their SHA-256 in the database still matches after the restore.

JSON is the format to use: Django's JSON encoder keeps times to the millisecond (so the hashes
below compare times at that precision), while its XML deserializer strips leading and trailing
white space from every text field — an article's raw text would lose its final newline and no
longer match its content hash.

The backup command (see README "Security"):

    manage.py dumpdata --natural-foreign --exclude contenttypes --exclude auth.permission \
        --exclude sessions --exclude annotations.articletally \
        --exclude annotations.articleverdicttally --exclude annotations.desktally \
        --exclude annotations.sourcetally --indent 1 --output backup.json

The claim counts (``annotations/tallies.py``) and the sources' usage counts
(``annotations/source_tallies.py``) are left out: the database's triggers count the claims and
citations again as ``loaddata`` writes them.
"""

import datetime
import hashlib
import io
import json
import re

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management import call_command

from annotations.importers import import_document
from annotations.models import Claim, SourceSnapshot, Verdict
from tests import security_support as support
from tests.factories import CitationFactory, ClaimFactory, CommentFactory

pytestmark = pytest.mark.django_db(transaction=True)

EXCLUDED = [
    "contenttypes",
    "auth.permission",
    "sessions",
    "annotations.articletally",
    "annotations.articleverdicttally",
    "annotations.desktally",
    "annotations.sourcetally",
]
# Counted again by the triggers while the backup is loaded: compared by what they count.
COUNTED_TABLES = {
    "annotations_articletally",
    "annotations_articleverdicttally",
    "annotations_desktally",
    "annotations_sourcetally",
}
# Tables whose rows point at content types or permissions by id: those ids are re-created by
# `flush`, so these are compared by natural key instead (see _group_permissions).
ID_BOUND_TABLES = {
    "django_content_type",
    "auth_permission",
    "auth_group_permissions",
    "annotations_user_user_permissions",
    "django_session",
    "django_admin_log",
}


def _content_hashes() -> dict[str, tuple[int, str]]:
    """(row count, SHA-256 of every row in primary-key order) for every table."""
    hashes = {}
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if table in ID_BOUND_TABLES or not model._meta.managed:
            continue
        rows = [
            tuple(_millisecond(value) for value in row)
            for row in model._base_manager.order_by("pk").values_list()
        ]
        digest = hashlib.sha256(repr(rows).encode()).hexdigest()
        hashes[table] = (len(rows), digest)
    return hashes


def _millisecond(value):
    if isinstance(value, datetime.datetime | datetime.time):
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    return value


def _counts() -> tuple:
    """What the dashboard reads: each article's claims by state and by verdict, and the
    desk's totals; what the source pages read: each source's usage."""
    from annotations.models import ArticleTally, ArticleVerdictTally, DeskTally, SourceTally

    articles = sorted(
        ArticleTally.objects.values_list(
            "article__content_hash",
            "to_do",
            "in_progress",
            "needs_review",
            "approved",
            "sent_back",
            "dismissed",
        )
    )
    verdicts = sorted(
        ArticleVerdictTally.objects.filter(claims__gt=0).values_list(
            "article__content_hash", "verdict__label", "claims"
        )
    )
    by_state, by_verdict, total = DeskTally.objects.totals()
    labels = dict(Verdict.objects.values_list("pk", "label"))
    desk = (
        sorted(by_state.items()),
        sorted((labels.get(pk, ""), n) for pk, n in by_verdict.items() if n),
        total,
    )
    sources = sorted(SourceTally.objects.values_list("source__url", "claims", "approved_verdicts"))
    return articles, verdicts, desk, sources


def _group_permissions() -> set[tuple[str, str, str]]:
    return {
        (group.name, permission.content_type.app_label, permission.codename)
        for group in Group.objects.all()
        for permission in group.permissions.all()
    }


# A time whose milliseconds are zero: written "…:53.000Z" when it had microseconds below one
# millisecond, and "…:53Z" once restored without them. Both mean the same instant.
ZERO_MILLISECONDS = re.compile(r"(T\d\d:\d\d:\d\d)\.000(?=Z|[+-]\d\d:\d\d$|$)")


def _canonical(dump: str) -> list:
    """The records of a dump, with many-to-many lists sorted (their order is not stored) and
    times written one way."""
    records = json.loads(dump)
    for record in records:
        for name, value in record["fields"].items():
            if isinstance(value, list):
                record["fields"][name] = sorted(value, key=json.dumps)
            elif isinstance(value, str):
                record["fields"][name] = ZERO_MILLISECONDS.sub(r"\1", value)
    return records


def _dump() -> str:
    out = io.StringIO()
    args = ["--natural-foreign", "--indent", "1"]
    for label in EXCLUDED:
        args += ["--exclude", label]
    call_command("dumpdata", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def populated(db):
    world = support.build_world()
    # A body with astral characters and a claim after them: offsets must survive.
    body = "Ferry 😀 times — 𝔸 new timetable starts on Monday.\n\nMore detail follows here."
    article = ClaimFactory(article__body=body, start=17, end=30).article
    claim = article.claims.get()
    assert claim.quote == body[17:30]
    CitationFactory(claim=claim, source=world["source"])
    comment = CommentFactory(claim=claim, body="Line one\nline two")
    # Less than a millisecond past the second: the JSON dump keeps milliseconds only.
    type(comment).objects.filter(pk=comment.pk).update(
        created_at=datetime.datetime(2026, 3, 4, 5, 6, 7, 400, tzinfo=datetime.UTC)
    )
    claim.statement = "Edited to make history"
    claim.save()
    outcome = import_document("harbour.txt", b"Harbour news\n\nThe quay reopens in May.\n")
    assert outcome.status == "created"
    group = Group.objects.get(name="Editor")
    from django.contrib.auth.models import Permission

    group.permissions.add(Permission.objects.get(codename="change_claim"))
    return world


def test_dump_flush_load_gives_the_same_counts_and_content_hashes(populated, tmp_path):
    before = _content_hashes()
    counted = _counts()
    assert counted[0], "the world has counted articles"
    assert any(claims for _, claims, _ in counted[3]), "the world has cited sources"
    permissions = _group_permissions()
    assert before["annotations_claim"][0] >= 2
    assert before["annotations_historicalclaim"][0] >= 2
    dump = _dump()
    backup = tmp_path / "backup.json"
    backup.write_text(dump, encoding="utf-8")

    call_command("flush", "--noinput")
    assert Claim.objects.count() == 0 and Group.objects.count() == 0

    call_command("loaddata", str(backup), verbosity=0)
    after = _content_hashes()
    differing = {
        table
        for table in before
        if before[table] != after.get(table) and table not in COUNTED_TABLES
    }
    assert not differing, f"tables that differ after the restore: {sorted(differing)}"
    assert _counts() == counted, "the claim counts differ after the restore"
    assert _group_permissions() == permissions
    assert _canonical(_dump()) == _canonical(dump)  # a second backup holds the same records

    # The restored data is usable: anchoring still matches the text.
    for claim in Claim.objects.select_related("article"):
        assert claim.article.body[claim.start : claim.end] == claim.quote


def test_snapshot_files_still_match_their_hash_after_a_restore(populated, tmp_path):
    backup = tmp_path / "backup.json"
    backup.write_text(_dump(), encoding="utf-8")
    call_command("flush", "--noinput")
    call_command("loaddata", str(backup), verbosity=0)
    snapshot = SourceSnapshot.objects.get()
    with snapshot.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == snapshot.sha256


def test_the_dump_leaves_out_sessions_and_keeps_password_hashes(populated):
    records = json.loads(_dump())
    models = {record["model"] for record in records}
    assert "sessions.session" not in models
    assert "contenttypes.contenttype" not in models
    users = [record for record in records if record["model"] == "annotations.user"]
    assert users and all(record["fields"]["password"] for record in users)
