"""How a report looks: the bundled Sarabun fonts, the colours, the two looks (``official`` and
``screen``: sizes and margins), the named paragraph styles, and the cell padding that keeps the
tallest and deepest Thai stacks off a table's rules. ``fieldapp.reports.base`` uses them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics

from fieldapp import resources
from fieldapp.reports import copyout
from fieldapp.reports.text import shape

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
