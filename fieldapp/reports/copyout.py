"""Text that copies out of the PDF exactly as it was printed.

reportlab draws HarfBuzz-shaped text glyph by glyph and writes one
``ToUnicode`` entry per glyph: the first character the font's ``cmap`` gives
for it, or a private-use code point for a glyph HarfBuzz substituted (the
lowered tone mark in ที่, the ฤๅ ligature, the nikhahit of ำ). Copying or
searching such a PDF gives ``น\\uE002า`` for น้ำ. Three things here make every
extractor (poppler, pdfium, pypdf, and the viewers built on them) return the
text that was shaped:

1. **ToUnicode from HarfBuzz clusters.** :func:`shape_frag_word` wraps
   reportlab's shaper. For each HarfBuzz cluster (the characters HarfBuzz
   shaped into a run of glyphs) it gives each glyph a piece of the cluster's
   text, so the pieces, read in drawing order, are the cluster's text: one
   glyph per character where the counts match (น้ำ: the nikhahit-and-tone
   ligature → ้, า → ำ), the whole cluster on one glyph for a ligature
   (ฤๅ), and nothing on the extra glyphs of a decomposition (ทำ: the
   nikhahit → ำ, า → nothing). Each (glyph, text) pair gets a code point of
   its own in :class:`CopyOutTTFont`, whose ``ToUnicode`` CMap maps the code
   to that text. The glyphs drawn are exactly the ones HarfBuzz chose.
2. **No phantom gaps.** A mark that HarfBuzz moves left (the upper vowel and
   tone mark beside the tall stem of ป ฝ ฟ) used to be drawn with a zero
   advance and the pen moved back right after it; extractors read that jump
   as a space (ฝั่ ง). The mark's code now has a PDF width equal to the shift,
   so the pen ends where the next letter starts with no jump. The ink is the
   same.
3. **ActualText where positions mislead.** Extractors that rebuild words
   from glyph positions (poppler's layout mode) split a word where a mark is
   moved by a point or lowered (ทีต / ่ ้ัง), and pdfium reads a glyph whose
   ToUnicode is empty as its character code. A shaped string with a moved
   mark or a glyph without text of its own (the า of a decomposed ำ) is
   on a line wrapped in a marked-content span
   ``/Span <</ActualText (…)>> BDC … EMC`` holding the line's text
   (:class:`CopyOutTextObject`); poppler and pdfium read the span, pypdf the
   CMap.

The break points between Thai words (:data:`fieldapp.reports.text.BREAK`) are
spaces set in a tiny size; they are set in :data:`BREAK_FONT`, a copy of the
regular face whose space copies out as nothing, so a copied word is not torn
in two (pdfium and poppler drop the tiny space by its width; pypdf needs the
empty mapping).
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import (
    SUBSETN,
    ShapeData,
    ShapedFragWord,
    ShapedStr,
    TTFont,
)
from reportlab.pdfbase.ttfonts import shapeFragWord as _reportlab_shape
from reportlab.pdfgen.textobject import PDFTextObject
from reportlab.platypus import paragraph as _paragraph

BREAK_FONT = "Sarabun-Break"
"""Font name of the break-point spaces between Thai words: their space copies out as nothing."""

NBSP = "\u00a0"

_PSEUDO_FIRST = 0xF0000
"""Code points of glyph variants (glyph, text, width) start here (plane 15, private use)."""


class CopyOutTTFont(TTFont):
    """A TrueType font whose ToUnicode CMap gives each shaped glyph its cluster's text.

    Glyph variants are registered with :meth:`variant`; each is a private
    code point drawn with a given glyph, with its own PDF width and its own
    ToUnicode text. ``blank_space`` makes the space copy out as nothing (the
    break-point font).
    """

    def __init__(self, name: str, filename: str, *, blank_space: bool = False, **kw: Any) -> None:
        super().__init__(name, filename, **kw)
        self.blank_space = blank_space
        if blank_space:
            # reportlab registers one font per face name: a copy needs a name of its own
            self.face.name = name.encode("ascii")
        self.copy_text: dict[int, str] = {}
        self.pdf_width: dict[int, float] = {}
        self._variants: dict[tuple[int, str, float], int] = {}
        self._next = _PSEUDO_FIRST

    def variant(self, uchar: int, text: str, width: float) -> int:
        """The code point that draws ``uchar``'s glyph, advances ``width`` and copies out as ``text``."""
        face = self.face
        gid = face.charToGlyph[uchar]
        key = (gid, text, width)
        code = self._variants.get(key)
        if code is None:
            code = self._next
            self._next += 1
            face.charToGlyph[code] = gid
            # stringWidth() keeps the glyph's own advance; only the PDF width changes
            face.charWidths[code] = face.charWidths.get(uchar, face.defaultWidth)
            self.copy_text[code] = text
            self.pdf_width[code] = width
            self._variants[key] = code
        return code

    def text_of(self, code: int) -> str:
        """What the glyph drawn for ``code`` copies out as."""
        if code in self.copy_text:
            return self.copy_text[code]
        if self.blank_space and code in (0x20, 0xA0):
            return ""
        return chr(code)

    def addObjects(self, doc: Any) -> None:
        """reportlab's TTFont.addObjects, with this font's widths and ToUnicode texts."""
        state = self._assignState(doc)
        state.frozen = 1
        for n, subset in enumerate(state.subsets):
            internal_name = self.getSubsetInternalName(n, doc)[1:]
            base_font_name = (b"".join((SUBSETN(n), b"+", self.face.name, self.face.subfontNameX))).decode(
                "pdfdoc"
            )
            pdf_font = pdfdoc.PDFTrueTypeFont()
            pdf_font.__Comment__ = f"Font {self.fontName} subset {n}"
            pdf_font.Name = internal_name
            pdf_font.BaseFont = base_font_name
            pdf_font.FirstChar = 0
            pdf_font.LastChar = len(subset) - 1
            widths = [self.pdf_width.get(code, self.face.getCharWidth(code)) for code in subset]
            pdf_font.Widths = pdfdoc.PDFArray(widths)
            cmap = pdfdoc.PDFStream()
            cmap.content = to_unicode_cmap(base_font_name, [self.text_of(c) for c in subset])
            if doc.compression:
                cmap.filters = [pdfdoc.PDFZCompress]
            pdf_font.ToUnicode = doc.Reference(cmap, "toUnicodeCMap:" + base_font_name)
            pdf_font.FontDescriptor = self.face.addSubsetObjects(doc, base_font_name, subset)
            doc.Reference(pdf_font, internal_name)
            doc.idToObject["BasicFonts"].dict[internal_name] = pdf_font
        del self.state[doc]


