"""Filters for the PDF's source (``for_pdf``): the same text in fewer boxes for WeasyPrint.

``one_paragraph``: a text that ``linebreaks`` would make a single ``<p>`` of; the PDF then
prints it as one paragraph (``linebreaksbr`` inside it: the same lines) instead of a block
holding a paragraph. ``figure_padded``: a list's number written out, right-aligned over
``digits`` digits with figure spaces (as wide as a digit), where a list marker would have been
laid out as a box of its own.
"""

import re

from django import template
from django.utils.text import normalize_newlines

register = template.Library()

FIGURE_SPACE = "\u2007"


@register.filter
def one_paragraph(text) -> bool:
    return len(re.split("\n{2,}", normalize_newlines(str(text)))) == 1


@register.filter
def figure_padded(number, digits) -> str:
    return str(number).rjust(int(digits), FIGURE_SPACE)
