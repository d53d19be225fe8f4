"""The report base: page, fonts, styles, header and footer, Thai-safe text and tables.

Each report is a subclass of :class:`ReportBase` that only builds its story
(a list of flowables) from plain data; the base owns everything a printed
page has in common:

* A4 portrait in one of two looks (:data:`LOOKS`): ``official`` (Thai
  government document conventions, the default) or ``screen``; the bundled
  Sarabun family (regular, bold, italic, bold italic) embedded in the PDF,
  as fonts whose text copies out as printed (:mod:`fieldapp.reports.copyout`);
* named paragraph styles, all with HarfBuzz shaping and a leading of at
  least 1.5 × the font size (Thai marks above and tails below need it);
* a header with the issuing office and the report title (and "- N -" from
  page 2 in the official look), a footer with "หน้า X จาก Y" and the print
  date in พ.ศ. (pages are counted when the document is saved);
* :meth:`ReportBase.para`, which escapes text and marks the Thai word
  boundaries so lines break between words, never inside one, and keeps a
  number with its unit;
* tables whose padding keeps the tallest and deepest Thai stacks off the
  rules and whose cells fit their text (:meth:`ReportBase.fit`);
* optional Thai digits (๐–๙) for quantities and dates (never codes);
* national IDs masked unless the caller asks for them in full.

Canvas text (header and footer) is shaped with HarfBuzz before it is drawn,
like paragraph text.
"""

from __future__ import annotations

import abc
import io
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import IO, Any, TypeAlias

from reportlab.graphics.shapes import Drawing, PolyLine, Rect
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from fieldapp import resources
from fieldapp.errors import ValidationError
from fieldapp.reports import copyout
from fieldapp.reports.data import PhotoSource, ReportMeta
from fieldapp.reports.text import breakable_markup, plain_markup, shape, text_width
from fieldapp.thai import format_national_id, mask_national_id, to_thai_digits
from fieldapp.thaidate import format_date

FONT = "Sarabun"
FONT_BOLD = "Sarabun-Bold"
FONT_ITALIC = "Sarabun-Italic"
FONT_BOLD_ITALIC = "Sarabun-BoldItalic"

_FONT_FILES = {
    FONT: "Sarabun-Regular.ttf",
    FONT_BOLD: "Sarabun-Bold.ttf",
    FONT_ITALIC: "Sarabun-Italic.ttf",
    FONT_BOLD_ITALIC: "Sarabun-BoldItalic.ttf",
}

PAGE_SIZE = A4

INK = colors.HexColor("#1a1a1a")
ACCENT = colors.HexColor("#1f3864")
MUTED = colors.HexColor("#5a6270")
RULE = colors.HexColor("#8a9bb5")
HEAD_FILL = colors.HexColor("#dde4ee")
ZEBRA_FILL = colors.HexColor("#f4f6f9")
WARN = colors.HexColor("#a8201a")


@dataclass(frozen=True)
class Look:
    """How a report looks on the page: margins, type sizes, colours, page numbers.

    Two looks: ``official`` (the default, for printing and filing) follows the
    conventions of Thai government documents; ``screen`` is the lighter look
    for reading on a screen. See docs/reports.md for the sources.
    """

    name: str
    margins: tuple[float, float, float, float]
    """Left, right, top and bottom margins in points."""
    sizes: dict[str, float]
    """Font size of each paragraph style."""
    ink: colors.Color
    heading: colors.Color
    muted: colors.Color
    rule: colors.Color
    rule_width: float
    field_rule: colors.Color
    head_fill: colors.Color
    zebra_fill: colors.Color | None
    official_page_numbers: bool
    """Page numbers as in official letters ("- 2 -", top centre, from page 2) instead of "หน้า X จาก Y"."""

    @property
    def width(self) -> float:
        return PAGE_SIZE[0] - self.margins[0] - self.margins[1]

    @property
    def frame_height(self) -> float:
        return PAGE_SIZE[1] - self.margins[2] - self.margins[3]


_SCREEN_SIZES = {
    "title": 17, "subject": 13.5, "subtitle": 11.5, "h1": 13, "h2": 11, "body": 10.5, "small": 9,
    "note": 9, "label": 9.5, "value": 10.5, "cell": 9.5, "sign": 10.5, "credit": 8.5,
}  # fmt: skip

_OFFICIAL_SIZES = {
    "title": 16, "subject": 14, "subtitle": 12, "h1": 13.5, "h2": 12, "body": 12, "small": 10.5,
    "note": 10.5, "label": 11, "value": 12, "cell": 10.5, "sign": 12, "credit": 10,
}  # fmt: skip
"""Sarabun at 12 pt is about TH Sarabun New at 16 pt (the body size of official letters);
table cells at 10.5 pt match TH Sarabun New 14 pt."""

