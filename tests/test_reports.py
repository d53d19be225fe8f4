"""Thai PDF case reports: content, fonts, page numbers, masking, shaping and line breaks.

Needs pypdf (font resources), pypdfium2 (text extraction, rasterising) and
Pillow (image comparison). Set ``FIELDAPP_UPDATE_REFERENCE=1`` to rewrite the
reference image after an intended change to the text rendering.
"""

from __future__ import annotations

import io
import os
import re
import socket
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pypdf
import pypdfium2 as pdfium
import pytest
import report_samples as samples
from PIL import Image, ImageChops
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from fieldapp.reports import (
    ReportDataError,
    render_area,
    render_business,
    render_household,
)
from fieldapp.reports.base import FONT, FONT_BOLD, draw_text, make_styles, register_fonts
from fieldapp.reports.charts import label
from fieldapp.reports.copyout import copied_text
from fieldapp.reports.data import AreaReport, AreaScope, HouseholdReport
from fieldapp.reports.text import (
    BREAK,
    COMBINING,
    FOLLOWERS,
    LEADING_VOWELS,
    breakable_markup,
    may_break_between,
    segment,
)
from fieldapp.thai import format_national_id, mask_national_id

REFERENCE = Path(__file__).parent / "reference" / "thai_shaping.png"

# ---------------------------------------------------------------------------- helpers

_MARKS = re.compile("[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\ue000-\uf8ff]")


def base(text: str) -> str:
    """Text reduced to what survives extraction from a shaped PDF.

    reportlab writes some HarfBuzz-substituted glyphs (tone marks moved
    around upper vowels) as private-use code points and ำ as ํ + า, so
    compare on consonants and the vowels on the line.
    """
    text = text.replace("\u0e33", "\u0e32")
    return re.sub(r"\s+", " ", _MARKS.sub("", text))


def page_texts(pdf: bytes) -> list[str]:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in doc]
    finally:
        doc.close()


def all_text(pdf: bytes) -> str:
    return base("\n".join(page_texts(pdf)))


def render_to_bytes(render: Callable[..., int], data: Any, **kw: Any) -> tuple[bytes, int]:
    buf = io.BytesIO()
    pages = render(data, buf, **kw)
    return buf.getvalue(), pages


@pytest.fixture(scope="module")
def household() -> tuple[bytes, int]:
    return render_to_bytes(render_household, samples.sample_household())


@pytest.fixture(scope="module")
def business() -> tuple[bytes, int]:
    return render_to_bytes(render_business, samples.sample_business())


@pytest.fixture(scope="module")
def area() -> tuple[bytes, int]:
    return render_to_bytes(render_area, samples.sample_area())


@pytest.fixture(params=["household", "business", "area"])
def report(request: pytest.FixtureRequest) -> tuple[bytes, int]:
    result: tuple[bytes, int] = request.getfixturevalue(request.param)
    return result


# ---------------------------------------------------------------------------- every report


def test_each_report_is_a_pdf_whose_page_count_is_returned(report: tuple[bytes, int]) -> None:
    pdf, pages = report
    assert pdf.startswith(b"%PDF-")
    assert pages == len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert pages >= 3, "the samples are long enough to need several pages"


