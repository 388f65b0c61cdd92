"""CSV exports: one row per claim (``csv``) or one row per citation (``csv-citations``).

UTF-8 with a byte-order mark (so spreadsheet programs pick the right encoding), RFC 4180
quoting and CRLF line ends. Every cell goes through ``_common.neutralise``, so one that a
spreadsheet would run as a formula shows as text instead (OWASP "CSV injection").
"""

import csv
import io
from collections.abc import Callable, Iterator

from annotations.exporters._common import iso, neutralise
from annotations.exporters.scope import DRAFT_LABEL, ExportData, Scope

BOM = "\ufeff"

CLAIM_COLUMNS = [
    ("article_title", lambda a, c: a["title"]),
    ("article_url", lambda a, c: a["url"]),
    ("article_publisher", lambda a, c: a["publisher"]),
    ("article_published_on", lambda a, c: iso(a["published_on"])),
    # Which text the offsets count in: headline, standfirst or body.
    ("claim_part", lambda a, c: c["part"]),
    ("claim_start", lambda a, c: c["start"]),
    ("claim_end", lambda a, c: c["end"]),
    ("quote", lambda a, c: c["quote"]),
    ("statement", lambda a, c: c["statement"]),
    ("claimant", lambda a, c: c["claimant"]),
    ("claim_date", lambda a, c: iso(c["claim_date"])),
    ("category", lambda a, c: c["category_label"]),
    ("state", lambda a, c: c["state_label"]),
    ("status", lambda a, c: DRAFT_LABEL if c["is_draft"] else "Approved"),
    ("verdict", lambda a, c: c["verdict"]["label"] if c["verdict"] else ""),
    ("verdict_rating", lambda a, c: c["verdict"]["rating"] if c["verdict"] else ""),
    ("verdict_explanation", lambda a, c: c["verdict_explanation"]),
    ("proposed_by", lambda a, c: c["verdict_proposed_by_username"]),
    ("approved_by", lambda a, c: c["approved_by_username"]),
    ("approved_at", lambda a, c: iso(c["approved_at"])),
    ("citations", lambda a, c: len(c["citations"])),
    ("source_urls", lambda a, c: " ".join(x["source"]["url"] for x in c["citations"])),
    ("report_url", lambda a, c: c["report_url"]),
    # Empty for a claim in its place; for an orphan, why its quote was not found again.
    ("orphaned", lambda a, c: c["orphan_reason"] or "orphaned" if c["is_orphan"] else ""),
]
CITATION_COLUMNS = [
    ("article_title", lambda a, c, x: a["title"]),
    ("article_url", lambda a, c, x: a["url"]),
    ("quote", lambda a, c, x: c["quote"]),
    ("statement", lambda a, c, x: c["statement"]),
    ("status", lambda a, c, x: DRAFT_LABEL if c["is_draft"] else "Approved"),
    ("verdict", lambda a, c, x: c["verdict"]["label"] if c["verdict"] else ""),
    ("relation", lambda a, c, x: x["relation_label"]),
    ("source_title", lambda a, c, x: x["source"]["title"]),
    ("source_publisher", lambda a, c, x: x["source"]["publisher"]),
    ("source_url", lambda a, c, x: x["source"]["url"]),
    ("archive_url", lambda a, c, x: x["source"]["archive_url"]),
    ("passage", lambda a, c, x: x["quote"]),
    ("locator", lambda a, c, x: x["locator"]),
    ("note", lambda a, c, x: x["note"]),
    ("cited_by", lambda a, c, x: x["created_by_username"]),
    ("report_url", lambda a, c, x: c["report_url"]),
]


def _rows(articles, scope: Scope, columns, per_citation: bool) -> Iterator[list]:
    yield [name for name, _ in columns]
    for bundle in ExportData(articles, scope, with_text=False):
        for claim in bundle.claims:
            if per_citation:
                for citation in claim["citations"]:
                    yield [get(bundle.article, claim, citation) for _, get in columns]
            else:
                yield [get(bundle.article, claim) for _, get in columns]


def _csv_chunks(rows: Iterator[list], rows_per_chunk: int = 500) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    buffer.write(BOM)
    for count, row in enumerate(rows, start=1):
        writer.writerow([neutralise(cell) for cell in row])
        if count % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def claim_chunks(articles, scope: Scope) -> Iterator[str]:
    return _csv_chunks(_rows(articles, scope, CLAIM_COLUMNS, per_citation=False))


def citation_chunks(articles, scope: Scope) -> Iterator[str]:
    return _csv_chunks(_rows(articles, scope, CITATION_COLUMNS, per_citation=True))


chunks: Callable = claim_chunks
