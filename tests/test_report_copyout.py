"""Text copied or searched in a report PDF is the Thai that was printed.

Strings with every Thai stacking pattern are printed through each report
(household, local business, area), in paragraphs and in table cells, and
extracted with three independent extractors: poppler (``pdftotext``, layout
and raw modes), pdfium (``pypdfium2``) and ``pypdf``. Each string must come
out exactly (NFC), with no private-use code point anywhere in the text.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pypdf
import pypdfium2 as pdfium
import pytest
import report_samples as samples

from fieldapp.reports import render_area, render_business, render_household
from fieldapp.reports.base import FONT, FONT_BOLD, draw_text, register_fonts
from fieldapp.reports.copyout import copied_text
from fieldapp.reports.data import AreaBusiness, Need, Product, VillageStat
from fieldapp.reports.text import shape

STACKS = [
    "ป้ายฝั่งฟ้าปั้นปู่ ฝุ่นฟื้นปิ่นป่า",  # ป ฝ ฟ + upper vowel + tone mark
    "กตัญญู ญาติ ฐุ ฐานะ ฎีกา ฏุ กฎู",  # ญ ฐ without their tails, ฎ ฏ above lower vowels
    "น้ำค่ำซ้ำต่ำล้ำ ทำกำรำ",  # ำ after a tone mark, and alone (decomposed to ํ + า)
    "ฤๅษี ฦๅสาย ฤทธิ์",  # ฤๅ ฦๅ ligatures
    "ต่างๆ นานา กรุงเทพฯ ฯลฯ",  # ๆ ฯ
    "หมู่ที่ ๗ เลขที่ ๑๑๒/๔ ปี ๒๕๖๘",  # Thai digits
    "OTOP 5 ดาว รายได้ 38,000 บาท (ข้อ 15–17) รหัส 3D37766A",  # Thai, Latin and numbers
    "เอื้อมผึ้งปุ๋ยกุ้ง ที่ตั้งหมู่บ้าน อยู่ลำบาก",  # tallest stacks, a word break point
]

CELLS = ["ป้าฝั่ง", "ญุฐู", "น้ำต่ำ", "ฤๅษี", "ฯลฯ", "๒๕๖๘", "ปุ๋ย 5 kg"]
"""Short strings printed alone in table cells."""

PUA = range(0xE000, 0xF900)


def _no_pua(text: str) -> None:
    bad = sorted({f"U+{ord(c):04X}" for c in text if ord(c) in PUA or ord(c) >= 0xF0000})
    assert not bad, f"private-use code points in the extracted text: {bad}"


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\xa0", " ")
    return text


def poppler(pdf: bytes, *args: str) -> str:
    out = subprocess.run(["pdftotext", *args, "-", "-"], input=pdf, capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def pdfium_text(pdf: bytes) -> str:
    doc = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()


def pypdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


EXTRACTORS: dict[str, Callable[[bytes], str]] = {
    "poppler": poppler,
    "poppler-raw": lambda pdf: poppler(pdf, "-raw"),
    "pdfium": pdfium_text,
    "pypdf": pypdf_text,
}


def _household() -> bytes:
    d = samples.sample_household()
    d = replace(d, notes="\n".join(STACKS), needs=[Need(need=s) for s in CELLS])
    buf = io.BytesIO()
    render_household(d, buf)
    return buf.getvalue()


def _business() -> bytes:
    d = samples.sample_business()
    d = replace(d, description="\n".join(STACKS), products=[Product(name=s) for s in CELLS])
    buf = io.BytesIO()
    render_business(d, buf)
    return buf.getvalue()


def _area() -> bytes:
    d = samples.sample_area(villages=8)
    villages = [
        replace(v, village_name=CELLS[i % len(CELLS)]) if isinstance(v, VillageStat) else v
        for i, v in enumerate(d.villages)
    ]
    businesses = [AreaBusiness(name=s, business_type="วิสาหกิจชุมชน") for s in CELLS]
    d = replace(d, summary="\n".join(STACKS), villages=villages, businesses=businesses)
    buf = io.BytesIO()
    render_area(d, buf)
    return buf.getvalue()


@pytest.fixture(scope="module", params=["household", "business", "area"])
def report_pdf(request: pytest.FixtureRequest) -> bytes:
    makers = {"household": _household, "business": _business, "area": _area}
    return makers[request.param]()


@pytest.mark.parametrize("extractor", list(EXTRACTORS))
def test_every_stacking_pattern_copies_out_exactly(report_pdf: bytes, extractor: str) -> None:
    if extractor.startswith("poppler") and not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = _normal(EXTRACTORS[extractor](report_pdf))
    _no_pua(text)
    lines = {line.strip() for line in text.split("\n")}
    for s in STACKS:
        assert s in lines, f"{extractor}: {s!r} is not a line of the extracted text"
    for s in CELLS:
        assert s in text, f"{extractor}: table cell {s!r} not found"
    # a reader searching the report finds the words people look for
    for word in ("ที่", "ตำบล", "น้ำ", "ชื่อ"):
        assert word in text


def test_canvas_text_copies_out_exactly() -> None:
    """Header, footer and chart labels are shaped on the canvas; they copy out too."""
    from fieldapp.reports.base import _NumberedCanvas  # the canvas every report draws on

    register_fonts()
    buf = io.BytesIO()
    y = 800.0
    report = type("R", (), {"draw_footer": lambda *a: None, "page_count": 0})()
    canv = _NumberedCanvas(buf, report=report)
    for i, s in enumerate(STACKS):
        draw_text(canv, 50, y - 24 * i, s, font=FONT_BOLD if i % 2 else FONT, size=12)
    canv.showPage()
    canv.save()
    pdf = buf.getvalue()
    for name, extract in EXTRACTORS.items():
        if name.startswith("poppler") and not shutil.which("pdftotext"):
            continue
        text = _normal(extract(pdf))
        _no_pua(text)
        lines = {line.strip() for line in text.split("\n")}
        for s in STACKS:
            assert s in lines, f"{name}: {s!r}"


@pytest.mark.parametrize("s", STACKS)
def test_shaped_glyphs_map_back_to_their_text(s: str) -> None:
    """Glyph by glyph, the shaped string's copy-out text is the text that was shaped."""
    register_fonts()
    for font in (FONT, FONT_BOLD):
        shaped = shape(s, font, 11)
        assert copied_text(shaped, font) == s
        assert not any(0xE000 <= ord(c) < 0xF900 for c in copied_text(shaped, font))