LOOKS: dict[str, Look] = {
    "official": Look(
        name="official",
        margins=(30 * mm, 20 * mm, 27 * mm, 20 * mm),
        sizes=_OFFICIAL_SIZES,
        ink=colors.black,
        heading=colors.black,
        muted=colors.HexColor("#333333"),
        rule=colors.HexColor("#707070"),
        rule_width=0.5,
        field_rule=colors.HexColor("#a0a0a0"),
        head_fill=colors.HexColor("#e6e6e6"),
        zebra_fill=None,
        official_page_numbers=True,
    ),
    "screen": Look(
        name="screen",
        margins=(22 * mm, 18 * mm, 27 * mm, 22 * mm),
        sizes=_SCREEN_SIZES,
        ink=INK,
        heading=ACCENT,
        muted=MUTED,
        rule=RULE,
        rule_width=0.4,
        field_rule=colors.HexColor("#c9d2df"),
        head_fill=HEAD_FILL,
        zebra_fill=ZEBRA_FILL,
        official_page_numbers=False,
    ),
}
REPORT_STYLES = tuple(LOOKS)
"""The report styles: ``official`` (default) and ``screen``."""

CELL_PADDING = 3.5
"""Left and right padding of table cells, in points."""

RULE_CLEARANCE = 1.5
"""Points of white left between the highest or lowest Thai mark and the middle of a table rule."""

MIN_CELL_SIZE = 6.5
"""The smallest font size a table cell is shrunk to so that its longest word fits."""

_TALLEST = "ปั้ ฝั่ ฟื้ ผึ้ เอื้ ปิ๋ ฟิ์ ฎุ ฏู ฎู ฏุ ญู ฐุ ฤ ฦ Åg"
"""Clusters that reach furthest up (consonant + upper vowel + tone mark) and down (ฎ ฏ + ุ ู)."""


@cache
def stack_extents(font: str) -> tuple[float, float]:
    """How far Thai stacks reach above and below the baseline, in ems (up, down).

    Measured from the font with HarfBuzz: the highest ink of consonant +
    upper vowel + tone mark and the lowest of ฎ ฏ with a lower vowel.
    """
    register_fonts()
    shaped = shape(_TALLEST, font, 1000)
    face = pdfmetrics.getFont(font).face
    hb_font = _hb_font(font)
    up, down = 0.0, 0.0
    for ch, sd in zip(shaped, shaped.__shapeData__, strict=True):  # type: ignore[attr-defined]
        ext = hb_font.get_glyph_extents(face.charToGlyph[ord(ch)])
        scale = 1000 / face.unitsPerEm
        top = (sd.y_offset + ext.y_bearing * scale) / 1000
        bottom = (sd.y_offset + (ext.y_bearing + ext.height) * scale) / 1000
        up, down = max(up, top), max(down, -bottom)
    return up, down


@cache
def _hb_font(font: str) -> Any:
    import uharfbuzz

    blob = uharfbuzz.Blob.from_file_path(str(resources.fonts_dir() / _FONT_FILES[font]))
    return uharfbuzz.Font(uharfbuzz.Face(blob))


def cell_padding(size: float, leading: float) -> tuple[float, float]:
    """Top and bottom cell padding that keep the tallest and deepest Thai stacks off the rules.

    reportlab puts a paragraph's first baseline one font size below its top
    and its last line ends ``leading - size`` below the last baseline; the
    marks reach :func:`stack_extents` beyond the baseline.
    """
    up = max(stack_extents(FONT)[0], stack_extents(FONT_BOLD)[0])
    down = max(stack_extents(FONT)[1], stack_extents(FONT_BOLD)[1])
    top = max(0.0, (up - 1.0) * size) + RULE_CLEARANCE
    bottom = max(0.0, down * size - (leading - size)) + RULE_CLEARANCE
    return round(top, 2), round(bottom, 2)


NBSP = "\u00a0"

DASH = "–"
"""Printed where a value is missing."""

Cell: TypeAlias = "str | Flowable | None"
"""A table cell: text (made into a shaped, word-breaking Paragraph) or a ready flowable."""


class ReportDataError(ValidationError):
    """The report data cannot make a report (no household code, an empty area, …)."""


_registered = False


