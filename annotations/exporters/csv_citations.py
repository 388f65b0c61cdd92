"""CSV with one row per citation; see ``annotations.exporters.csv``."""

from typing import IO

from annotations.exporters.csv import citation_chunks as chunks
from annotations.exporters.scope import Scope

__all__ = ["chunks", "write"]


def write(articles, scope: Scope, out: IO) -> None:
    for chunk in chunks(articles, scope):
        out.write(chunk)
