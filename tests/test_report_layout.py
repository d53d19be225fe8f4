"""Report layout: marks never touch a table rule, every line fits its cell, signatures keep
company, numbers keep their units, Thai digits leave codes alone, metadata is real.

The geometry is checked twice: from the layout itself (every cell and every line of every
paragraph drawn in it, with the ink of the shaped glyphs measured by HarfBuzz), and on the
page rendered at 300 dpi (no dark pixel next to a table rule).
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pypdf
import pypdfium2 as pdfium
import pytest
import report_samples as samples
from PIL import Image
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Paragraph, Table

from fieldapp.reports import render_area, render_business, render_household
from fieldapp.reports.base import ReportBase, thai_digits_for_reading
from fieldapp.reports.data import NeedyHousehold
from fieldapp.reports.look import _hb_font

LONG_VILLAGE = "บ้านหนองบัวแดงพัฒนาสามัคคีเจริญสุขใหม่"
TALL = ["ที่", "น้ำ", "ผึ้ง", "ฤทธิ์", "ปั้น", "เอื้อม", "ฝั่ง", "ปุ๋ย", "ฎีกา", "ฏุ", "กฎู"]


# ---------------------------------------------------------------------------- layout recording


@dataclass
class Cell:
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in the table's coordinates
    padding: tuple[float, float]  # left, right
    ruled: bool  # the table draws rules (grid or lines below rows)
    grid: bool = False  # rules on all four sides (else only below rows)
    page: int = 0
    ctm: tuple[float, ...] = (1, 0, 0, 1, 0, 0)
    paragraphs: list[tuple[Paragraph, float, float]] = field(default_factory=list)


@contextmanager
def recorded_cells() -> Iterator[list[Cell]]:
    """Every table cell drawn while the block runs, with the paragraphs drawn in it."""
    cells: list[Cell] = []
    stack: list[Cell] = []
    draw_cell = Table._drawCell
    draw_para = Paragraph.drawOn

    def _draw_cell(self: Table, value: Any, style: Any, pos: Any, size: Any) -> Any:
        (x, y), (w, h) = pos, size
        ops = {cmd[0] for cmd in self._linecmds}
        cell = Cell(
            (x, y, x + w, y + h),
            (style.leftPadding, style.rightPadding),
            bool(ops),
            grid=bool(ops & {"GRID", "INNERGRID"}),
            page=len(getattr(self.canv, "_pages", [])),
            ctm=tuple(self.canv._currentMatrix),
        )
        cells.append(cell)
        stack.append(cell)
        try:
            return draw_cell(self, value, style, pos, size)
        finally:
            stack.pop()

    def _draw_para(self: Paragraph, canvas: Any, x: float, y: float, _sW: float = 0) -> Any:
        if stack:
            stack[-1].paragraphs.append((self, x, y))
        return draw_para(self, canvas, x, y, _sW)

    Table._drawCell = _draw_cell  # type: ignore[method-assign]
    Paragraph.drawOn = _draw_para  # type: ignore[method-assign]
    try:
        yield cells
    finally:
        Table._drawCell = draw_cell  # type: ignore[method-assign]
        Paragraph.drawOn = draw_para  # type: ignore[method-assign]


def ink(text: Any, font: str, size: float) -> tuple[float, float]:
    """How far the shaped ``text`` inks above and below its baseline, in points."""
    data = getattr(text, "__shapeData__", None)
    face = pdfmetrics.getFont(font).face
    hb = _hb_font(font) if font in _FONTS else _hb_font("Sarabun")
    up = down = 0.0
    for i, ch in enumerate(str(text)):
        gid = face.charToGlyph.get(ord(ch))
        if gid is None:
            continue
        ext = hb.get_glyph_extents(gid)
        dy = data[i].y_offset if data else 0.0
        top = (dy + ext.y_bearing) * size / 1000
        bottom = (dy + ext.y_bearing + ext.height) * size / 1000
        up, down = max(up, top), max(down, -bottom)
    return up, down


_FONTS = ("Sarabun", "Sarabun-Bold", "Sarabun-Italic", "Sarabun-BoldItalic")


def line_boxes(p: Paragraph, x: float, y: float) -> Iterator[tuple[float, float, float, float, float]]:
    """(x0, x1, ink top, ink bottom, overshoot) of each line of a drawn paragraph."""
    lines = p.blPara.lines
    style = p.style
    avail = p.width - style.leftIndent - style.rightIndent
    first = lines[0]
    first_size = first.fontSize if hasattr(first, "fontSize") else p.blPara.fontSize
    baseline = y + p.height - first_size
    for line in lines:
        if hasattr(line, "words"):
            extra = line.extraSpace
            frags = [
                (f.text, f.fontName, f.fontSize, getattr(f, "rise", 0))
                for f in line.words
                if hasattr(f, "text")
            ]
        else:
            extra = line[0]
            frags = [(w, p.blPara.fontName, p.blPara.fontSize, 0) for w in line[1]]
        top = bottom = 0.0
        for text, font, size, rise in frags:
            if size < 1 or not str(text).strip():
                continue
            up, down = ink(text, font, size)
            top, bottom = max(top, up + rise), max(bottom, down - rise)
        width = avail - extra
        x0 = x + style.leftIndent + {0: 0.0, 1: extra / 2, 2: extra}.get(style.alignment, 0.0)
        yield x0, x0 + width, baseline + top, baseline - bottom, -extra
        baseline -= style.leading


def check_cells(cells: list[Cell]) -> list[str]:
    problems: list[str] = []
    for cell in cells:
        x0, y0, x1, y1 = cell.box
        for p, px, py in cell.paragraphs:
            text = re.sub(r"<[^>]+>", "", p.text)[:40]
            for lx0, lx1, top, bottom, over in line_boxes(p, px, py):
                if over > 0.05:
                    problems.append(f"line {over:.2f} pt wider than its cell: {text!r}")
                if lx0 < x0 - 0.01 or lx1 > x1 + 0.01:
                    problems.append(f"line crosses a column rule: {text!r}")
                if not cell.ruled:
                    continue
                if top > y1 - 0.2:
                    problems.append(f"marks reach the rule above ({top - y1:+.2f} pt): {text!r}")
                if bottom < y0 + 0.2:
                    problems.append(f"tails reach the rule below ({y0 - bottom:+.2f} pt): {text!r}")
    return problems


def tall_household() -> Any:
    d = samples.sample_household()
    members = [replace(m, first_name=TALL[i % len(TALL)] + m.first_name) for i, m in enumerate(d.members)]
    return replace(d, members=members)


def tall_area() -> Any:
    d = samples.sample_area(villages=14, level="district")
    villages = [
        replace(v, village_name=(LONG_VILLAGE if i % 3 == 0 else v.village_name) + TALL[i % len(TALL)])
        for i, v in enumerate(d.villages)
    ]
    return replace(d, villages=villages)


def tall_business() -> Any:
    d = samples.sample_business()
    return replace(d, name="วิสาหกิจชุมชนกลุ่มทอผ้าฝ้ายย้อมครามบ้านหนองบัวแดงพัฒนาสามัคคี")


REPORTS = {
    "household": (render_household, tall_household),
    "business": (render_business, tall_business),
    "area": (render_area, tall_area),
}


@pytest.fixture(scope="module", params=list(REPORTS))
def laid_out(request: pytest.FixtureRequest) -> tuple[bytes, list[Cell]]:
    render, make = REPORTS[request.param]
    buf = io.BytesIO()
    with recorded_cells() as cells:
        render(make(), buf)
    return buf.getvalue(), cells


def test_every_line_fits_its_cell_and_no_mark_touches_a_rule(laid_out: tuple[bytes, list[Cell]]) -> None:
    _, cells = laid_out
    assert sum(len(c.paragraphs) for c in cells) > 50
    problems = check_cells(cells)
    assert not problems, "\n".join(problems[:20])


def test_the_layout_check_finds_marks_on_rules_and_overflow() -> None:
    """The check itself: the old 1.5 pt top padding and an unfitted long name both fail it."""
    from reportlab.platypus import SimpleDocTemplate, TableStyle

    from fieldapp.reports.base import make_styles, register_fonts
    from fieldapp.reports.text import plain_markup

    register_fonts()
    st = make_styles()["cell"]
    t = Table(
        [[Paragraph("หมู่ที่ 7 บ้านดงเย็น", st), Paragraph(plain_markup(LONG_VILLAGE), st)]],
        colWidths=[80, 60],
    )
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, "grey"), ("TOPPADDING", (0, 0), (-1, -1), 1.5)]))
    with recorded_cells() as cells:
        SimpleDocTemplate(io.BytesIO()).build([t])
    problems = check_cells(cells)
    assert any("rule above" in p for p in problems)
    assert any("wider than its cell" in p for p in problems)


# ---------------------------------------------------------------------------- pixels


def _rule_segments(cell: Cell, scale: float, height: float) -> Iterator[tuple[str, int, int, int]]:
    """The cell's rules in pixels: (axis, fixed coordinate, from, to)."""
    a, b, c, d, e, f = cell.ctm
    x0, y0, x1, y1 = cell.box

    def px(x: float, y: float) -> tuple[float, float]:
        return (a * x + c * y + e) * scale, height - (b * x + d * y + f) * scale

    (left, top), (right, bottom) = px(x0, y1), px(x1, y0)
    for y in (top, bottom):
        yield "row", round(y), round(left) + 3, round(right) - 3
    if cell.grid:
        for x in (left, right):
            yield "column", round(x), round(top) + 3, round(bottom) - 3


