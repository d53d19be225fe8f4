"""What a report page is drawn with beyond paragraphs: Thai digits for reading (never in codes),
canvas text shaped like paragraph text, table styles, check boxes, a table kept with what must
follow it, markup scaled to fit a width, and the PDF written whole or not at all."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reportlab.graphics.shapes import Drawing, PolyLine, Rect
from reportlab.lib import colors
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Paragraph,
    Table,
    TableStyle,
)

from fieldapp.reports.look import FONT, INK, MUTED
from fieldapp.reports.text import shape, text_width
from fieldapp.thai import to_thai_digits

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_/.,:]*")


def _is_code(token: str) -> bool:
    """A code or identifier: letters with digits (3D37766A, YST-0108-0042, 1-1037-xxxxx-xx-2),
    or a long digit string (national ID, phone, house registration, village code)."""
    if any(c.isascii() and c.isalpha() for c in token):
        return True
    digits = sum(c.isdigit() for c in token)
    if digits >= 6 and set(token) <= set("0123456789-"):
        return True
    return False


def thai_digits_for_reading(text: str) -> str:
    """``text`` with Thai digits in its quantities and dates; codes and identifiers unchanged.

    Household codes (3D37766A), national IDs, phone numbers and other
    identifiers are copied into forms and systems as they are, so they keep
    Arabic digits; amounts, counts, dates and page numbers are for reading.
    """
    return _TOKEN.sub(lambda m: m.group(0) if _is_code(m.group(0)) else to_thai_digits(m.group(0)), text)


class WithTableTail(Flowable):
    """A long table and what must follow it on the same page (signatures, credits).

    The table splits across pages as usual, but never so that the flowables
    after it start a page alone: at least :attr:`keep_rows` of its last rows
    (more when they fit) go to the page the tail is on.
    """

    keep_rows = 3

    def __init__(self, table: Table, tail: list[Flowable]) -> None:
        super().__init__()
        self.table = table
        self.tail = tail
        self._sizes: list[tuple[float, float]] = []
        self._table_height = 0.0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        _, self._table_height = self.table.wrapOn(self.canv, avail_width, avail_height)
        self._sizes = [f.wrapOn(self.canv, avail_width, avail_height) for f in self.tail]
        tail = sum(
            h + f.getSpaceBefore() + f.getSpaceAfter()
            for f, (_, h) in zip(self.tail, self._sizes, strict=True)
        )
        self.height = self._table_height + tail
        return avail_width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        self.wrap(avail_width, avail_height)
        t = self.table
        heights = list(t._rowHeights)
        rows_here, used = 0, 0.0
        for h in heights:
            if used + h > avail_height + 1e-6:
                break
            used += h
            rows_here += 1
        keep = min(self.keep_rows, len(heights) - t.repeatRows - 1)
        fits = rows_here
        rows_here = min(rows_here, len(heights) - keep)
        if rows_here <= t.repeatRows:
            return []  # not even one body row fits: all of it goes to the next page
        parts = t.split(avail_width, sum(heights[:rows_here]) + 1e-3)
        if len(parts) != 2:
            return []
        if rows_here < fits:  # rows held back for the tail go to the next page, not below
            return [parts[0], CondPageBreak(avail_height), WithTableTail(parts[1], self.tail)]
        return [parts[0], WithTableTail(parts[1], self.tail)]

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:
        top = y + self.height
        tw, _ = self.table.wrapOn(canvas, self.width, self._table_height)
        top -= self._table_height
        self.table.drawOn(canvas, x, top, _sW=self.width - tw)
        for f, (w, h) in zip(self.tail, self._sizes, strict=True):
            top -= f.getSpaceBefore() + h
            f.drawOn(canvas, x, top, _sW=self.width - w)
            top -= f.getSpaceAfter()


_SIZE = re.compile(r'size="([0-9.]+)"')


def scale_sizes(markup: str, factor: float) -> str:
    """``markup`` with its explicit font sizes (second lines in a cell) scaled by ``factor``.

    The break points' tiny size is left alone.
    """

    def scaled(m: re.Match[str]) -> str:
        size = float(m.group(1))
        return m.group(0) if size < 1 else f'size="{size * factor:.2f}"'

    return _SIZE.sub(scaled, markup)


def overshoot(p: Paragraph, width: float) -> float:
    """How many points the widest line of ``p`` laid out at ``width`` sticks out (0 when none)."""
    p.wrap(width, 1e6)
    over = 0.0
    for line in p.blPara.lines:
        extra = line.extraSpace if hasattr(line, "extraSpace") else line[0]
        over = max(over, -float(extra))
    return over


def widths_of(fractions: Sequence[float], total: float) -> list[float]:
    s = sum(fractions)
    return [total * f / s for f in fractions]


def write_pdf_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def draw_text(
    canv: Canvas,
    x: float,
    y: float,
    text: str,
    *,
    font: str = FONT,
    size: float = 9,
    anchor: str = "start",
    max_width: float | None = None,
    color: colors.Color = MUTED,
) -> float:
    """Draw HarfBuzz-shaped text on a canvas; return its width.

    ``anchor`` is start, middle or end. Text wider than ``max_width`` is
    drawn smaller (down to 6.5 pt).
    """
    shaped = shape(text, font, size)
    w = text_width(shaped, font, size)
    if max_width and w > max_width and size > 6.5:
        size = max(6.5, size * max_width / w)
        shaped = shape(text, font, size)
        w = text_width(shaped, font, size)
    canv.setFont(font, size)
    canv.setFillColor(color)
    if anchor == "end":
        x -= w
    elif anchor == "middle":
        x -= w / 2
    canv.drawString(x, y, shaped)
    return w


def table_style(commands: Sequence[tuple[Any, ...]]) -> TableStyle:
    """A TableStyle whose cells default to Sarabun (reportlab's default is Helvetica)."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), *commands])


def checkbox(checked: bool, size: float = 8.5, color: colors.Color = INK) -> Drawing:
    """A small drawn checkbox (Sarabun has no ballot-box glyphs)."""
    d = Drawing(size + 1, size + 1, initialFontName="Sarabun")
    d.add(Rect(0.5, 0.5, size, size, strokeColor=color, strokeWidth=0.7, fillColor=None))
    if checked:
        d.add(
            PolyLine(
                [0.5 + size * f for f in (0.2, 0.5, 0.42, 0.22, 0.82, 0.82)],
                strokeColor=color,
                strokeWidth=1.2,
            )
        )
    return d