def test_only_sarabun_is_used_and_it_is_embedded(report: tuple[bytes, int]) -> None:
    reader = pypdf.PdfReader(io.BytesIO(report[0]))
    seen: set[str] = set()
    for page in reader.pages:
        resources: Any = page["/Resources"]
        fonts = resources["/Font"]
        for ref in fonts.values():
            font = ref.get_object()
            name = str(font["/BaseFont"])
            seen.add(name.split("+")[-1])
            descriptor = font["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor, f"{name} is not embedded"
    assert {"Sarabun-Regular", "Sarabun-Bold"} <= seen
    assert all(name.startswith("Sarabun-") for name in seen), seen


def test_footer_says_page_x_of_y_on_every_page(report: tuple[bytes, int]) -> None:
    pdf, pages = report
    texts = page_texts(pdf)
    assert len(texts) == pages
    for number, text in enumerate(texts, start=1):
        assert base(f"หน้า {number} จาก {pages}") in base(text)


def test_footer_print_date_is_in_the_buddhist_era(report: tuple[bytes, int]) -> None:
    for text in page_texts(report[0]):
        assert base("พิมพ์เมื่อ 14 มีนาคม 2568") in base(text)
        assert "2025" not in text


# ---------------------------------------------------------------------------- household


def test_household_report_prints_its_sections_and_data(household: tuple[bytes, int]) -> None:
    text = all_text(household[0])
    for expected in [
        "รายงานกรณีศึกษาครัวเรือน",
        "YST-0108-0042",
        "นายสมศักดิ์ บุญประเสริฐ",
        "15.79412, 104.14563",
        "สมาชิกในครัวเรือน",
        "รายได้ รายจ่าย และหนี้สิน",
        "132,500",
        "ทุน 5 ด้านและระดับการดำรงชีพ",
        "ทุนทางสังคม",
        "ระดับการดำรงชีพ: อยู่ยาก",
        "มิติความยากจนตาม TPMAP",
        "การเข้าถึงบริการภาครัฐ",
        "ประวัติการช่วยเหลือและการส่งต่อ",
        "ช่วยเหลือแล้ว",
        "โรงสีข้าวชุมชนทุ่งแต้",
        "การเปรียบเทียบก่อนและหลัง",
        "รอบ 2566-1",
        "ผู้จัดการพื้นที่",
        "ผู้ให้ข้อมูล",
        "ลงชื่อ",
        "GeoThai (CC BY 4.0)",
    ]:
        assert base(expected) in text, expected


def test_national_ids_are_masked_by_default(household: tuple[bytes, int]) -> None:
    text = all_text(household[0])
    assert mask_national_id(samples.HEAD_ID) in text
    assert format_national_id(samples.HEAD_ID) not in text
    assert samples.HEAD_ID not in text


def test_national_ids_are_printed_in_full_on_request() -> None:
    data = samples.sample_household(history=1, rounds=1)
    pdf, _ = render_to_bytes(render_household, data, unmask=True)
    text = all_text(pdf)
    assert format_national_id(samples.HEAD_ID) in text
    assert format_national_id(samples.SPOUSE_ID) in text
    assert "xxxxx" not in text


def test_page_count_follows_the_length_of_the_history(household: tuple[bytes, int]) -> None:
    short = samples.sample_household(history=0, rounds=1)
    pdf, pages = render_to_bytes(render_household, short)
    assert pages < household[1]
    assert base(f"หน้า {pages} จาก {pages}") in base(page_texts(pdf)[-1])
    text = all_text(pdf)
    assert base("ยังไม่มีประวัติการช่วยเหลือหรือการส่งต่อ") in text
    assert base("การเปรียบเทียบก่อนและหลัง") not in text, "one survey round: nothing to compare"


def test_health_details_need_explicit_consent_and_a_bad_photo_is_a_note() -> None:
    data = replace(
        samples.sample_household(history=2, rounds=1),
        consent_sensitive=False,
        photo=b"not an image",
    )
    text = all_text(render_to_bytes(render_household, data)[0])
    assert base("เบาหวาน") not in text
    assert base("เคลื่อนไหว-ร่างกาย") not in text
    assert base("ยังไม่ได้รับความยินยอมโดยชัดแจ้ง") in text
    assert base("ไม่สามารถแสดงภาพถ่ายได้") in text


def test_thai_digits_replace_every_arabic_digit_outside_codes() -> None:
    data = samples.sample_household(history=3, rounds=2)
    pdf, pages = render_to_bytes(render_household, data, thai_digits=True)
    texts = page_texts(pdf)
    assert base(f"หน้า ๑ จาก {'๐๑๒๓๔๕๖๗๘๙'[pages]}") in base(texts[0])
    assert base("พิมพ์เมื่อ ๑๔ มีนาคม ๒๕๖๘") in base(texts[0])
    assert base("๑๓๒,๕๐๐") in base("".join(texts))
    # codes and identifiers (household code, IDs, phone numbers) keep their digits
    assert data.household_code in "".join(texts)
    codes = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_/.,:]*[A-Za-z][A-Za-z0-9\-_/.,:]*|[0-9][0-9-]{5,}")
    rest = codes.sub("", "".join(texts))
    assert not re.search("[0-9]", rest), "an Arabic digit is left outside codes"