def _dark_next_to(page: Image.Image, segments: set[tuple[str, int, int, int]], gap: int = 4) -> list[str]:
    """Dark (text) pixels 2 to ``gap`` px either side of the given rules (they are 1.7 px wide)."""
    dark = page.convert("L").point(lambda v: 255 if v < 110 else 0)
    problems: list[str] = []
    for axis, at, lo, hi in sorted(segments):
        if hi <= lo:
            continue
        for off in [*range(-gap, -1), *range(2, gap + 1)]:
            box = (lo, at + off, hi, at + off + 1) if axis == "row" else (at + off, lo, at + off + 1, hi)
            if dark.crop(box).getbbox():
                problems.append(f"ink {abs(off)} px from a {axis} rule at {at} ({lo}-{hi})")
                break
    return problems


def test_no_ink_next_to_table_rules_at_300_dpi(laid_out: tuple[bytes, list[Cell]]) -> None:
    pdf, cells = laid_out
    scale = 300 / 72
    doc = pdfium.PdfDocument(pdf)
    try:
        problems: list[str] = []
        for i, page in enumerate(doc):
            image = page.render(scale=scale).to_pil()
            segments = {
                seg
                for cell in cells
                if cell.ruled and cell.page == i
                for seg in _rule_segments(cell, scale, image.size[1])
            }
            assert segments or i > 0
            problems += [f"page {i + 1}: {p}" for p in _dark_next_to(image, segments)]
    finally:
        doc.close()
    assert not problems, "\n".join(problems[:20])


