"""Import from and export to spreadsheets (XLSX, CSV) and GeoJSON. See docs/exchange.md."""

from fieldapp.exchange.exporter import FORMATS, ExportResult, export
from fieldapp.exchange.importer import preview, run_import
from fieldapp.exchange.importreport import ImportReport, RowProblem
from fieldapp.exchange.mapping import Mapping, auto_mapping
from fieldapp.exchange.readers import ENCODINGS, ImportFileError, Workbook, read

__all__ = [
    "ENCODINGS",
    "FORMATS",
    "ExportResult",
    "ImportFileError",
    "ImportReport",
    "Mapping",
    "RowProblem",
    "Workbook",
    "auto_mapping",
    "export",
    "preview",
    "read",
    "run_import",
]