def copied_text(text: str, font_name: str) -> str:
    """What ``text`` (shaped or not) set in ``font_name`` copies out of the PDF as."""
    font = pdfmetrics.getFont(font_name)
    if not isinstance(font, CopyOutTTFont):
        return text
    return "".join(font.text_of(ord(ch)) for ch in text)


def _utf16_hex(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


def to_unicode_cmap(name: str, texts: list[str]) -> str:
    """A ToUnicode CMap for a one-byte subset: code ``i`` copies out as ``texts[i]``.

    An empty text is written as ``<>`` (the glyph copies out as nothing).
    """
    entries = [f"<{i:02X}> <{_utf16_hex(t)}>" for i, t in enumerate(texts)]
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo",
        f"<< /Registry ({name})",
        f"/Ordering ({name})",
        "/Supplement 0",
        ">> def",
        f"/CMapName /{name} def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        f"<00> <{len(texts) - 1:02X}>",
        "endcodespacerange",
    ]
    # at most 100 entries per block (PDF Reference, 5.9.2)
    for start in range(0, len(entries), 100):
        block = entries[start : start + 100]
        lines += [f"{len(block)} beginbfchar", *block, "endbfchar"]
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines)


def _pieces(text: str, glyphs: int) -> list[str]:
    """``text`` cut into ``glyphs`` pieces that join back to it (extra glyphs get nothing)."""
    if glyphs <= len(text):
        return [*text[: glyphs - 1], text[glyphs - 1 :]]
    return [text] + [""] * (glyphs - 1)