def register_fonts() -> None:
    """Register the bundled Sarabun fonts as one family (safe to call again).

    They are :class:`~fieldapp.reports.copyout.CopyOutTTFont` s, so shaped text
    copies out as it was printed; the break-point font between Thai words is
    the regular face with a space that copies out as nothing.
    """
    global _registered
    if _registered:
        return
    folder = resources.fonts_dir()
    for name, filename in _FONT_FILES.items():
        path = folder / filename
        if not path.is_file():
            raise FileNotFoundError(f"font file missing: {path}")
        pdfmetrics.registerFont(copyout.CopyOutTTFont(name, str(path)))
    regular = str(folder / _FONT_FILES[FONT])
    pdfmetrics.registerFont(copyout.CopyOutTTFont(copyout.BREAK_FONT, regular, blank_space=True))
    copyout.install()
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=FONT_BOLD_ITALIC
    )
    _registered = True


def _style(name: str, size: float, *, font: str = FONT, ink: colors.Color = INK, **kw: Any) -> ParagraphStyle:
    leading = kw.pop("leading", round(size * 1.55, 1))
    if leading < size * 1.5:
        raise ValueError(f"style {name}: Thai needs a leading of at least 1.5 × the font size")
    kw.setdefault("textColor", ink)
    return ParagraphStyle(
        name,
        fontName=font,
        fontSize=size,
        leading=leading,
        bulletFontName=FONT,
        shaping=1,
        splitLongWords=0,
        allowWidows=0,
        **kw,
    )


def make_styles(look: Look | str = "official") -> dict[str, ParagraphStyle]:
    """The named paragraph styles every report uses, in ``look``'s sizes and colours."""
    lk = LOOKS[look] if isinstance(look, str) else look
    z, ink, muted, head = lk.sizes, lk.ink, lk.muted, lk.heading
    cell = z["cell"]
    return {
        "title": _style("title", z["title"], font=FONT_BOLD, alignment=TA_CENTER, textColor=head),
        "subject": _style("subject", z["subject"], font=FONT_BOLD, alignment=TA_CENTER, ink=ink),
        "subtitle": _style("subtitle", z["subtitle"], alignment=TA_CENTER, textColor=muted),
        "h1": _style("h1", z["h1"], font=FONT_BOLD, textColor=head, spaceBefore=9, spaceAfter=3),
        "h2": _style("h2", z["h2"], font=FONT_BOLD, spaceBefore=5, spaceAfter=2, ink=ink),
        "body": _style("body", z["body"], alignment=TA_LEFT, ink=ink),
        "body_bold": _style("body_bold", z["body"], font=FONT_BOLD, ink=ink),
        "small": _style("small", z["small"], textColor=muted),
        "note": _style("note", z["note"], font=FONT_ITALIC, textColor=muted),
        "label": _style("label", z["label"], textColor=muted),
        "value": _style("value", z["value"], ink=ink),
        "cell": _style("cell", cell, ink=ink),
        "cell_right": _style("cell_right", cell, alignment=TA_RIGHT, ink=ink),
        "cell_center": _style("cell_center", cell, alignment=TA_CENTER, ink=ink),
        "cell_bold": _style("cell_bold", cell, font=FONT_BOLD, ink=ink),
        "cell_bold_right": _style("cell_bold_right", cell, font=FONT_BOLD, alignment=TA_RIGHT, ink=ink),
        "cell_bold_center": _style("cell_bold_center", cell, font=FONT_BOLD, alignment=TA_CENTER, ink=ink),
        "cell_head": _style("cell_head", cell, font=FONT_BOLD, alignment=TA_CENTER, ink=ink),
        "cell_warn": _style("cell_warn", cell, font=FONT_BOLD, textColor=WARN),
        "sign": _style("sign", z["sign"], alignment=TA_CENTER, ink=ink),
        "credit": _style("credit", z["credit"], textColor=muted),
    }


Output = str | os.PathLike[str] | IO[bytes] | None


