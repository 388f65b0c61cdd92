"""The PDF report laid out in parts: what each part and the combining cost in CPU time.

``make bench`` times the PDF report as a user waits for it (wall time, all parts at once on
the cores there are). On a shared or small machine that figure says more about the machine than
about the report, so this one lays each part out in this process, one after another, and takes
the CPU time of each (``time.process_time``): the longest part plus cutting the source and
combining the pages is the wall time the report takes with a free core per part.
"""

import statistics
import time

from annotations import pdf_layout
from annotations.exporters import html, pdf
from annotations.exporters.scope import Scope
from bench.measure import Result


def critical_path(figure: str, articles, *, runs: int, target_ms: float) -> Result:
    totals, notes = [], ""
    for _ in range(runs):
        started = time.process_time()
        parts = html.render_pdf_parts(articles, Scope.INTERNAL, pdf.parts_for)
        documents = [pdf.INDENTATION.sub("\n", part.document) for part in parts]
        cut = time.process_time() - started
        laid_out, rendered = [], []
        for document in documents:
            started = time.process_time()
            rendered.append(pdf_layout.render_standalone(document)[0])
            laid_out.append(time.process_time() - started)
        started = time.process_time()
        combined = pdf.combine(rendered, [part.continued for part in parts])
        combining = time.process_time() - started
        totals.append((cut + max(laid_out) + combining) * 1000)
        notes = (
            f"{len(parts)} parts: source {cut * 1000:.0f} ms, parts "
            + " / ".join(f"{t * 1000:,.0f}" for t in laid_out)
            + f" ms (together {sum(laid_out) * 1000:,.0f} ms), combining {combining * 1000:.0f} ms;"
            f" {len(combined):,} bytes"
        )
    median = statistics.median(totals)
    return Result(
        figure,
        target_ms=target_ms,
        median_ms=median,
        p95_ms=max(totals),
        runs=runs,
        note=notes,
        passed=median <= target_ms,
    )