# ---------------------------------------------------------------------------- signatures


class _LongTable(ReportBase):
    title = "รายงานทดสอบ"

    def __init__(self, rows: int) -> None:
        super().__init__(samples.meta())
        self.rows = rows

    def story(self) -> list[Any]:
        rows = [[str(i), f"ครัวเรือนที่ {i} บ้านหนองบัว", "อยู่ยาก"] for i in range(1, self.rows + 1)]
        table = self.table(["ที่", "ครัวเรือน", "ระดับ"], rows, [0.1, 0.6, 0.3])
        return [
            *self.section("1. ครัวเรือนที่ต้องช่วยเหลือ", [table]),
            self.signatures([("ผู้จัดทำรายงาน", "ก"), ("ผู้จัดการพื้นที่", "ข")]),
            *self.credits(),
        ]


def _pages(pdf: bytes) -> list[str]:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in doc]
    finally:
        doc.close()


def test_signatures_share_a_page_with_the_end_of_a_long_final_table() -> None:
    # rows per page, then every table length that ends near the foot of a page
    pages = _pages(_LongTable(120).render() or b"")
    per_page = max(len(re.findall(r"ครัวเรือนที่ \d+ บ้าน", t)) for t in pages[1:-1] or pages)
    first = len(re.findall(r"ครัวเรือนที่ \d+ บ้าน", pages[0]))
    for rows in [*range(first - 9, first + 2), *range(first + per_page - 9, first + per_page + 2)]:
        texts = _pages(_LongTable(rows).render() or b"")
        signed = [t for t in texts if "ลงชื่อ" in t]
        assert len(signed) == 1
        assert re.search(r"ครัวเรือนที่ \d+ บ้าน", signed[0]), f"{rows} rows: signatures alone on a page"
        assert "GeoThai" in texts[-1] and "ลงชื่อ" in texts[-1], f"{rows} rows: credits apart from signatures"


