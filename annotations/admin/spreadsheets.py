"""File formats for the admin's import/export (django-import-export), with the formula rule.

Every cell of a file the admin writes goes through ``exporters._common.neutralise``, the rule
the report CSVs use, so a title such as ``=HYPERLINK(…)`` opens as text in a spreadsheet; a
file read back goes through ``restore``, so an export imported again changes nothing. Admins
name these classes in ``import_formats``/``export_formats``, never ``base_formats``' own (the
security walk in ``tests/test_xss.py`` exports from every admin in every format it offers).
"""

import tablib
from import_export.formats import base_formats

from annotations.exporters._common import neutralise, restore


def _map_cells(dataset: tablib.Dataset, change) -> tablib.Dataset:
    def cell(value):
        # Binary formats may carry numbers and dates as such: only text can be a formula.
        return change(value) if isinstance(value, str) else value

    copy = tablib.Dataset(title=dataset.title)
    if dataset.headers:
        copy.headers = [cell(name) for name in dataset.headers]
    for row in dataset:
        copy.append([cell(value) for value in row])
    return copy


class FormulaSafeFormat:
    """Mixed into a ``base_formats`` class: cells neutralised on export, restored on import."""

    def export_data(self, dataset, **kwargs):
        return super().export_data(_map_cells(dataset, neutralise), **kwargs)

    def create_dataset(self, in_stream, **kwargs):
        return _map_cells(super().create_dataset(in_stream, **kwargs), restore)


class CSV(FormulaSafeFormat, base_formats.CSV):
    pass


class TSV(FormulaSafeFormat, base_formats.TSV):
    pass


class XLSX(FormulaSafeFormat, base_formats.XLSX):
    pass


class XLS(FormulaSafeFormat, base_formats.XLS):
    pass


class ODS(FormulaSafeFormat, base_formats.ODS):
    pass