class _NumberedCanvas(Canvas):
    """A canvas that holds pages back until the end, so the footer knows the page count."""

    def __init__(self, *args: Any, report: ReportBase, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._report = report
        self._pages: list[dict[str, Any]] = []

    def beginText(self, x: float = 0, y: float = 0, direction: Any = None) -> copyout.CopyOutTextObject:
        return copyout.CopyOutTextObject(self, x, y, direction=direction)

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._report.draw_footer(self, number, total)
            super().showPage()
        self._report.page_count = total
        super().save()


class ReportBase(abc.ABC):
    """Base of every PDF report; subclasses implement :meth:`story`."""

    title: str = ""
    """Report title, in the page header and the PDF metadata."""
    footer_note: str = ""
    """A line at the bottom of every page, e.g. a personal-data notice."""

    def __init__(
        self,
        meta: ReportMeta | None = None,
        *,
        unmask: bool = False,
        thai_digits: bool = False,
        style: str = "official",
    ) -> None:
        register_fonts()
        if style not in LOOKS:
            raise ReportDataError(
                f"รูปแบบรายงานไม่ถูกต้อง: {style} (ใช้ได้: {', '.join(REPORT_STYLES)})",
                message_en=f"unknown report style {style!r} (use {', '.join(REPORT_STYLES)})",
                code="report.bad_style",
            )
        self.meta = meta or ReportMeta()
        self.unmask = unmask
        self.thai_digits = thai_digits
        self.look = LOOKS[style]
        self.printed_on: date = self.meta.printed_on or date.today()
        self.styles = make_styles(self.look)
        self.page_count = 0
        self.width = self.look.width

    # ------------------------------------------------------------------ to implement

    @abc.abstractmethod
    def story(self) -> list[Flowable]:
        """The report's flowables, in order."""

    @property
    def subject(self) -> str:
        """What the report is about (household code, business name, area)."""
        return ""

    @property
    def header_title(self) -> str:
        """The title in the page header: the report title and a short subject."""
        subject = self.subject
        if subject and len(subject) <= 24:
            return f"{self.title} · {subject}"
        return self.title

    # ------------------------------------------------------------------ text

    def digits(self, text: str) -> str:
        """``text`` with Thai digits for its quantities and dates when the report prints them.

        Codes and identifiers keep their digits (:func:`thai_digits_for_reading`).
        """
        return thai_digits_for_reading(text) if self.thai_digits else text

    def markup(self, text: str | None) -> str:
        """Paragraph markup for plain ``text``: escaped, Thai word breaks marked."""
        if text is None or text == "":
            return ""
        return breakable_markup(self.digits(str(text)))

    def para(self, text: str | None, style: str = "body") -> Paragraph:
        """A Paragraph of plain text (escaped; lines break between Thai words)."""
        return Paragraph(self.markup(text) or DASH, self.styles[style])

    def name(self, text: str | None, style: str = "cell") -> Paragraph:
        """A person's or place's name: it wraps at its spaces.

        In a table cell too narrow for its longest part it also wraps between
        Thai words, and only then is set smaller (:meth:`fit`).
        """
        p = Paragraph(plain_markup(self.digits(text)) if text else DASH, self.styles[style])
        p._name_text = self.digits(text) if text else None
        return p

    def para_markup(self, markup: str, style: str = "body") -> Paragraph:
        """A Paragraph of ready markup (build the pieces with :meth:`markup`)."""
        return Paragraph(markup, self.styles[style])

    def labelled(self, label: str, value: str | None, style: str = "body") -> Paragraph:
        """``label`` in bold followed by ``value``."""
        return self.para_markup(f"<b>{self.markup(label)}</b> {self.markup(value) or DASH}", style)

    # ------------------------------------------------------------------ values

    def number(self, value: float | int | None, decimals: int = 0) -> str:
        if value is None:
            return DASH
        return self.digits(f"{value:,.{decimals}f}")

    def money(self, value: float | None) -> str:
        """Baht with thousands separators; satang only when there are any. A negative amount (net
        farm income, business profit) is a loss and prints as ขาดทุน 5,000."""
        if value is None:
            return DASH
        decimals = 0 if abs(value - round(value)) < 0.005 else 2
        if value < 0 and round(value, decimals) != 0:
            return f"ขาดทุน {self.number(-value, decimals)}"
        return self.number(abs(value) if round(value, decimals) == 0 else value, decimals)

    def score(self, value: float | None) -> str:
        return self.number(value, 2)

    def percent(self, part: float, whole: float, decimals: int = 1) -> str:
        if not whole:
            return DASH
        return self.number(100.0 * part / whole, decimals)

    def date(self, value: date | None, style: str = "medium") -> str:
        if value is None:
            return DASH
        # No-break spaces: a date is never split across two lines.
        return format_date(value, style, thai_digits=self.thai_digits).replace(" ", NBSP)

    def yes_no(self, value: bool | None, yes: str = "มี", no: str = "ไม่มี") -> str:
        if value is None:
            return DASH
        return yes if value else no

    def national_id(self, value: str | None) -> str:
        """A national ID, masked (``1-1037-xxxxx-xx-2``) unless the report is unmasked."""
        if not value:
            return DASH
        try:
            shown = format_national_id(value) if self.unmask else mask_national_id(value)
        except ValidationError:
            shown = value if self.unmask else "x" * len(value)
        return self.digits(shown)

    def join(self, items: Sequence[str], sep: str = ", ") -> str:
        shown = [i for i in items if i]
        return sep.join(shown) if shown else DASH

    # ------------------------------------------------------------------ blocks

    def heading(self, text: str, level: int = 1) -> Paragraph:
        return self.para(text, "h1" if level == 1 else "h2")

    def section(self, title: str, body: Sequence[Flowable]) -> list[Flowable]:
        """A numbered section: its heading never ends a page alone.

        A long table right after the heading may start on the same page and
        continue on the next (its header row repeats); anything else is kept
        on one page with the heading.
        """
        heading = self.heading(title)
        first = body[0] if body else None
        if isinstance(first, Table) and first._nrows > 8:
            return [CondPageBreak(45 * mm), heading, *body]
        return [KeepTogether([heading, *body[:1]]), *body[1:]]

    def title_block(self, subject: str | Flowable = "", subtitle: str | Flowable = "") -> list[Flowable]:
        """The first page's centred title: report title, subject line, subtitle line."""
        out: list[Flowable] = [self.para(self.title, "title")]
        if isinstance(subject, Flowable):
            out.append(subject)
        elif subject:
            out.append(self.para(subject, "subject"))
        if isinstance(subtitle, Flowable):
            out.append(subtitle)
        elif subtitle:
            out.append(self.para(subtitle, "subtitle"))
        out.append(Spacer(1, 4 * mm))
        return out

    def fitted(self, text: str, width: float, style: str = "cell") -> Paragraph:
        """``text`` on one line: set smaller (down to 6.5 pt) when it is wider than ``width``."""
        st = self.styles[style]
        w = text_width(shape(text, st.fontName, st.fontSize), st.fontName, st.fontSize)
        if w > width:
            size = max(6.5, st.fontSize * width / w)
            st = ParagraphStyle(f"{st.name}_fit", parent=st, fontSize=size)
        return Paragraph(plain_markup(text), st)

    def fit(self, cell: Flowable | str, width: float) -> Flowable | str:
        """``cell`` made to fit ``width``: every line no wider than the cell.

        Lines already break between words. A name (:meth:`name`) whose longest
        part is wider than ``width`` may also break between Thai words; a word
        still wider than ``width`` is set smaller (down to
        :data:`MIN_CELL_SIZE`), never cut.
        """
        if not isinstance(cell, Paragraph):
            return cell
        if cell.minWidth() < width * 0.97:
            return cell
        source = getattr(cell, "_name_text", None)
        if source:
            cell = Paragraph(breakable_markup(source), cell.style)
        for _ in range(4):
            over = _overshoot(cell, width)
            if over <= 0:
                return cell
            st = cell.style
            if st.fontSize <= MIN_CELL_SIZE:
                return cell
            size = max(MIN_CELL_SIZE, st.fontSize * (width / (width + over)) - 0.05)
            style = ParagraphStyle(f"{st.name}_{size:.2f}", parent=st, fontSize=size)
            cell = Paragraph(_scale_sizes(cell.text, size / st.fontSize), style)
        return cell

    def cell(self, value: Cell, style: str = "cell") -> Flowable:
        if isinstance(value, Flowable):
            return value
        return self.para(value if value not in (None, "") else DASH, style)

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[Cell]],
        widths: Sequence[float],
        *,
        align: str = "",
        total: Sequence[Cell] | None = None,
        zebra: bool = True,
        empty: str = "ไม่มีข้อมูล",
        width: float | None = None,
        one_line: Sequence[int] = (),
    ) -> Flowable:
        """A ruled table with a repeated header row.

        ``widths`` are fractions of the text width; ``align`` has one letter
        per column (``L``, ``R`` or ``C``, default ``L``). String cells become
        Paragraphs, since reportlab does not shape plain table strings.
        ``width`` is the table's width (default: the text width). Text in the
        ``one_line`` columns (codes, ID numbers) is never wrapped: it is set
        smaller when it would not fit.
        """
        if not rows:
            return self.para(empty, "note")
        col_widths = _widths(widths, width or self.width)
        styles = {"L": "cell", "R": "cell_right", "C": "cell_center"}
        aligns = (align or "").ljust(len(col_widths), "L")
        data: list[list[Flowable | str]] = [[self.cell(h, "cell_head") if h else "" for h in header]]
        for row in rows:
            cells: list[Flowable | str] = []
            for i, v in enumerate(row):
                style = styles[aligns[i]]
                if i in one_line and isinstance(v, str) and v:
                    cells.append(self.fitted(v, col_widths[i] - 2 * CELL_PADDING, style))
                else:
                    cells.append(self.cell(v, style))
            data.append(cells)
        if total is not None:
            bold = {"L": "cell_bold", "R": "cell_bold_right", "C": "cell_bold_center"}
            data.append([self.cell(v, bold[aligns[i]]) if v else "" for i, v in enumerate(total)])
        data = [
            [self.fit(v, w - 2 * CELL_PADDING) for v, w in zip(row, col_widths, strict=False)] for row in data
        ]
        cell_style = self.styles["cell"]
        top, bottom = cell_padding(cell_style.fontSize, cell_style.leading)
        commands: list[tuple[Any, ...]] = [
            ("GRID", (0, 0), (-1, -1), self.look.rule_width, self.look.rule),
            ("BACKGROUND", (0, 0), (-1, 0), self.look.head_fill),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), top),
            ("BOTTOMPADDING", (0, 0), (-1, -1), bottom),
            ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ]
        if zebra and self.look.zebra_fill is not None:
            for r in range(2, len(rows) + 1, 2):
                commands.append(("BACKGROUND", (0, r), (-1, r), self.look.zebra_fill))
        if total is not None:
            commands.append(("BACKGROUND", (0, -1), (-1, -1), self.look.head_fill))
        t = Table(data, colWidths=col_widths, repeatRows=1, hAlign="LEFT", spaceAfter=self.rule_gap())
        t.setStyle(table_style(commands))
        return t

    def rule_gap(self) -> float:
        """Space after a ruled table, so the marks of the line below stay off its last rule."""
        up = max(stack_extents(FONT)[0], stack_extents(FONT_BOLD)[0])
        size = max(st.fontSize for st in self.styles.values() if st.name not in ("title", "subject"))
        return round((up - 1.0) * size + RULE_CLEARANCE, 2)

    def fields(
        self,
        pairs: Sequence[tuple[str, Cell]],
        *,
        columns: int = 2,
        label_width: float = 0.17,
        width: float | None = None,
    ) -> Flowable:
        """Label/value pairs laid out in ``columns`` column pairs, lightly ruled."""
        width = width or self.width
        rows: list[list[Flowable | str]] = []
        for i in range(0, len(pairs), columns):
            row: list[Flowable | str] = []
            for label, value in pairs[i : i + columns]:
                row += [self.para(label, "label"), self.cell(value, "value")]
            row += [""] * (2 * columns - len(row))
            rows.append(row)
        value_width = (1.0 - columns * label_width) / columns
        col_widths = _widths([label_width, value_width] * columns, width)
        rows = [[self.fit(v, w - 6) for v, w in zip(row, col_widths, strict=False)] for row in rows]
        value_style = self.styles["value"]
        top, bottom = cell_padding(value_style.fontSize, value_style.leading)
        t = Table(rows, colWidths=col_widths, hAlign="LEFT", spaceAfter=self.rule_gap())
        t.setStyle(
            table_style(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.3, self.look.field_rule),
                    ("TOPPADDING", (0, 0), (-1, -1), top),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), bottom),
                    ("LEFTPADDING", (0, 0), (-1, -1), 2),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ]
            )
        )
        return t

    def bullets(self, items: Sequence[str], style: str = "body") -> list[Flowable]:
        """One paragraph per item, with a bullet."""
        st = self.styles[style]
        bullet_style = ParagraphStyle(
            f"{st.name}_bullet", parent=st, leftIndent=12, bulletIndent=2, spaceAfter=1
        )
        return [Paragraph(self.markup(item), bullet_style, bulletText="•") for item in items if item]

    def side_by_side(
        self, left: Flowable | list[Flowable], right: Flowable | list[Flowable], split: float
    ) -> Table:
        """Two blocks next to each other; ``split`` is the left block's share of the width."""
        t = Table(
            [[left, right]],
            colWidths=_widths([split, 1.0 - split], self.width),
            hAlign="LEFT",
            spaceAfter=self.rule_gap(),  # either side may end in a ruled table
        )
        t.setStyle(
            table_style(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (0, -1), 6),
                    ("RIGHTPADDING", (1, 0), (1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 0),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        return t

    def photo(
        self, source: PhotoSource, max_width: float, max_height: float, caption: str = ""
    ) -> list[Flowable]:
        """A photo scaled to fit the box, or a note when it cannot be read."""
        try:
            data = io.BytesIO(source) if isinstance(source, bytes) else str(source)
            reader = ImageReader(data)
            iw, ih = reader.getSize()
            scale = min(max_width / iw, max_height / ih)
            if isinstance(source, bytes):
                data = io.BytesIO(source)
            img = Image(data, width=iw * scale, height=ih * scale)
        except Exception:
            return [self.para("(ไม่สามารถแสดงภาพถ่ายได้)", "note")]
        out: list[Flowable] = [img]
        if caption:
            out.append(self.para(caption, "note"))
        return out

    def signatures(self, roles: Sequence[tuple[str, str]]) -> Flowable:
        """Signature blocks: (role, name) pairs side by side, Thai-form style."""
        dots = "." * 42
        cells: list[list[Flowable]] = []
        for role, name in roles:
            block = [
                self.para(f"ลงชื่อ {dots}", "sign"),
                self.para(f"( {name} )" if name else f"( {dots} )", "sign"),
                self.para(role, "sign"),
                self.para("วันที่ ......../......../........", "sign"),
            ]
            cells.append(block)
        n = len(cells)
        t = Table([cells], colWidths=[self.width / n] * n, hAlign="CENTER")
        t.setStyle(
            table_style(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 2),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        block = KeepTogether([Spacer(1, 10 * mm), t])
        block._signatures = True
        return block

    def credits(self) -> list[Flowable]:
        if not self.meta.credits:
            return []
        return [Spacer(1, 4 * mm)] + [self.para(c, "credit") for c in self.meta.credits]

    # ------------------------------------------------------------------ page furniture

    def canvas_text(
        self,
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
        """:func:`draw_text` with the report's digits."""
        return draw_text(
            canv,
            x,
            y,
            self.digits(text),
            font=font,
            size=size,
            anchor=anchor,
            max_width=max_width,
            color=color,
        )

    @property
    def office(self) -> str:
        """The issuing office in the page header: office and province from the settings, else the agency."""
        office, province = self.meta.office.strip(), self.meta.province.strip()
        if not office:
            return self.meta.agency
        if province and province not in office:
            office = f"{office} จังหวัด{province.removeprefix('จังหวัด')}"
        return office

    def draw_header(self, canv: Canvas, doc: Any) -> None:
        """Office and report title above a rule; official pages also carry "- N -" from page 2."""
        lk = self.look
        pw, ph = PAGE_SIZE
        left, right = lk.margins[0], pw - lk.margins[1]
        y = ph - 18 * mm if lk.official_page_numbers else ph - 14 * mm
        canv.saveState()
        page = canv.getPageNumber()
        if lk.official_page_numbers and page > 1:
            self.canvas_text(
                canv,
                pw / 2,
                ph - 11 * mm,
                f"- {page} -",
                size=lk.sizes["body"],
                anchor="middle",
                color=lk.ink,
            )
        size = 9.5 if lk.official_page_numbers else 9
        tw = self.canvas_text(
            canv,
            right,
            y,
            self.header_title,
            font=FONT_BOLD,
            size=size,
            anchor="end",
            max_width=self.width * 0.5,
            color=lk.heading,
        )
        office_font = FONT_BOLD if lk.official_page_numbers else FONT
        office_color = lk.ink if lk.official_page_numbers else lk.muted
        self.canvas_text(
            canv,
            left,
            y,
            self.office,
            font=office_font,
            size=size - 0.5,
            max_width=self.width - tw - 12,
            color=office_color,
        )
        canv.setStrokeColor(lk.rule)
        canv.setLineWidth(0.6)
        canv.line(left, y - 3.2 * mm, right, y - 3.2 * mm)
        canv.restoreState()

    def draw_footer(self, canv: Canvas, page: int, total: int) -> None:
        lk = self.look
        pw, _ = PAGE_SIZE
        left, right = lk.margins[0], pw - lk.margins[1]
        y = 10 * mm if lk.official_page_numbers else 11 * mm
        canv.saveState()
        canv.setStrokeColor(lk.rule)
        canv.setLineWidth(0.5)
        canv.line(left, y + 4.2 * mm, right, y + 4.2 * mm)
        printed = f"พิมพ์เมื่อ {format_date(self.printed_on, 'long')}"
        self.canvas_text(canv, left, y, printed, size=8.5, color=lk.muted)
        # official pages are numbered at the top; the count here shows a filed copy is complete
        self.canvas_text(canv, pw / 2, y, f"หน้า {page} จาก {total}", size=9, anchor="middle", color=lk.ink)
        if self.footer_note:
            width = self.width * 0.36
            self.canvas_text(
                canv, right, y, self.footer_note, size=8, anchor="end", max_width=width, color=lk.muted
            )
        canv.restoreState()

    # ------------------------------------------------------------------ output

    def build(self) -> bytes:
        """Lay out the report and return the PDF bytes; sets :attr:`page_count`."""
        story = self._signed(self.story())
        buf = io.BytesIO()
        doc = BaseDocTemplate(
            buf,
            pagesize=PAGE_SIZE,
            leftMargin=self.look.margins[0],
            rightMargin=self.look.margins[1],
            topMargin=self.look.margins[2],
            bottomMargin=self.look.margins[3],
            title=f"{self.title} {self.subject}".strip(),
            author=self.office,
            subject=self.title,
            creator="fieldapp",
            lang="th-TH",
            displayDocTitle=True,
            # Pages start in Sarabun, so the PDF names no base font it does not embed.
            initialFontName=FONT,
            initialFontSize=10,
            initialLeading=15,
        )

        # no frame padding: the text block starts and ends exactly at the margins
        frame = Frame(
            doc.leftMargin,
            doc.bottomMargin,
            doc.width,
            doc.height,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
            id="body",
        )
        doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self.draw_header)])

        def make_canvas(*args: Any, **kwargs: Any) -> Canvas:
            return _NumberedCanvas(*args, report=self, **kwargs)

        doc.build(story, canvasmaker=make_canvas)
        return buf.getvalue()

    def _signed(self, story: list[Flowable]) -> list[Flowable]:
        """Signature lines never stand alone on a page: the end of the last section goes along.

        The flowables just before the signatures (up to a third of a page: a short last
        section with its heading, or its last lines) are kept on the same page as them,
        and so are the credit lines after them. When the last section ends in a long
        table, its last rows go with the signatures (:class:`_WithTableTail`).
        """
        for i, f in enumerate(story):
            if not getattr(f, "_signatures", False):
                continue
            canv = Canvas(io.BytesIO(), pagesize=PAGE_SIZE)
            start, used = i, 0.0
            while start > 1:
                height = self._height(story[start - 1], canv)
                if used + height > self.look.frame_height / 3:
                    break
                used += height
                start -= 1
            # nested KeepTogethers report a huge height and would force a page break: flatten
            flat: list[Flowable] = []
            for g in [*story[start:i], f, *story[i + 1 :]]:
                flat.extend(g._content if isinstance(g, KeepTogether) else [g])
            before = story[start - 1] if start > 0 else None
            if isinstance(before, Table) and before._nrows > before.repeatRows + 1:
                return [*story[: start - 1], _WithTableTail(before, flat)]
            if start == i:
                return [*story[:i], KeepTogether(flat)]
            return [*story[:start], KeepTogether(flat)]
        return story

    def _height(self, f: Flowable, canv: Canvas) -> float:
        """The height ``f`` takes on a page (KeepTogether reports a huge one to force a split)."""
        if isinstance(f, KeepTogether):
            return sum(self._height(c, canv) for c in f._content)
        _, height = f.wrapOn(canv, self.width, self.look.frame_height)
        return float(height) + f.getSpaceBefore() + f.getSpaceAfter()

    def render(self, out: Output = None) -> bytes | None:
        """Render the report.

        ``out`` is a file path, a binary file object, or ``None`` to get the
        PDF bytes back. A path is written only once the whole PDF is built,
        through a temporary file, so a failure leaves no file behind.
        """
        pdf = self.build()
        if out is None:
            return pdf
        if isinstance(out, (str, os.PathLike)):
            _write_atomic(Path(out), pdf)
        else:
            out.write(pdf)
        return None


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


class _WithTableTail(Flowable):
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
            return [parts[0], CondPageBreak(avail_height), _WithTableTail(parts[1], self.tail)]
        return [parts[0], _WithTableTail(parts[1], self.tail)]

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


def _scale_sizes(markup: str, factor: float) -> str:
    """``markup`` with its explicit font sizes (second lines in a cell) scaled by ``factor``.

    The break points' tiny size is left alone.
    """

    def scaled(m: re.Match[str]) -> str:
        size = float(m.group(1))
        return m.group(0) if size < 1 else f'size="{size * factor:.2f}"'

    return _SIZE.sub(scaled, markup)


def _overshoot(p: Paragraph, width: float) -> float:
    """How many points the widest line of ``p`` laid out at ``width`` sticks out (0 when none)."""
    p.wrap(width, 1e6)
    over = 0.0
    for line in p.blPara.lines:
        extra = line.extraSpace if hasattr(line, "extraSpace") else line[0]
        over = max(over, -float(extra))
    return over


def _widths(fractions: Sequence[float], total: float) -> list[float]:
    s = sum(fractions)
    return [total * f / s for f in fractions]


def _write_atomic(path: Path, data: bytes) -> None:
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
