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

The parts: this module (:class:`ReportBase`, the page count); :mod:`fieldapp.reports.look`
(fonts, colours, looks, styles, cell padding); :mod:`fieldapp.reports.drawing` (canvas text,
check boxes, table styles, Thai digits, fitting). Their public names are exported here too.
"""

from __future__ import annotations

import abc
import io
import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import IO, Any, TypeAlias

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
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
)

from fieldapp.errors import ValidationError
from fieldapp.reports import copyout
from fieldapp.reports.data import PhotoSource, ReportMeta
from fieldapp.reports.drawing import (
    WithTableTail,
    checkbox,
    draw_text,
    overshoot,
    scale_sizes,
    table_style,
    thai_digits_for_reading,
    widths_of,
    write_pdf_atomic,
)
from fieldapp.reports.look import (
    ACCENT,
    CELL_PADDING,
    DASH,
    FONT,
    FONT_BOLD,
    FONT_BOLD_ITALIC,
    FONT_ITALIC,
    HEAD_FILL,
    INK,
    LOOKS,
    MIN_CELL_SIZE,
    MUTED,
    NBSP,
    PAGE_SIZE,
    REPORT_STYLES,
    RULE,
    RULE_CLEARANCE,
    WARN,
    ZEBRA_FILL,
    Look,
    cell_padding,
    make_styles,
    register_fonts,
    stack_extents,
)
from fieldapp.reports.text import breakable_markup, plain_markup, shape, text_width
from fieldapp.thai import format_national_id, mask_national_id
from fieldapp.thaidate import format_date

__all__ = [  # the base, and the look and drawing names every report uses, in one place
    "ACCENT",
    "CELL_PADDING",
    "DASH",
    "FONT",
    "FONT_BOLD",
    "FONT_BOLD_ITALIC",
    "FONT_ITALIC",
    "HEAD_FILL",
    "INK",
    "LOOKS",
    "MIN_CELL_SIZE",
    "MUTED",
    "NBSP",
    "PAGE_SIZE",
    "REPORT_STYLES",
    "RULE",
    "RULE_CLEARANCE",
    "WARN",
    "ZEBRA_FILL",
    "Cell",
    "Look",
    "Output",
    "ReportBase",
    "ReportDataError",
    "cell_padding",
    "checkbox",
    "draw_text",
    "make_styles",
    "register_fonts",
    "stack_extents",
    "table_style",
    "thai_digits_for_reading",
]

Cell: TypeAlias = "str | Flowable | None"
"""A table cell: text (made into a shaped, word-breaking Paragraph) or a ready flowable."""


class ReportDataError(ValidationError):
    """The report data cannot make a report (no household code, an empty area, …)."""


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
            over = overshoot(cell, width)
            if over <= 0:
                return cell
            st = cell.style
            if st.fontSize <= MIN_CELL_SIZE:
                return cell
            size = max(MIN_CELL_SIZE, st.fontSize * (width / (width + over)) - 0.05)
            style = ParagraphStyle(f"{st.name}_{size:.2f}", parent=st, fontSize=size)
            cell = Paragraph(scale_sizes(cell.text, size / st.fontSize), style)
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
        col_widths = widths_of(widths, width or self.width)
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
        col_widths = widths_of([label_width, value_width] * columns, width)
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
            colWidths=widths_of([split, 1.0 - split], self.width),
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
        table, its last rows go with the signatures (:class:`WithTableTail`).
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
                return [*story[: start - 1], WithTableTail(before, flat)]
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
            write_pdf_atomic(Path(out), pdf)
        else:
            out.write(pdf)
        return None
