"""`python -m bench.import_f1`: how well the HTML importer keeps what a reader would keep.

Every folder under ``tests/fixtures/html_pages`` holds one saved page (``page.html``, or
``source.html`` for browser "save page" output) and an ``expected.json`` with the title,
byline, publisher, date and the article's paragraphs (``body``) a reader would see. Each page
goes through ``annotations.importers.parsing.parse_html`` exactly as ``import_articles`` does;
the kept text (standfirst and body) is compared with the expected paragraphs by token F1, where
tokens are the lower-cased words. Titles, bylines, publishers and dates count as right only
when they are equal to the expected value.

Options: ``--json`` prints the report as JSON; ``--pages DIR`` reads another folder.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

PAGES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "html_pages"
HTML_NAMES = ("page.html", "source.html")

_WORD_RE = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    """The lower-cased words of ``text``."""
    return _WORD_RE.findall(text.lower())


@dataclass
class Overlap:
    expected: int  # tokens a reader would keep
    got: int  # tokens the importer kept
    common: int  # tokens in both (counted with multiplicity)

    @property
    def precision(self) -> float:
        return self.common / self.got if self.got else 0.0

    @property
    def recall(self) -> float:
        return self.common / self.expected if self.expected else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def overlap(expected: str, got: str) -> Overlap:
    want, have = Counter(tokens(expected)), Counter(tokens(got))
    return Overlap(sum(want.values()), sum(have.values()), sum((want & have).values()))


@dataclass
class Page:
    slug: str
    path: Path
    expected: dict


def load_pages(folder: Path = PAGES) -> list[Page]:
    """One Page per sub-folder holding an HTML file and expected.json, sorted by folder name."""
    pages = []
    for directory in sorted(p for p in folder.iterdir() if p.is_dir()):
        html = next((directory / n for n in HTML_NAMES if (directory / n).is_file()), None)
        if html is None:
            raise FileNotFoundError(f"{directory.name}: no page.html or source.html")
        expected = json.loads((directory / "expected.json").read_text(encoding="utf-8"))
        pages.append(Page(directory.name, html, expected))
    return pages


def _same(a: str | None, b: str | None) -> bool:
    return " ".join((a or "").split()) == " ".join((b or "").split())


@dataclass
class PageResult:
    slug: str
    precision: float = 0.0
    recall: float = 0.0
    f1: float = 0.0
    title_ok: bool = False
    byline_ok: bool = False
    publisher_ok: bool = False
    date_ok: bool = False
    got: dict = field(default_factory=dict)  # what the importer gave, for the report
    error: str = ""
    counts: Overlap | None = None


def evaluate_page(page: Page) -> PageResult:
    from annotations.importers.parsing import parse_html

    expected = page.expected
    want_text = "\n\n".join(expected["body"])
    try:
        article = parse_html(page.path.read_text(encoding="utf-8"))
    except Exception as error:  # a crash is a result too: F1 0 and the reason in the report
        counts = overlap(want_text, "")
        return PageResult(page.slug, error=f"{type(error).__name__}: {error}", counts=counts)
    kept = "\n\n".join(part for part in (article.standfirst, article.body) if part)
    counts = overlap(want_text, kept)
    date = article.published_on.isoformat() if article.published_on else None
    return PageResult(
        slug=page.slug,
        precision=counts.precision,
        recall=counts.recall,
        f1=counts.f1,
        title_ok=_same(article.title, expected["title"]),
        byline_ok=_same(article.byline, expected["byline"]),
        publisher_ok=_same(article.publisher, expected["publisher"]),
        date_ok=date == expected["date"],
        got={
            "title": article.title,
            "byline": article.byline,
            "publisher": article.publisher,
            "date": date,
        },
        counts=counts,
    )


@dataclass
class Report:
    pages: list[PageResult]

    def _share(self, attribute: str) -> float:
        return sum(getattr(r, attribute) for r in self.pages) / len(self.pages)

    @property
    def micro_f1(self) -> float:
        """F1 over all tokens of all pages together (long pages weigh more)."""
        total = Overlap(0, 0, 0)
        for result in self.pages:
            total.expected += result.counts.expected
            total.got += result.counts.got
            total.common += result.counts.common
        return total.f1

    @property
    def macro_f1(self) -> float:
        """Mean of the per-page F1 (every page weighs the same)."""
        return self._share("f1")

    def summary(self) -> dict:
        return {
            "pages": len(self.pages),
            "crashed": sum(1 for r in self.pages if r.error),
            "body_token_f1_micro": round(self.micro_f1, 4),
            "body_token_f1_macro": round(self.macro_f1, 4),
            "min_page_f1": round(min(r.f1 for r in self.pages), 4),
            "title_accuracy": round(self._share("title_ok"), 4),
            "byline_accuracy": round(self._share("byline_ok"), 4),
            "publisher_accuracy": round(self._share("publisher_ok"), 4),
            "date_accuracy": round(self._share("date_ok"), 4),
        }


def evaluate(folder: Path = PAGES) -> Report:
    return Report([evaluate_page(page) for page in load_pages(folder)])


def _print_table(report: Report) -> None:
    print(f"{'page':44} {'P':>5} {'R':>5} {'F1':>5}  title byline publ date")
    mark = {True: "  ok ", False: "  -- "}
    for r in report.pages:
        print(
            f"{r.slug[:44]:44} {r.precision:5.2f} {r.recall:5.2f} {r.f1:5.2f} "
            f"{mark[r.title_ok]}{mark[r.byline_ok]}{mark[r.publisher_ok]}{mark[r.date_ok]}"
            + (f"  CRASH {r.error}" if r.error else "")
        )
        for key, ok in (
            ("title", r.title_ok),
            ("byline", r.byline_ok),
            ("publisher", r.publisher_ok),
            ("date", r.date_ok),
        ):
            if not ok and not r.error:
                print(f"{'':6}{key}: got {r.got[key]!r}")
    print()
    for key, value in report.summary().items():
        print(f"{key:22} {value}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--pages", type=Path, default=PAGES, help="folder of saved pages")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    import django

    django.setup()  # the importers package imports the models

    report = evaluate(args.pages)
    if args.json:
        pages = [{k: v for k, v in asdict(r).items() if k != "counts"} for r in report.pages]
        print(json.dumps({"summary": report.summary(), "pages": pages}, indent=2))
    else:
        _print_table(report)
    return 1 if any(r.error for r in report.pages) else 0


if __name__ == "__main__":
    sys.exit(main())
