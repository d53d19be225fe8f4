"""Thai text for reportlab: word-boundary break points and HarfBuzz-shaped strings.

reportlab breaks lines only at spaces and knows nothing about Thai words,
which are written without spaces. :func:`breakable_markup` finds the word
boundaries with PyThaiNLP's ``newmm`` segmenter (dictionary bundled, works
offline) and puts a zero-width-looking space (:data:`BREAK`, set in the
break-point font that copies out as nothing) at each one, so lines break
between words and never inside one.

Canvas and chart text does not go through a Paragraph, so it is shaped with
:func:`shape` (HarfBuzz, through :mod:`fieldapp.reports.copyout` so it copies
out as the text it was shaped from) before it is drawn; without that, tone
marks sit on top of upper vowels.
"""

from __future__ import annotations

import re
from functools import lru_cache
from xml.sax.saxutils import escape

from pythainlp.tokenize import word_dict_trie, word_tokenize
from pythainlp.tokenize.tcc import tcc_pos
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import ShapedStr

from fieldapp.reports import copyout

BREAK = f'<font name="{copyout.BREAK_FONT}" size="0.01"> </font>'
"""A break opportunity between two Thai words: a space too small to see, copying out as nothing."""

LEADING_VOWELS = frozenset("เแโใไ")
"""Vowels written before their consonant: a line never ends after one."""

COMBINING = frozenset(
    "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4d\u0e4e"
)
"""Upper and lower vowels, tone marks and other marks: a line never starts with one."""

FOLLOWERS = frozenset("ะาำๅๆฯ") | COMBINING
"""Characters that belong to what precedes them: never break before one."""


def is_thai(ch: str) -> bool:
    return "\u0e00" <= ch <= "\u0e7f"


def _is_thai_letter(ch: str) -> bool:
    return is_thai(ch) and not ("\u0e50" <= ch <= "\u0e59")


def _is_digit(ch: str) -> bool:
    return ch.isdigit() or "\u0e50" <= ch <= "\u0e59"


def may_break_between(left: str, right: str) -> bool:
    """Whether a line may break between two adjacent characters with no space between them.

    Only word boundaries that touch Thai text become break points: Latin
    words, numbers such as ``12/3`` or ``1,250.50`` and punctuation keep
    their usual behaviour (they break only at real spaces).
    """
    if not left or not right:
        return False
    if right in FOLLOWERS or left in LEADING_VOWELS:
        return False
    if _is_digit(left) and _is_digit(right):
        return False
    left_thai, right_thai = _is_thai_letter(left), _is_thai_letter(right)
    if left_thai and right_thai:
        return True
    if left in "-/" and right_thai:
        return True  # after the hyphen or slash in ปวส.-อนุปริญญา, บิดา-มารดา
    if left_thai and ((right.isascii() and right.isalnum()) or _is_digit(right)):
        return True
    return right_thai and ((left.isascii() and left.isalnum()) or _is_digit(left))


LONG_WORD = 12
"""Dictionary words this long (in code points) are split again into shorter words.

The dictionary holds long compounds (องค์การบริหารส่วนตำบล); without a
break inside them they overflow narrow table columns. Breaking a compound
between its parts is ordinary Thai typesetting.
"""


def split_compound(word: str) -> list[str]:
    """``word`` as the fewest shorter dictionary words, or whole if there is no such split.

    Cuts fall only on Thai character-cluster boundaries, so never inside a
    syllable; parts still :data:`LONG_WORD` long are split again.
    """
    trie = word_dict_trie()
    n = len(word)
    cuts = tcc_pos(word)
    best: list[list[str] | None] = [None] * (n + 1)
    best[n] = []
    for i in range(n - 1, -1, -1):
        if i and i not in cuts:
            continue
        for prefix in trie.prefixes(word, i):
            j = i + len(prefix)
            rest = best[j]
            if (i, j) == (0, n) or rest is None or (j < n and j not in cuts):
                continue
            current = best[i]
            if current is None or len(rest) + 1 <= len(current):  # ties: longer first word
                best[i] = [prefix, *rest]
    parts = best[0]
    if not parts:
        return [word]
    out: list[str] = []
    for part in parts:
        out.extend(split_compound(part) if len(part) >= LONG_WORD else [part])
    return out