def test_missing_household_code_is_a_clear_error_and_writes_no_file(tmp_path: Path) -> None:
    out = tmp_path / "household.pdf"
    with pytest.raises(ReportDataError) as err:
        render_household(HouseholdReport(household_code=" "), out)
    assert "รหัสครัวเรือน" in err.value.message
    assert err.value.code == "report.no_household"
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_report_written_to_a_path_is_complete(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "hh.pdf"
    pages = render_household(samples.sample_household(history=1, rounds=1), out)
    assert pages == len(pypdf.PdfReader(out).pages)
    assert [p.name for p in out.parent.iterdir()] == ["hh.pdf"], "no temporary file left"


# ---------------------------------------------------------------------------- business


def test_business_report_prints_profile_standards_links_and_needs(
    business: tuple[bytes, int],
) -> None:
    text = all_text(business[0])
    data = samples.sample_business()
    for expected in [
        "รายงานกรณีศึกษาธุรกิจในท้องถิ่น",
        data.name,
        "3-35-01-05/1-0012",
        "4 ดาว",
        "มผช., GI",
        "ผ้าไหมมัดหมี่ลายนาคน้อย",
        "16 คน (ร้อยละ 89)",
        "24 ครัวเรือน",
        "ครัวเรือนเป้าหมายที่เชื่อมโยงกับกิจการ",
        "YST-0108-0063",
        "52,500",
        "การกระจายรายได้สู่ชุมชน",
        "จ้างงานคนในชุมชน",
        "ทุนหมุนเวียนสำหรับซื้อเส้นไหมในช่วงราคาต่ำ",
    ]:
        assert base(expected) in text, expected
    linked = data.linked_households[0].national_id
    assert mask_national_id(linked) in text
    assert format_national_id(linked) not in text


# ---------------------------------------------------------------------------- area


def test_area_report_prints_counts_rankings_and_households_in_need(
    area: tuple[bytes, int],
) -> None:
    text = all_text(area[0])
    for expected in [
        "รายงานกรณีศึกษาพื้นที่",
        "ตำบลทุ่งแต้ อำเภอเมืองยโสธร จังหวัดยโสธร",
        "ระดับตำบล",
        "ครัวเรือนจำแนกตามระดับการดำรงชีพ",
        "อยู่ลำบาก",
        "ค่าเฉลี่ยทุน 5 ด้าน",
        "มิติความยากจนตาม TPMAP",
        "ตามสัดส่วนครัวเรือนยากจน",
        "ตามความครบถ้วนของข้อมูล",
        "กลุ่มท่องเที่ยวชุมชนบ้านศรีฐาน",
        "การส่งต่อความช่วยเหลือจำแนกตามสถานะ",
        "ครัวเรือนที่ต้องการความช่วยเหลือมากที่สุด",
        "YST-0108-0119",
    ]:
        # a name may wrap between its words in a narrow column: compare without line breaks
        assert base(expected).replace(" ", "") in text.replace(" ", ""), expected


def test_villages_are_ranked_by_share_of_poor_households(area: tuple[bytes, int]) -> None:
    data = samples.sample_area()
    ranked = sorted(data.villages, key=lambda v: -v.poor_share)
    text = all_text(area[0])
    section = text[text.index(base("ตามสัดส่วนครัวเรือนยากจน")) :]
    section = section[: section.index(base("ตามความครบถ้วนของข้อมูล"))]
    positions = [section.index(base(f"หมู่ที่ {v.village_no} บ้าน")) for v in ranked[:4]]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("village", "ระดับหมู่บ้าน"),
        ("district", "ระดับอำเภอ"),
        ("province", "ระดับจังหวัด"),
        ("set", "ประกอบด้วย ตำบลทุ่งแต้ ตำบลในเมือง"),
    ],
)
def test_area_report_covers_every_kind_of_scope(level: str, expected: str) -> None:
    data = samples.sample_area(villages=3 if level == "village" else 40, level=level)
    data.ranking_limit = 10
    pdf, pages = render_to_bytes(render_area, data)
    text = all_text(pdf)
    assert base(expected) in text
    if level != "village":
        assert base("แสดง 10 อันดับแรกจากทั้งหมด 40 หมู่บ้าน") in text
        assert base("ตำบล") in text
    assert base(f"หน้า {pages} จาก {pages}") in text


def test_an_empty_area_is_a_clear_error_and_writes_no_file(tmp_path: Path) -> None:
    out = tmp_path / "area.pdf"
    empty = AreaReport(scope=AreaScope("subdistrict", "ตำบลว่าง อำเภอหนึ่ง จังหวัดสอง"))
    with pytest.raises(ReportDataError) as err:
        render_area(empty, out)
    assert "ไม่มีข้อมูลครัวเรือน" in err.value.message
    assert err.value.code == "report.empty_area"
    assert not out.exists()


