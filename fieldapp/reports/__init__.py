"""Thai PDF case reports: household, local business and area case study, and the record report
of any form (``record``: an installed XLSForm's records too).

Renderers take plain data (:mod:`fieldapp.reports.data`), never a database
handle, and write an A4 PDF in Sarabun with HarfBuzz-shaped Thai, lines
broken between words, Buddhist-era dates and "หน้า X จาก Y" footers.

Each ``render_*`` function writes the PDF to ``out`` (a path or a binary
file object) and returns the number of pages. National IDs are masked
unless ``unmask=True``; ``thai_digits=True`` prints quantities and dates in Thai
digits. ``style`` is ``"official"`` (the default: the conventions of Thai
government documents, for printing and filing) or ``"screen"`` (the lighter
look for reading on a screen). Bad data raises :class:`ReportDataError` and
writes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

from fieldapp.errors import disk_full, is_disk_full
from fieldapp.reports.area import AreaReportRenderer
from fieldapp.reports.base import REPORT_STYLES, Output, ReportBase, ReportDataError
from fieldapp.reports.business import BusinessReportRenderer
from fieldapp.reports.data import AreaReport, BusinessReport, HouseholdReport
from fieldapp.reports.household import HouseholdReportRenderer
from fieldapp.reports.record import RecordReport, RecordReportRenderer
from fieldapp.reports.visits import VisitsReport, VisitsReportRenderer

__all__ = [
    "REPORT_STYLES",
    "AreaReportRenderer",
    "BusinessReportRenderer",
    "HouseholdReportRenderer",
    "RecordReportRenderer",
    "ReportBase",
    "ReportDataError",
    "VisitsReportRenderer",
    "render_area",
    "render_business",
    "render_household",
    "render_record",
    "render_visits",
]


def _write(renderer: ReportBase, out: Output) -> int:
    if out is None:
        raise TypeError("out must be a file path or a binary file object")
    try:  # a path is written through a temporary file (ReportBase.render)
        renderer.render(out)
    except OSError as exc:
        if is_disk_full(exc):
            name = Path(out).name if isinstance(out, (str, os.PathLike)) else "PDF"
            raise disk_full("บันทึกรายงาน", f"the report {name}") from exc
        raise
    return renderer.page_count


def render_household(
    data: HouseholdReport,
    out: Output,
    *,
    unmask: bool = False,
    thai_digits: bool = False,
    style: str = "official",
) -> int:
    """Write the household case report to ``out``; return its page count."""
    return _write(HouseholdReportRenderer(data, unmask=unmask, thai_digits=thai_digits, style=style), out)


def render_business(
    data: BusinessReport,
    out: Output,
    *,
    unmask: bool = False,
    thai_digits: bool = False,
    style: str = "official",
) -> int:
    """Write the local-business report to ``out``; return its page count."""
    return _write(BusinessReportRenderer(data, unmask=unmask, thai_digits=thai_digits, style=style), out)


def render_area(
    data: AreaReport,
    out: Output,
    *,
    unmask: bool = False,
    thai_digits: bool = False,
    style: str = "official",
) -> int:
    """Write the area case study to ``out``; return its page count.

    The area report prints no national IDs; ``unmask`` is accepted for a
    uniform call signature.
    """
    return _write(AreaReportRenderer(data, unmask=unmask, thai_digits=thai_digits, style=style), out)


def render_record(
    data: RecordReport,
    out: Output,
    *,
    unmask: bool = False,
    thai_digits: bool = False,
    style: str = "official",
) -> int:
    """Write the record report of any form's record to ``out``; return its page count."""
    return _write(RecordReportRenderer(data, unmask=unmask, thai_digits=thai_digits, style=style), out)


def render_visits(
    data: VisitsReport,
    out: Output,
    *,
    unmask: bool = False,
    thai_digits: bool = False,
    style: str = "official",
) -> int:
    """Write the visits-due sheet (per village, a blank column for the outcome) to ``out``; return
    its page count. It prints no national IDs; ``unmask`` is accepted for a uniform call signature."""
    return _write(VisitsReportRenderer(data, unmask=unmask, thai_digits=thai_digits, style=style), out)