_SHAPED: dict[tuple[Any, ...], Any] = {}
"""Shaped words by (font, size, text) of their fragments: a paragraph is laid out several times
(fitting, table rows, page splits) and shapes the same words each time."""

_SHAPED_MAX = 50_000


def shape_frag_word(w: Any, *args: Any, **kwargs: Any) -> Any:
    """reportlab's ``shapeFragWord``, with glyphs that copy out as their clusters' text.

    Words in fonts other than :class:`CopyOutTTFont` are left as reportlab
    shapes them. Results are remembered per word (fonts, sizes and text; the
    fragments' other attributes do not change the shaping).
    """
    if args or kwargs or isinstance(w, ShapedFragWord) or any(hasattr(f, "cbDefn") for f, _ in w[1:]):
        return _shape_frag_word(w, *args, **kwargs)
    key = (type(w), *((f.fontName, f.fontSize, s) for f, s in w[1:]))
    hit = _SHAPED.get(key)
    if hit is None:
        new = _shape_frag_word(w)
        if new is w:
            hit = False
        else:
            frags = [f for f, _ in w[1:]]
            index = {id(f): n for n, f in enumerate(frags)}
            if not all(id(item[0]) in index for item in new[1:]):
                return new
            hit = (
                new.__class__,
                new[0],
                [(index[id(f)], s, type(item)) for item in new[1:] for f, s in [item]],
            )
        if len(_SHAPED) >= _SHAPED_MAX:
            _SHAPED.clear()
        _SHAPED[key] = hit
        return new
    if hit is False:
        return w
    cls, width, items = hit
    return cls([width, *(kind((w[1 + n][0], s)) for n, s, kind in items)])


def _shape_frag_word(w: Any, *args: Any, **kwargs: Any) -> Any:
    new = _reportlab_shape(w, *args, **kwargs)
    if new is w or not isinstance(new, ShapedFragWord):
        return new
    text = "".join(s for f, s in w[1:] if not hasattr(f, "cbDefn"))
    items = [i for i in range(1, len(new)) if not hasattr(new[i][0], "cbDefn")]
    if not any(isinstance(pdfmetrics.getFont(new[i][0].fontName), CopyOutTTFont) for i in items):
        return new
    glyphs: list[tuple[int, int, int]] = []  # (item, glyph index in its string, cluster)
    for i in items:
        for g, sd in enumerate(new[i][1].__shapeData__):
            glyphs.append((i, g, sd.cluster))
    starts = sorted({c for _, _, c in glyphs if 0 <= c <= len(text)})
    ends = dict(zip(starts, [*starts[1:], len(text)], strict=True))
    piece: dict[tuple[int, int], str] = {}
    for cluster, run in groupby(glyphs, key=lambda g: g[2]):
        run_glyphs = list(run)
        cluster_text = text[cluster : ends.get(cluster, cluster)] if cluster in ends else ""
        cluster_text = cluster_text.replace(NBSP, " ")  # a no-break space copies as a space
        for (i, g, _), part in zip(run_glyphs, _pieces(cluster_text, len(run_glyphs)), strict=True):
            piece[(i, g)] = part
    for i in items:
        frag, shaped = new[i][0], new[i][1]
        font = pdfmetrics.getFont(frag.fontName)
        if not isinstance(font, CopyOutTTFont):
            continue
        chars: list[str] = []
        data: list[ShapeData] = []
        for g, (ch, sd) in enumerate(zip(shaped, shaped.__shapeData__, strict=True)):
            part = piece.get((i, g), ch)
            width = sd.width
            if sd.x_offset < 0 and sd.x_advance - sd.x_offset > 0:
                # a mark moved left: advance by the shift, so the pen does not jump back right
                width = sd.x_advance - sd.x_offset
            if part != ch or width != sd.width:
                ch = chr(font.variant(ord(ch), part, width))
                sd = sd._replace(width=width)
            chars.append(ch)
            data.append(sd)
        new[i] = (frag, ShapedStr("".join(chars), shapeData=data))
    return new