def test_area_report_signatures_never_stand_alone() -> None:
    d = samples.sample_area(villages=12)
    for n in (18, 24, 30, 36):
        needy = [
            NeedyHousehold(household_code=f"HH{i:04d}", head_name=f"นายทดสอบ ที่{i}", village="บ้านโนน")
            for i in range(n)
        ]
        buf = io.BytesIO()
        render_area(replace(d, households_in_need=needy), buf)
        signed = [t for t in _pages(buf.getvalue()) if "ลงชื่อ" in t]
        assert len(signed) == 1 and "HH" in signed[0], n


# ---------------------------------------------------------------------------- words and numbers


def test_a_number_stays_with_its_unit_and_label_at_line_ends() -> None:
    from reportlab.lib.styles import ParagraphStyle

    from fieldapp.reports.base import make_styles, register_fonts
    from fieldapp.reports.text import breakable_markup

    register_fonts()
    body: ParagraphStyle = make_styles()["body"]
    text = "สมาชิกอาศัยอยู่จริง 1 คน รายได้ต่อคนต่ำกว่าเกณฑ์ 38,000 บาท) ตามแบบสอบถาม (ข้อ 15–17) หมู่ที่ 7 ร้อยละ 45.5"
    for width in range(60, 400, 3):
        p = Paragraph(breakable_markup(text), body)
        p.wrap(width, 10_000)
        lines = [
            "".join(str(f.text) for f in line.words if hasattr(f, "text") and f.fontSize >= 1)
            for line in p.blPara.lines
        ]
        for a, b in itertools.pairwise(lines):
            tail, head = a.rstrip()[-6:], b.lstrip()[:6]
            assert not (re.search(r"[0-9]$", tail) and re.match(r"[ก-ฮเแโใไ(]", head)), (width, a, b)
            assert not (re.search(r"(ข้อ|ที่|ร้อยละ)$", tail) and re.match(r"[0-9]", head)), (width, a, b)


def test_thai_digits_leave_codes_and_identifiers_alone() -> None:
    d = replace(samples.sample_household(), household_code="3D37766A")
    buf = io.BytesIO()
    render_household(d, buf, thai_digits=True)
    text = "\n".join(_pages(buf.getvalue()))
    assert "๓D๓๗๗๖๖A" not in text
    assert text.count("3D37766A") >= 3  # subtitle, page headers
    assert "พิมพ์เมื่อ ๑๔ มีนาคม ๒๕๖๘" in text
    assert thai_digits_for_reading("รหัส 3D37766A รายได้ 38,000 บาท โทร 081-234-5678") == (
        "รหัส 3D37766A รายได้ ๓๘,๐๐๐ บาท โทร 081-234-5678"
    )
    assert thai_digits_for_reading("บัตร 1-1037-02488-99-2 อายุ 45 ปี") == "บัตร 1-1037-02488-99-2 อายุ ๔๕ ปี"


def test_tables_use_one_date_style() -> None:
    d = samples.sample_household(history=6)
    buf = io.BytesIO()
    render_household(d, buf)
    text = "\n".join(_pages(buf.getvalue()))
    short_years = re.findall(
        r"\d{1,2} (?:ม\.ค\.|ก\.พ\.|มี\.ค\.|เม\.ย\.|พ\.ค\.|มิ\.ย\.|ก\.ค\.|ส\.ค\.|ก\.ย\.|ต\.ค\.|พ\.ย\.|ธ\.ค\.) (\d+)",
        text,
    )
    assert short_years, "no dates found"
    assert all(len(y) == 4 for y in short_years), sorted(set(short_years))


