"""CSV with one row per citation; see ``annotations.exporters.csv``."""

from annotations.exporters.csv import citation_chunks as chunks

__all__ = ["chunks"]