def test_an_unknown_area_level_is_rejected() -> None:
    data = replace(samples.sample_area(villages=2), scope=AreaScope("region", "ภาคอีสาน"))
    with pytest.raises(ReportDataError, match="ระดับพื้นที่"):
        render_area(data, io.BytesIO())


# ---------------------------------------------------------------------------- Thai text


def test_word_segmentation_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the segmenter tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    segment.cache_clear()
    assert segment("ผู้ใหญ่บ้านประสานงานกับโรงพยาบาลส่งเสริมสุขภาพตำบล")[0] == "ผู้ใหญ่บ้าน"


@pytest.mark.parametrize(
    ("left", "right", "allowed"),
    [
        ("น", "ก", True),  # between two Thai words
        ("า", "A", True),  # Thai then Latin
        ("ก", "่", False),  # never before a tone mark
        ("ก", "ี", False),  # ... an upper vowel
        ("ก", "ุ", False),  # ... a lower vowel
        ("ก", "ะ", False),  # ... a following vowel
        ("ก", "ๆ", False),  # ... or mai yamok
        ("เ", "ก", False),  # never after a leading vowel
        ("1", "2", False),
        ("๑", "๒", False),
        ("2", "/", False),  # 12/3 stays whole
        ("-", "x", False),  # so does 1-1037-xxxxx-xx-2
        ("-", "อ", True),  # ปวส.-อนุปริญญา may break after the hyphen
    ],
)
def test_break_opportunities_respect_thai_syllables(left: str, right: str, allowed: bool) -> None:
    assert may_break_between(left, right) is allowed


def test_markup_marks_word_boundaries_and_escapes_xml() -> None:
    markup = breakable_markup("ผู้ใหญ่บ้านประสานงาน <ข้อมูล> & ครัวเรือนยากจน")
    assert "&lt;" in markup and "&amp;" in markup
    assert markup.count(BREAK) >= 2


LONG_TEXT = (
    "ผู้ใหญ่บ้านประสานงานกับองค์การบริหารส่วนตำบลเพื่อซ่อมแซมบ้านของนางทองใบซึ่งเป็นผู้สูงอายุ"
    "ที่ป่วยติดเตียง ครัวเรือนนี้มีรายได้ต่ำกว่าเกณฑ์ความจำเป็นพื้นฐานและมีหนี้นอกระบบ "
    "เจ้าหน้าที่โรงพยาบาลส่งเสริมสุขภาพตำบลได้แนะนำให้ขึ้นทะเบียนคนพิการและรับเบี้ยความพิการ "
    "บุตรสาวกำลังศึกษาระดับปวส.-อนุปริญญาและต้องการทุนการศึกษาจากมหาวิทยาลัยในพื้นที่ "
    "สมาชิกกลุ่มทอผ้าไหมรับงานไปทำที่บ้านได้เดือนละ 2,800 บาท ตามข้อมูล ณ 12/3/2568"
)


def test_a_long_thai_paragraph_never_breaks_inside_a_word() -> None:
    register_fonts()
    style = make_styles()["body"]
    width = 118.0
    para = Paragraph(breakable_markup(LONG_TEXT), style)
    para.wrap(width, 10_000)
    lines = para.blPara.lines
    assert len(lines) > 15

    # Words as reportlab laid them out (shaped), per line.
    laid_out = [
        "".join(
            copied_text(frag.text, frag.fontName) if frag.fontSize >= 1 else " " for frag in line.words
        ).split()
        for line in lines
    ]
    # The same text cut at every allowed break point and space.
    boundaries = {0, len(LONG_TEXT)}
    pos = 0
    for piece in segment(LONG_TEXT):
        pos += len(piece)
        boundaries.add(pos)
    units: list[tuple[int, int]] = []
    cuts = sorted(
        p for p in boundaries if 0 < p < len(LONG_TEXT) and may_break_between(LONG_TEXT[p - 1], LONG_TEXT[p])
    )
    for m in re.finditer(r"\S+", LONG_TEXT):
        start = m.start()
        for cut in (c for c in cuts if m.start() < c < m.end()):
            units.append((start, cut))
            start = cut
        units.append((start, m.end()))

    assert sum(len(words) for words in laid_out) == len(units), "a word was cut apart"
    k = 0
    for line_no, words in enumerate(laid_out):
        for word in words:
            a, b = units[k]
            assert word == LONG_TEXT[a:b], (line_no, word, LONG_TEXT[a:b])
            k += 1
        end = units[k - 1][1]
        if end < len(LONG_TEXT):
            nxt = LONG_TEXT[end]
            assert end in boundaries or nxt.isspace(), f"line {line_no} ends inside a word"
            assert nxt not in COMBINING and nxt not in FOLLOWERS, f"line {line_no + 1} starts with {nxt!r}"
            assert LONG_TEXT[end - 1] not in LEADING_VOWELS
    assert all(line.extraSpace >= -0.5 for line in lines), "a line is wider than the frame"


