"""Fact-check reports and machine-readable exports, one module per format.

Every format module has ``chunks(articles, scope)`` — a generator of ``str`` (or ``bytes`` for
PDF) pieces, so a view can stream it. ``ExportFormat.write(articles, scope, out)`` writes the
same pieces to a file object. ``articles`` is an ``Article`` queryset (see
``request.select_articles``); ``scope`` a ``scope.Scope``.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from importlib import import_module
from typing import IO

from django.utils import timezone

from annotations.exporters.scope import Scope


@dataclass(frozen=True)
class ExportFormat:
    name: str
    label: str
    extension: str
    content_type: str
    binary: bool = False
    # What the file holds, in its name (``…-claims.csv``): formats that share an extension
    # must not download under the same name.
    contents: str = "report"

    @property
    def file_ending(self) -> str:
        return f"{self.contents}.{self.extension}"

    @property
    def module(self):
        return import_module(f"annotations.exporters.{self.name.replace('-', '_')}")

    def chunks(self, articles, scope: Scope) -> Iterable:
        return self.module.chunks(articles, scope)

    def write(self, articles, scope: Scope, out: IO) -> None:
        for chunk in self.chunks(articles, scope):
            out.write(chunk)


FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in [
        ExportFormat("html", "HTML report", "html", "text/html; charset=utf-8"),
        ExportFormat("pdf", "PDF report", "pdf", "application/pdf", binary=True),
        ExportFormat("markdown", "Markdown report", "md", "text/markdown; charset=utf-8"),
        ExportFormat(
            "csv", "CSV, one row per claim", "csv", "text/csv; charset=utf-8", contents="claims"
        ),
        ExportFormat(
            "csv-citations",
            "CSV, one row per citation",
            "csv",
            "text/csv; charset=utf-8",
            contents="citations",
        ),
        ExportFormat("json", "JSON (complete)", "json", "application/json", contents="data"),
        ExportFormat(
            "claimreview",
            "schema.org ClaimReview",
            "jsonld",
            "application/ld+json",
            contents="claimreview",
        ),
        ExportFormat("w3c", "W3C Web Annotations", "jsonld", "application/ld+json", contents="w3c"),
    ]
}


def download_name(export_format: ExportFormat, articles, scope) -> str:
    """The file name an export downloads under: what, which scope, when."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    ids = list(articles.values_list("pk", flat=True)[:2])
    what = f"article-{ids[0]}" if len(ids) == 1 else "articles"
    if getattr(articles, "claim_selection", None) is not None:  # of=claims: a selection
        what = f"{what}-selected-claims"
    return f"factcheck-{what}-{scope}-{stamp}-{export_format.file_ending}"
