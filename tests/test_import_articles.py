"""The import_articles command, on the real seed corpus and on bad input."""

import datetime
import os
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotations.importers import import_document
from annotations.models import Article
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db


def run_import(*args):
    """Run the command; return (exit code, stdout+stderr)."""
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("import_articles", *map(str, args), "--no-progress", stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue() + err.getvalue()


def seed_files(seeds_dir):
    return sorted(seeds_dir.glob("*.txt"))  # the folder's README.md is not an article


def test_seed_corpus_imports_with_expected_shapes(seeds_dir):
    code, output = run_import(*seed_files(seeds_dir))
    assert code == 0, output
    assert "5 created" in output
    by_file = {article.source_name: article for article in Article.objects.all()}

    first = next(a for name, a in by_file.items() if name.startswith("000_"))
    assert first.published_on == datetime.date(2017, 12, 29)
    assert first.body.startswith("Britain’s top cop")
    assert first.title_inferred
    assert "appeared on The Daily Caller" in first.notes
    assert "appeared on The Daily Caller" not in first.body

    second = next(a for name, a in by_file.items() if name.startswith("001_"))
    assert second.section == "online child safety"
    assert second.title == "Law enforcement ‘overwhelmed’ by online child abuse cases"
    assert "Sign up to the E&T News" not in second.body
    assert not second.body.rstrip().endswith("Recent articles")

    third = next(a for name, a in by_file.items() if name.startswith("002_"))
    assert "Representational image" not in third.body

    fourth = next(a for name, a in by_file.items() if name.startswith("003_"))
    assert fourth.body.startswith("Child sex abuse is becoming")
    assert "\n\n" in fourth.body  # single-newline paragraphs kept as paragraphs

    fifth = next(a for name, a in by_file.items() if name.startswith("004_"))
    assert fifth.standfirst.startswith("Crime agency boss calls for tech giants")
    assert "Fact checked" not in fifth.body
    for tail in ("Be the first to comment", "Leave a Reply", "Akismet", "will not be published"):
        assert tail not in fifth.body

    for article in by_file.values():
        raw = (seeds_dir / article.source_name).read_bytes()
        assert article.raw_text.encode("utf-8") == raw  # the raw file is kept unchanged
        for paragraph in article.body.split("\n\n"):
            assert paragraph in article.raw_text  # characters kept exactly


def test_reimport_is_idempotent_and_reported_unchanged(seeds_dir):
    run_import(*seed_files(seeds_dir))
    code, output = run_import(*seed_files(seeds_dir))
    assert code == 0
    assert "0 created" in output and "5 unchanged" in output
    assert Article.objects.count() == 5


def _page(url: str, sentence: str) -> str:
    canonical = f'<link rel="canonical" href="{url}">' if url else ""
    return (
        f"<html><head><title>Harbour works</title>{canonical}</head><body><article>"
        "<h1>Harbour works</h1>"
        + f"<p>{sentence} The works finish in the spring.</p>" * 4
        + "</article></body></html>"
    )


def test_two_different_pages_with_the_same_file_name_are_two_articles(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "one" / "source.html").write_text(_page("", "The quay closes for repairs."))
    (tmp_path / "two" / "source.html").write_text(_page("", "The lighthouse gets new lamps."))
    code, output = run_import(tmp_path / "one")
    first = Article.objects.get()
    code, output = run_import(tmp_path / "two", "--update")
    assert code == 0, output
    assert "2 created" not in output and "1 created" in output and "CHANGED" not in output
    assert Article.objects.count() == 2
    first.refresh_from_db()
    assert "quay" in first.body and "lighthouse" not in first.body
    # The path (relative to the folder given) is kept as provenance, not as an identity.
    assert set(Article.objects.values_list("source_name", flat=True)) == {
        "one/source.html",
        "two/source.html",
    }


def test_a_new_text_from_the_same_path_is_a_new_article_with_a_hint(tmp_path):
    path = tmp_path / "budget.txt"
    path.write_text("Budget rises\n\nThe council budget rose by 4% to £12m this year.\n")
    run_import(path)
    first = Article.objects.get()
    path.write_text("Budget rises\n\nThe council budget rose by 5% to £12m this year.\n")
    code, output = run_import(path, "--update")
    assert code == 0
    assert Article.objects.count() == 2
    first.refresh_from_db()
    assert "4%" in first.body  # never overwritten without being named
    assert f"--update --article {first.pk}" in output


def test_a_page_with_the_same_url_is_reported_changed_and_replaced_only_with_update(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(_page("https://news.example/harbour", "The quay closes for repairs."))
    run_import(path)
    path.write_text(_page("https://news.example/harbour", "The quay closes in May."))
    code, output = run_import(path)
    assert code == 0
    assert "CHANGED" in output and "--update" in output
    assert "repairs" in Article.objects.get().body
    code, output = run_import(path, "--update")
    assert "UPDATED" in output
    assert "in May" in Article.objects.get().body


def test_update_moves_claims_onto_the_new_text_of_the_named_article(tmp_path):
    path = tmp_path / "budget.txt"
    path.write_text("Budget rises\n\nThe council budget rose by 4% to £12m this year.\n")
    run_import(path)
    article = Article.objects.get()
    start = article.body.index("£12m")
    claim = ClaimFactory(article=article, start=start, end=start + 4)
    path.write_text("Budget rises\n\nNew figures out today. The council budget rose to £12m.\n")
    code, output = run_import(path, "--article", article.pk)
    assert code == 0, output
    assert Article.objects.count() == 1
    claim.refresh_from_db()
    article.refresh_from_db()
    assert article.body[claim.start : claim.end] == "£12m" == claim.quote
    assert claim.version == 2 and not claim.is_orphan


def test_article_option_takes_one_file_and_an_existing_article(tmp_path):
    (tmp_path / "a.txt").write_text("One\n\nFirst story text here.\n")
    (tmp_path / "b.txt").write_text("Two\n\nSecond story text here.\n")
    with pytest.raises(CommandError, match="No article #99"):
        call_command("import_articles", str(tmp_path / "a.txt"), "--article", "99")
    run_import(tmp_path / "a.txt")
    with pytest.raises(CommandError, match="exactly one file"):
        call_command("import_articles", str(tmp_path), "--article", str(Article.objects.get().pk))


def test_update_orphans_a_claim_whose_quote_is_gone_and_keeps_it(tmp_path):
    path = tmp_path / "budget.txt"
    path.write_text("Budget rises\n\nThe council budget rose by 4% to £12m this year.\n")
    run_import(path)
    article = Article.objects.get()
    kept = ClaimFactory(
        article=article, start=article.body.index("£12m"), end=article.body.index("£12m") + 4
    )
    lost = ClaimFactory(
        article=article, start=article.body.index("4%"), end=article.body.index("4%") + 2
    )
    path.write_text("Budget rises\n\nThe council budget rose to £12m this year.\n")
    code, output = run_import(path, "--article", article.pk)
    assert code == 0, output
    assert "1 orphaned" in output and f"claim #{lost.pk} orphaned" in output
    article.refresh_from_db()
    lost.refresh_from_db()
    kept.refresh_from_db()
    assert "4%" not in article.body
    assert lost.is_orphan and lost.quote == "4%" and "not in the article" in lost.orphan_reason
    assert lost.history.first().history_change_reason.startswith("Orphaned")
    assert not kept.is_orphan and article.body[kept.start : kept.end] == "£12m"


def test_a_folder_skips_readme_licence_and_hidden_files_and_says_so(tmp_path):
    (tmp_path / "README.md").write_text("# How this folder is laid out\n\nOne file a story.\n")
    (tmp_path / "LICENSE.txt").write_text("Licence\n\nAll rights reserved by the authors.\n")
    (tmp_path / ".draft.txt").write_text("Draft\n\nNot ready to be read by anyone yet.\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "notes.md").write_text("# Notes\n\nInternal notes of the tool.\n")
    (tmp_path / "story.txt").write_text("Parks\n\nThe parks stay open until 10pm.\n")
    code, output = run_import(tmp_path)
    assert code == 0
    assert list(Article.objects.values_list("title", flat=True)) == ["Parks"]
    assert output.count("SKIPPED") == 4
    assert "4 skipped" in output
    # A README named on its own is tried: the user asked for it.
    code, output = run_import(tmp_path / "README.md")
    assert Article.objects.count() == 2


def test_verbose_import_lists_the_removed_lines_and_keeps_them_with_the_article(tmp_path):
    path = tmp_path / "story.txt"
    path.write_text(
        "Parks open late\n\nThe city's parks will stay open until 10pm in summer.\n\n"
        "Sign up for our newsletter to get the news in your inbox\n"
    )
    code, output = run_import(path, "-v", "2")
    assert "removed: Sign up for our newsletter" in output
    assert Article.objects.get().removed_lines == [
        "Sign up for our newsletter to get the news in your inbox"
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "the file is empty"),
        ("blank.txt", b"  \n\n \t\n", "the file is empty"),
        ("binary.txt", b"GIF89a\x00\x01\x02\x00\x00garbage", "binary file"),
        ("undecodable.txt", b"Title\n\nBad bytes \x81\x8d\x8f\x90 here.", "neither UTF-8"),
        ("nothing.html", b"<html><body><nav>Home</nav></body></html>", "no article text"),
        ("notes.docx", b"PK\x03\x04 some zip", "unsupported file type"),
    ],
)
def test_bad_file_fails_with_one_line_and_writes_nothing(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    code, output = run_import(path)
    assert code == 1
    failure_lines = [line for line in output.splitlines() if line.startswith("FAILED")]
    assert len(failure_lines) == 1 and message in failure_lines[0]
    assert Article.objects.count() == 0


def test_oversized_file_is_refused(tmp_path, settings):
    settings.FACTCHECK_IMPORT_MAX_BYTES = 1000
    path = tmp_path / "long.txt"
    path.write_text("Long story\n\n" + "Words of the story. " * 100)
    code, output = run_import(path)
    assert code == 1
    assert "too large" in output
    assert Article.objects.count() == 0


def test_missing_and_unreadable_paths_fail_but_others_continue(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("Parks open late\n\nThe city's parks will stay open until 10pm in summer.\n")
    locked = tmp_path / "locked.txt"
    locked.write_text("Locked\n\nThis one cannot be read.\n")
    locked.chmod(0)
    try:
        code, output = run_import(tmp_path / "missing.txt", locked, good)
    finally:
        locked.chmod(0o644)
    assert code == 1
    assert "no such file" in output
    if os.geteuid() != 0:  # root reads any file
        assert "cannot read the file" in output
    assert Article.objects.filter(title="Parks open late").exists()


def test_cp1252_file_imports_with_a_warning(tmp_path):
    path = tmp_path / "legacy.txt"
    path.write_bytes(
        "Caf\u00e9 reopens\n\nThe caf\u00e9 \u2018reopens\u2019 on Monday.\n".encode("cp1252")
    )
    code, output = run_import(path)
    assert code == 0
    assert "Windows-1252" in output
    assert Article.objects.get().body == "The caf\u00e9 \u2018reopens\u2019 on Monday."


def test_good_files_are_kept_when_others_in_the_batch_fail(tmp_path, seeds_dir):
    shutil.copy(next(seeds_dir.glob("002_*.txt")), tmp_path)
    (tmp_path / "empty.txt").write_bytes(b"")
    code, output = run_import(tmp_path)
    assert code == 1
    assert "1 created" in output and "1 failed" in output
    assert Article.objects.count() == 1


def test_failure_in_the_middle_of_a_file_leaves_nothing(monkeypatch):
    def explode(self, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Article, "save", explode)
    outcome = import_document("story.txt", b"Story\n\nA body long enough to be an article.\n")
    monkeypatch.undo()
    assert outcome.failed and "RuntimeError: disk full" in outcome.message
    assert Article.objects.count() == 0


def test_markdown_and_html_files_import(tmp_path):
    (tmp_path / "a.md").write_text("# Tram extension approved\n\nThe line will be 4km long.\n")
    (tmp_path / "b.html").write_text(
        "<html><head><title>Pool reopens after repairs</title>"
        '<meta name="author" content="Sam Lee"></head><body><article>'
        "<h1>Pool reopens after repairs</h1>"
        + "<p>The municipal pool reopens on Monday after a repair that cost £1.2m. "
        "Opening hours are unchanged and swimming lessons restart next week.</p>"
        * 3
        + "</article></body></html>"
    )
    code, output = run_import(tmp_path)
    assert code == 0, output
    titles = set(Article.objects.values_list("title", flat=True))
    assert titles == {"Tram extension approved", "Pool reopens after repairs"}
    assert Article.objects.get(title="Pool reopens after repairs").byline == "Sam Lee"


def test_same_file_imported_twice_at_once_is_reported_unchanged(monkeypatch):
    """The content-hash check and the insert race with a concurrent import of the same file."""
    import annotations.importers as importers

    data = b"Ferry timetable changes\n\nThe last sailing moves to 23:10 from Monday.\n"
    # The other import's row, committed just after our duplicate check looked.
    Article.objects.create(title="Ferry timetable changes", body="x", raw_text=data.decode())
    checks = []
    real_check = importers._already_imported

    def check_that_misses_the_first_time(content_hash):
        checks.append(content_hash)
        return None if len(checks) == 1 else real_check(content_hash)

    monkeypatch.setattr(importers, "_already_imported", check_that_misses_the_first_time)
    outcome = import_document("ferry.txt", data)
    assert outcome.status == "unchanged"
    assert Article.objects.count() == 1


def test_files_with_the_same_name_but_different_urls_are_different_articles():
    page = (
        "<html><head><title>{title}</title><link rel='canonical' href='{url}'></head><body>"
        "<article><h1>{title}</h1>" + "<p>{title} is described at length here, with figures "
        "and dates, so that the extractor finds a real article body.</p>" * 3 + "</article>"
        "</body></html>"
    )
    first = page.format(title="Harbour dredging", url="https://one.example/dredging")
    second = page.format(title="Tram depot", url="https://two.example/depot")
    assert import_document("article.html", first.encode()).status == "created"
    assert import_document("article.html", second.encode()).status == "created"
    assert Article.objects.count() == 2


def test_every_page_of_the_saved_page_corpus_is_its_own_article():
    # Three of them are different pages all saved as source.html, with no canonical URL.
    pages = Path(__file__).parent / "fixtures" / "html_pages"
    code, output = run_import(pages)
    assert code == 0, output
    count = len(list(pages.glob("*/*.html")))
    assert Article.objects.count() == count >= 30
    assert Article.objects.filter(source_name__endswith="/source.html").count() >= 3
    assert "CHANGED" not in output


def test_a_page_is_found_again_by_its_url_however_the_url_is_spelled(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(_page("HTTPS://News.Example:443/harbour/?utm_source=x", "The quay closes."))
    run_import(path)
    assert Article.objects.get().url == "https://news.example/harbour"
    path.write_text(_page("https://news.example/harbour/", "The quay closes in May."))
    code, output = run_import(path)
    assert "CHANGED" in output and Article.objects.count() == 1


def _fetched(canonical: str) -> bytes:
    return (
        "<html><head><title>Harbour ferry numbers</title>"
        f'<link rel="canonical" href="{canonical}"></head><body><article>'
        "<h1>Harbour ferry numbers</h1><p>The harbour ferry carried 1.2 million passengers "
        "last year, the council said.</p><p>Ticket prices rose by 5% in April.</p>"
        "</article></body></html>"
    ).encode()


@pytest.mark.django_db
def test_a_fetched_page_naming_another_sites_canonical_url_keeps_its_own_address():
    """Any page may name any address as canonical: taken on trust, a copy on another site
    would carry the outlet's URL (and its name on the public page) and squat its article."""
    found_at = "https://copies.example.net/ferry"
    outcome = import_document(
        "ferry", _fetched("https://www.gazette.example/news/ferry"), fetched_url=found_at
    )
    assert outcome.status == "created"
    assert outcome.article.url == found_at
    assert any("another site's address" in warning for warning in outcome.warnings)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "found_at",
    ["https://gazette.example/ferry?ref=feed", "https://amp.gazette.example/ferry.amp"],
)
def test_a_fetched_page_on_the_same_site_is_known_by_its_canonical_url(found_at):
    outcome = import_document(
        "ferry", _fetched("https://www.gazette.example/news/ferry"), fetched_url=found_at
    )
    assert outcome.article.url == "https://www.gazette.example/news/ferry"
    assert not [w for w in outcome.warnings if "another site" in w]