def test_shaping_itself_is_unchanged() -> None:
    """The copy-out mapping changes codes, never which glyphs are drawn or where."""
    import uharfbuzz as hb

    from fieldapp import resources

    register_fonts()
    blob = hb.Blob.from_file_path(str(resources.fonts_dir() / "Sarabun-Regular.ttf"))
    hb_font = hb.Font(hb.Face(blob))
    from reportlab.pdfbase import pdfmetrics

    face = pdfmetrics.getFont(FONT).face
    for s in STACKS:
        buf = hb.Buffer()
        buf.add_str(s)
        buf.guess_segment_properties()
        hb.shape(hb_font, buf, {"kern": True, "liga": True, "dlig": True})
        expected = [info.codepoint for info in buf.glyph_infos]
        shaped: Any = shape(s, FONT, 12)
        assert [face.charToGlyph[ord(c)] for c in shaped] == expected, s
        scale = 1000 / face.unitsPerEm
        expected_pos = [
            (round(p.x_offset * scale), round(p.y_offset * scale), round(p.x_advance * scale))
            for p in buf.glyph_positions
        ]
        got = [(round(d.x_offset), round(d.y_offset), round(d.x_advance)) for d in shaped.__shapeData__]
        assert got == expected_pos, s


def test_remembered_shaping_gives_the_same_pages() -> None:
    """Words are shaped once and remembered; a second rendering is the same, text and ink."""
    from fieldapp.reports import copyout

    copyout._SHAPED.clear()
    first = _household()
    assert copyout._SHAPED, "nothing was remembered"
    second = _household()
    assert pdfium_text(first) == pdfium_text(second)
    images = []
    for pdf in (first, second):
        doc = pdfium.PdfDocument(pdf)
        try:
            images.append([page.render(scale=1).to_pil().tobytes() for page in doc])
        finally:
            doc.close()
    assert images[0] == images[1]
