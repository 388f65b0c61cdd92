"""Claims drawn as highlights in the article's short parts (headline, standfirst), for the
pages that show them outside the reader's own rendering: the details header after an edit.
The reader draws every part in one query (``annotations.reader.reader_context``)."""

from django.utils.safestring import SafeString

from annotations.models import Article, Claim
from annotations.segments import render_inline


def highlight_class(verdict_id: int | None, state: str) -> str:
    """The CSS class colouring a claim's highlight: its verdict's colour, else its state's."""
    return f"verdict-{verdict_id}" if verdict_id else f"state-{state}"


def part_html(article: Article, part: str) -> SafeString:
    """``part`` of the article (a headline or a standfirst) with its claims highlighted:
    one query."""
    text = article.text_of(part)
    rows = Claim.objects.overlapping(article.pk, 0, len(text), part) if text else []
    classes = {pk: highlight_class(verdict_id, state) for pk, _, _, state, verdict_id, *_ in rows}
    return render_inline(text, [(pk, start, end) for pk, start, end, *_ in rows], classes)