def shape(text: str, font_name: str, font_size: float) -> str:
    """``text`` shaped by HarfBuzz for a canvas, copying out as ``text`` (a ``ShapedStr``)."""
    word = [pdfmetrics.stringWidth(text, font_name, font_size), (_Frag(font_name, font_size), text)]
    result: str = shape_frag_word(word)[1][1]
    return result


class _Frag:
    """The least of a paragraph fragment that reportlab's shaper reads."""

    def __init__(self, font_name: str, font_size: float) -> None:
        self.fontName = font_name
        self.fontSize = font_size


def _needs_span(text: Any, font: Any) -> bool:
    """Whether glyph positions alone would mislead an extractor about ``text``."""
    if not (isinstance(text, ShapedStr) and isinstance(font, CopyOutTTFont) and text.__shapeData__):
        return False
    if any(sd.x_offset or sd.y_offset for sd in text.__shapeData__):
        return True
    return not all(font.text_of(ord(ch)) for ch in text)


class CopyOutTextObject(PDFTextObject):
    """A text object that puts lines with moved glyphs in ``/ActualText`` spans.

    A line whose glyphs all sit on the pen position and all carry text is
    written as reportlab writes it. A line with a mark HarfBuzz moved, or a
    glyph without text of its own, is wrapped whole in a marked-content span
    holding the line's text, so extractors that rebuild words from glyph
    positions read the text as it was shaped. One span per line, not per
    word: pdfium puts a space between two adjacent spans.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._line_start: int | None = None
        self._line_text: list[str] = []
        self._line_span = False

    def _note(self, text: Any) -> None:
        font = pdfmetrics.getFont(self._fontname)
        self._line_text.append(copied_text(str(text), self._fontname) if text else "")
        self._line_span = self._line_span or _needs_span(text, font)

    def _end_line(self) -> None:
        if self._line_start is not None and self._line_span:
            actual = "".join(self._line_text)
            if any(ord(ch) > 0x7F for ch in actual):  # pdfium drops an ASCII-only span
                self._code.insert(self._line_start, f"/Span <</ActualText <FEFF{_utf16_hex(actual)}>>> BDC")
                self._code.append("EMC")
        self._line_start = None
        self._line_text = []
        self._line_span = False

    def _textOut(self, text: Any, TStar: int = 0) -> None:
        if self._line_start is None:
            self._line_start = len(self._code)
        self._note(text)
        super()._textOut(text, 0)
        if TStar:
            self._end_line()
            self._code.append("T*")

    def textOut(self, text: Any) -> None:
        if self._line_start is None:
            self._line_start = len(self._code)
        self._note(text)
        super().textOut(text)

    def textLine(self, text: Any = "") -> None:
        if self._line_start is None:
            self._line_start = len(self._code)
        self._note(text)
        super().textLine(text)
        self._end_line()

    def getCode(self) -> str:
        self._end_line()
        return str(super().getCode())


_installed = False


def install() -> None:
    """Route reportlab's paragraph shaping through :func:`shape_frag_word` (once).

    Only words set in a :class:`CopyOutTTFont` are changed; any other font is
    shaped exactly as reportlab does.
    """
    global _installed
    if not _installed:
        _paragraph.shapeFragWord = shape_frag_word
        _installed = True