def test_a_business_loss_prints_as_khat_thun() -> None:
    d = replace(samples.sample_business(), profit_year=-34000.0)
    buf = io.BytesIO()
    render_business(d, buf)
    text = "\n".join(_pages(buf.getvalue()))
    assert "ขาดทุน 34,000 บาท" in text
    assert "-34,000" not in text


def test_pdf_metadata_is_real() -> None:
    d = samples.sample_household()
    buf = io.BytesIO()
    before = datetime.now(UTC).replace(microsecond=0)
    render_household(d, buf)
    reader = pypdf.PdfReader(io.BytesIO(buf.getvalue()))
    info = reader.metadata
    assert info is not None
    assert info.title and "รายงานกรณีศึกษาครัวเรือน" in info.title
    assert info.author == d.meta.agency
    assert info.subject
    created = info.creation_date
    assert created is not None and created.year >= 2025
    assert abs((created.astimezone(UTC) - before).total_seconds()) < 3600
    assert reader.trailer["/Root"]["/Lang"] == "th-TH"


# ---------------------------------------------------------------------------- official and screen styles


def _render(style: str, **meta: str) -> bytes:
    d = samples.sample_household()
    d = replace(d, meta=replace(d.meta, **meta))
    buf = io.BytesIO()
    render_household(d, buf, style=style)
    return buf.getvalue()


def _words_with_boxes(pdf: bytes, page: int) -> list[tuple[str, float, float, float, float]]:
    doc = pdfium.PdfDocument(pdf)
    try:
        tp = doc[page].get_textpage()
        out = []
        for i in range(tp.count_rects()):
            left, bottom, right, top = tp.get_rect(i)
            out.append((tp.get_text_bounded(left, bottom, right, top), left, bottom, right, top))
        return out
    finally:
        doc.close()


def test_official_style_follows_thai_government_document_conventions() -> None:
    office = "สำนักงานพัฒนาสังคมและความมั่นคงของมนุษย์"
    pdf = _render("official", office=office, province="ยโสธร")
    pages = _pages(pdf)
    # the issuing office (office + province from the settings) heads every page and is the author
    assert all(f"{office}จังหวัดยโสธร" in t.replace(" ", "") for t in pages)
    assert pypdf.PdfReader(io.BytesIO(pdf)).metadata.author == f"{office} จังหวัดยโสธร"
    # page numbers as in official letters: none on page 1, "- N -" at the top centre after
    assert not re.search(r"^- 1 -", pages[0], re.M)
    for n, text in enumerate(pages[1:], start=2):
        assert text.startswith(f"- {n} -"), text[:40]
    boxes = _words_with_boxes(pdf, 1)
    number = next(b for b in boxes if b[0].strip() == "- 2 -")
    assert abs((number[1] + number[3]) / 2 - 595.276 / 2) < 2
    # 3 cm left and 2 cm right margins: nothing in the body outside them
    mm = 72 / 25.4
    for text, left, _bottom, right, _top in boxes:
        assert left >= 30 * mm - 1 and right <= 595.276 - 20 * mm + 1, text
    # body text in Sarabun 12 pt (≈ TH Sarabun New 16 pt), headings black
    from fieldapp.reports.base import LOOKS, make_styles

    styles = make_styles("official")
    assert styles["body"].fontSize == 12
    assert styles["h1"].textColor == LOOKS["official"].ink
    assert LOOKS["official"].zebra_fill is None


def test_screen_style_keeps_the_on_screen_look() -> None:
    pdf = _render("screen")
    pages = _pages(pdf)
    assert all(not re.match(r"- \d+ -", t) for t in pages)
    boxes = _words_with_boxes(pdf, 0)
    mm = 72 / 25.4
    assert min(b[1] for b in boxes) < 25 * mm  # 22 mm left margin


def test_an_unknown_style_is_a_clear_error() -> None:
    from fieldapp.reports import ReportDataError

    with pytest.raises(ReportDataError) as err:
        render_household(samples.sample_household(), io.BytesIO(), style="fancy")
    assert err.value.code == "report.bad_style"
    assert "fancy" in err.value.message