# ---------------------------------------------------------------------------- visual check

TRICKY = (
    "ที่นี่ น้ำ ผู้ใหญ่บ้าน ปั้น กิ่ง ญี่ปุ่น ฐานราก ฎีกา ฤๅษี "
    "รายงาน PDF ฉบับที่ ๑๒ (Version 2.0) วันที่ ๑๕ กุมภาพันธ์ ๒๕๖๖ ราคา 1,250.50 บาท"
)


def render_tricky(*, shaped: bool) -> Image.Image:
    """A paragraph, a canvas line and a chart label of tricky Thai, rasterised in grey."""
    register_fonts()
    buf = io.BytesIO()
    canv = Canvas(buf, pagesize=(300, 150), invariant=True, initialFontName=FONT)
    style = make_styles("screen")["body"]
    if not shaped:
        style.shaping = 0
    para = Paragraph(breakable_markup(TRICKY), style)
    _, h = para.wrap(284, 150)
    para.drawOn(canv, 8, 142 - h)
    line = "ที่นี่ น้ำ ปั้น ญี่ปุ่น ฎีกา"
    caption = "ทุนทางสังคม กิ่ง"
    drawing = Drawing(300, 24, initialFontName=FONT)
    if shaped:
        draw_text(canv, 8, 30, line, size=11, color=colors.black)
        drawing.add(label(8, 8, caption, size=10, font=FONT_BOLD))
    else:
        canv.setFont(FONT, 11)
        canv.drawString(8, 30, line)
        drawing.add(String(8, 8, caption, fontName=FONT_BOLD, fontSize=10))
    drawing.drawOn(canv, 0, 0)
    canv.showPage()
    canv.save()
    doc = pdfium.PdfDocument(buf.getvalue())
    try:
        image = doc[0].render(scale=2).to_pil().convert("L")
    finally:
        doc.close()
    return image


def difference(a: Image.Image, b: Image.Image) -> tuple[float, float]:
    """Mean absolute difference (0–255) and the share of pixels that differ by more than 96."""
    assert a.size == b.size
    diff = ImageChops.difference(a, b)
    hist = diff.histogram()
    total = a.size[0] * a.size[1]
    mean = sum(i * n for i, n in enumerate(hist)) / total
    strong = sum(hist[97:]) / total
    return mean, strong


@pytest.fixture(scope="module")
def reference() -> Iterator[Image.Image]:
    if os.environ.get("FIELDAPP_UPDATE_REFERENCE"):
        REFERENCE.parent.mkdir(exist_ok=True)
        render_tricky(shaped=True).save(REFERENCE, optimize=True)
    with Image.open(REFERENCE) as img:
        yield img.convert("L")


def test_shaped_thai_looks_like_the_reference_image(reference: Image.Image) -> None:
    mean, strong = difference(render_tricky(shaped=True), reference)
    assert mean < 1.5 and strong < 0.004, (mean, strong)


def test_unshaped_thai_would_fail_the_image_comparison(reference: Image.Image) -> None:
    mean, strong = difference(render_tricky(shaped=False), reference)
    assert mean >= 1.5 or strong >= 0.004, (mean, strong)


def test_chart_and_canvas_text_is_shaped() -> None:
    register_fonts()
    text = label(0, 0, "ที่นี่", size=9).text
    assert hasattr(text, "__shapeData__"), "chart labels must be HarfBuzz-shaped"
    assert text != "ที่นี่", "the tone marks are moved to their shaped glyphs"


def test_the_report_core_never_imports_qt() -> None:
    folder = Path(__file__).parent.parent / "fieldapp" / "reports"
    for path in folder.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+(PySide6|PyQt|shiboken)", source, re.M), path