@lru_cache(maxsize=8192)
def segment(text: str) -> tuple[str, ...]:
    """Thai word segmentation (PyThaiNLP ``newmm``); the pieces join back to ``text``.

    Words of :data:`LONG_WORD` code points or more are split again with
    :func:`split_compound`.
    """
    if not any(is_thai(ch) for ch in text):
        return (text,)
    pieces: list[str] = []
    for word in word_tokenize(text, engine="newmm", keep_whitespace=True):
        if len(word) >= LONG_WORD and all(is_thai(ch) for ch in word):
            pieces.extend(split_compound(word))
        else:
            pieces.append(word)
    return tuple(pieces)


def break_points(text: str) -> list[int]:
    """Offsets in ``text`` where :func:`breakable_markup` allows a line break (no space there)."""
    points: list[int] = []
    pos = 0
    pieces = segment(text)
    for i, piece in enumerate(pieces):
        pos += len(piece)
        if i + 1 < len(pieces) and may_break_between(piece[-1:], pieces[i + 1][:1]):
            points.append(pos)
    return points


NBSP = "\u00a0"

_DIGIT = "0-9\u0e50-\u0e59"
_NUMBER_THEN_WORD = re.compile(rf"(?<=[{_DIGIT}%)])[ ]+(?=[\u0e01-\u0e2e\u0e40-\u0e44(])")
"""A space between a number and the Thai word after it (38,000 บาท, 1 คน, 15 % ของ …)."""

NUMBER_LABELS = (
    "ข้อ",
    "ที่",
    "หน้า",
    "ร้อยละ",
    "อันดับ",
    "หมู่",
    "ม.",
    "รอบ",
    "ปี",
    "พ.ศ.",
    "ค.ศ.",
    "อายุ",
    "จำนวน",
    "รวม",
    "เดือน",
)
"""Words that read as one with the number after them (ข้อ 15–17, หมู่ที่ 7, พ.ศ. 2568)."""

_LABEL_THEN_NUMBER = re.compile(
    "("
    + "|".join(re.escape(w) for w in sorted(NUMBER_LABELS, key=len, reverse=True))
    + rf")[ ]+(?=[{_DIGIT}])"
)


def keep_numbers_together(text: str) -> str:
    """``text`` with no-break spaces that keep a number with its unit and its label.

    A line never ends between "38,000" and "บาท", "1" and "คน", or "ข้อ" and
    "15–17)". Only spaces are changed; no-break spaces print as spaces and
    copy out as spaces.
    """
    if not any(ch.isdigit() for ch in text):
        return text
    text = _NUMBER_THEN_WORD.sub(NBSP, text)
    return _LABEL_THEN_NUMBER.sub(lambda m: m.group(1) + NBSP, text)


@lru_cache(maxsize=8192)
def breakable_markup(text: str) -> str:
    """``text`` escaped for a reportlab Paragraph, with break points between Thai words.

    Newlines become ``<br/>``. A number stays on one line with its unit and
    its label (:func:`keep_numbers_together`).
    """
    lines = keep_numbers_together(text).split("\n")
    out: list[str] = []
    for line in lines:
        points = break_points(line)
        parts: list[str] = []
        start = 0
        for p in points:
            parts.append(escape(line[start:p]))
            start = p
        parts.append(escape(line[start:]))
        out.append(BREAK.join(parts))
    return "<br/>".join(out)


def plain_markup(text: str) -> str:
    """``text`` escaped for a Paragraph with no added break points (names, codes).

    A number still stays with its unit and label (:func:`keep_numbers_together`).
    """
    return "<br/>".join(escape(line) for line in keep_numbers_together(text).split("\n"))


def shape(text: str, font_name: str, font_size: float) -> str:
    """``text`` shaped by HarfBuzz for drawing on a canvas or in a chart.

    The result is a ``ShapedStr`` that ``canvas.drawString`` and graphics
    ``String`` draw with the glyphs and offsets HarfBuzz chose.
    """
    if not text:
        return text
    return copyout.shape(text, font_name, font_size)


def text_width(text: str, font_name: str, font_size: float) -> float:
    """Width in points of ``text`` (shaped or not) in the given font."""
    if isinstance(text, ShapedStr):
        data = text.__shapeData__
        if data:
            return float(sum(d.x_advance for d in data)) * font_size / 1000.0
    return float(pdfmetrics.stringWidth(text, font_name, font_size))
