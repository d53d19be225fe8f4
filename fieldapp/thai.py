"""Thai text, identifiers, phone numbers and name prefixes.

Everything a person types goes through this module before it is stored or
searched:

* digits: Thai (๐–๙) and full-width (０–９) digits are read as ASCII digits;
* national ID (เลขประจำตัวประชาชน): 13 digits with a mod-11 check digit;
* free text: NFC, no control or bidi characters, no vowel or tone mark
  without a consonant to sit on;
* search keys: spellings that look the same on screen compare equal;
* phone numbers: Thai mobile and fixed-line numbers, stored in national form;
* name prefixes (คำนำหน้าชื่อ): a short list plus free text.

Every rejection is a :class:`~fieldapp.errors.ValidationError` with a Thai
message for people, an English one for logs, and a stable ``code``.
"""

from __future__ import annotations

import functools
import operator
import re
import unicodedata
from typing import NamedTuple

from fieldapp.errors import ValidationError

__all__ = [
    "NAME_PREFIXES",
    "NamePrefix",
    "check_text",
    "find_prefix",
    "format_national_id",
    "format_phone",
    "is_valid_national_id",
    "mask_national_id",
    "national_id_check_digit",
    "normalize_digits",
    "normalize_prefix",
    "parse_national_id",
    "parse_phone",
    "search_key",
    "strip_invisible",
    "to_thai_digits",
]

# ---------------------------------------------------------------------------
# Digits and invisible characters
# ---------------------------------------------------------------------------

_THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
_FULLWIDTH_DIGITS = "０１２３４５６７８９"
_ASCII_DIGITS = "0123456789"

_TO_ASCII_DIGITS = str.maketrans(_THAI_DIGITS + _FULLWIDTH_DIGITS, _ASCII_DIGITS + _ASCII_DIGITS)
_TO_THAI_DIGITS = str.maketrans(_ASCII_DIGITS, _THAI_DIGITS)

#: Zero-width and other invisible format characters: ZWSP, ZWNJ, ZWJ, word
#: joiner, BOM / zero-width no-break space, soft hyphen.
INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_STRIP_INVISIBLE = str.maketrans(dict.fromkeys(INVISIBLE_CHARS))

#: Bidi marks, embeddings, overrides and isolates. They can make text display
#: in a different order from the one stored, so free text may not hold them.
BIDI_CONTROLS = frozenset(
    "\u200e\u200f\u061c"
    + "".join(chr(c) for c in range(0x202A, 0x202F))
    # U+2066..U+2069: LRI, RLI, FSI, PDI
    + "".join(chr(c) for c in range(0x2066, 0x206A))
)
_STRIP_BIDI = str.maketrans(dict.fromkeys(BIDI_CONTROLS))


def format_house_code(code: str | None) -> str:
    """A house registration code as printed, ``xxxx-xxxxxx-x`` (11 digits; other text as is).

    The first 4 digits are the registration office that issued it — not a district code."""
    if not code:
        return ""
    return f"{code[:4]}-{code[4:10]}-{code[10]}" if len(code) == 11 and code.isdigit() else code


def normalize_digits(text: str) -> str:
    """Return ``text`` with Thai and full-width digits replaced by ASCII digits."""
    return text.translate(_TO_ASCII_DIGITS)


def to_thai_digits(text: str) -> str:
    """Return ``text`` with ASCII digits replaced by Thai digits (๐–๙)."""
    return text.translate(_TO_THAI_DIGITS)


def strip_invisible(text: str) -> str:
    """Remove zero-width and invisible format characters (see ``INVISIBLE_CHARS``)."""
    return text.translate(_STRIP_INVISIBLE)


def _show_char(ch: str) -> str:
    """A character as people can read it in an error message."""
    cat = unicodedata.category(ch)
    if cat[0] in "CZ" or ch in BIDI_CONTROLS:
        return f"U+{ord(ch):04X}"
    if cat[0] == "M":
        return f"\u25cc{ch} (U+{ord(ch):04X})"
    return f"“{ch}”"


# Separators people put inside numbers: spaces, dots and every kind of dash.
_NUMBER_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015\u2212\ufe63\uff0d]+")

# ---------------------------------------------------------------------------
# National ID (เลขประจำตัวประชาชน)
# ---------------------------------------------------------------------------


_ID_WEIGHTS = range(13, 1, -1)


def national_id_check_digit(first12: str) -> int:
    """Return the check digit for the first 12 digits of a national ID.

    d13 = (11 − Σ d_i × (14 − i) mod 11) mod 10, weights 13 down to 2.
    Thai and full-width digits are accepted. Raises ``ValueError`` when
    ``first12`` is not exactly 12 digits.

    The scheme does not catch every mistyped digit: the third digit has
    weight 11 ≡ 0 (mod 11), so it never changes the check digit, and sums
    ≡ 0 and ≡ 10 (mod 11) both give check digit 1. A passing check digit is
    a guard against most typos, not proof that the number was read right.
    """
    digits = normalize_digits(first12)
    if len(digits) != 12 or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"expected 12 digits, got {first12!r}")
    total = sum(map(operator.mul, map(int, digits), _ID_WEIGHTS))
    return (11 - total % 11) % 10


def _clean_national_id(text: str) -> str:
    cleaned = strip_invisible(normalize_digits(unicodedata.normalize("NFC", text)))
    return _NUMBER_SEPARATORS.sub("", cleaned)


def _national_id_digits(text: str, path: str) -> str:
    """Clean ``text`` and require 13 ASCII digits (the check digit is not checked)."""
    digits = _clean_national_id(text)
    if not digits:
        raise ValidationError(
            "กรุณากรอกเลขประจำตัวประชาชน 13 หลัก",
            "national ID is empty",
            path=path,
            code="national_id.empty",
        )
    bad = next((ch for ch in digits if ch not in _ASCII_DIGITS), None)
    if bad is not None:
        shown = _show_char(bad)
        raise ValidationError(
            f"เลขประจำตัวประชาชนต้องเป็นตัวเลขเท่านั้น (พบ {shown})",
            f"national ID must contain digits only (found {shown})",
            path=path,
            code="national_id.chars",
        )
    if len(digits) != 13:
        raise ValidationError(
            f"เลขประจำตัวประชาชนต้องมี 13 หลัก (กรอกมา {len(digits)} หลัก)",
            f"national ID must have 13 digits (found {len(digits)})",
            path=path,
            code="national_id.length",
        )
    return digits


def is_stored_national_id(value: str) -> bool:
    """True when ``value`` is already a national ID as stored: 13 ASCII digits with the right
    check digit (``parse_national_id(value) == value``), tested without cleaning it first."""
    if len(value) != 13 or not value.isascii() or not value.isdigit():
        return False
    total = sum(map(operator.mul, map(int, value[:12]), _ID_WEIGHTS))
    return (11 - total % 11) % 10 == ord(value[12]) - 48


def parse_national_id(text: str, *, path: str = "") -> str:
    """Read a national ID as typed and return its 13 ASCII digits.

    Spaces, dots, dashes and zero-width characters are ignored; Thai and
    full-width digits are read as ASCII. Raises ``ValidationError`` with code
    ``national_id.empty``, ``national_id.chars``, ``national_id.length`` or
    ``national_id.checksum``.
    """
    digits = _national_id_digits(text, path)
    if national_id_check_digit(digits[:12]) != int(digits[12]):
        raise ValidationError(
            "เลขประจำตัวประชาชนไม่ถูกต้อง (เลขตรวจสอบหลักสุดท้ายไม่ตรง) กรุณาตรวจทานทีละหลักอีกครั้ง",
            "national ID is not valid (wrong check digit)",
            path=path,
            code="national_id.checksum",
        )
    return digits


def is_valid_national_id(text: str) -> bool:
    """True when :func:`parse_national_id` would accept ``text``."""
    try:
        parse_national_id(text)
    except ValidationError:
        return False
    return True


def format_national_id(id13: str) -> str:
    """Format a national ID as printed on the card: ``1-1037-02488-99-2``.

    The input is cleaned like :func:`parse_national_id` but the check digit is
    not checked, so older stored values still display. Raises
    ``ValidationError`` when it is not 13 digits.
    """
    d = _national_id_digits(id13, "")
    return f"{d[0]}-{d[1:5]}-{d[5:10]}-{d[10:12]}-{d[12]}"


def mask_national_id(id13: str) -> str:
    """Format a national ID with the middle hidden: ``1-1037-xxxxx-xx-2``.

    Keeps the first five digits (person type and registration office) and the
    check digit; for lists, printouts and logs where the full number is not
    needed.
    """
    d = _national_id_digits(id13, "")
    return f"{d[0]}-{d[1:5]}-xxxxx-xx-{d[12]}"


# ---------------------------------------------------------------------------
# Free text
# ---------------------------------------------------------------------------

#: Thai vowel and tone marks written above or below a consonant.
THAI_MARKS = frozenset(
    "\u0e31"
    + "".join(chr(c) for c in range(0x0E34, 0x0E3B))  # sara i .. phinthu
    + "".join(chr(c) for c in range(0x0E47, 0x0E4F))  # maitaikhu .. yamakkan
)

# Thai characters a mark may sit on: consonants ก–ฮ and the vowels ะ า ำ.
# Leading vowels (เ แ โ ใ ไ), ฯ, ๆ, ฿ and Thai digits never carry a mark.
_THAI_BASES = frozenset(chr(c) for c in range(0x0E01, 0x0E2F)) | frozenset("\u0e30\u0e32\u0e33")

# Variation selectors attach to emoji and symbols; they are never orphans.
_VARIATION_SELECTORS = frozenset(chr(c) for c in range(0xFE00, 0xFE10)) | frozenset(
    chr(c) for c in range(0xE0100, 0xE01F0)
)

# Whitespace stripped from both ends of free text. Control characters other
# than these (and the Unicode spaces) are rejected, never silently removed.
_SURROUNDING_SPACE = " \t\n\r\x0b\x0c\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
_SURROUNDING_SPACE += "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"

_WHITESPACE_RUN = re.compile(r"\s+")


def _first_orphan_mark(text: str) -> int | None:
    """Index of the first combining mark with nothing proper to sit on, or None."""
    base: str | None = None  # the character the current run of marks sits on
    for i, ch in enumerate(text):
        is_thai_mark = ch in THAI_MARKS
        cat = unicodedata.category(ch)
        if not is_thai_mark and cat[0] != "M":
            base = ch
            continue
        if ch in _VARIATION_SELECTORS or cat in ("Mc", "Me"):
            continue
        if base is None or not unicodedata.category(base).startswith("L"):
            return i
        if is_thai_mark and base not in _THAI_BASES:
            return i
    return None


def check_text(text: str, *, multiline: bool = False, max_length: int | None = None, path: str = "") -> str:
    """Clean free text and check it is safe to store; return the cleaned text.

    Cleaning: NFC, surrounding whitespace stripped; in single-line mode runs
    of whitespace become one space; in multiline mode ``\\r\\n`` and ``\\r``
    become ``\\n``. Zero-width characters are kept: in Thai they can be
    intentional word breaks.

    Raises ``ValidationError`` for:

    * ``text.control``: NUL or another C0/C1 control character (``\\n`` and
      ``\\t`` are allowed only when ``multiline``), or a lone surrogate;
    * ``text.bidi``: bidi marks, embeddings, overrides or isolates;
    * ``text.orphan_mark``: a vowel or tone mark (Thai or any other combining
      mark) at the start, after a space, punctuation, a digit or another
      non-letter, or a Thai mark after a character that is not a Thai
      consonant (or ะ า ำ);
    * ``text.too_long``: more than ``max_length`` code points after cleaning
      (Thai vowel and tone marks count as code points).
    """
    s = unicodedata.normalize("NFC", text)
    if multiline:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    s = s.strip(_SURROUNDING_SPACE)

    allowed_controls = "\n\t" if multiline else ""
    for ch in s:
        cat = unicodedata.category(ch)
        if (cat == "Cc" and ch not in allowed_controls) or cat == "Cs":
            shown = _show_char(ch)
            if ch in "\n\t\r":
                th = f"ช่องนี้รับข้อความบรรทัดเดียว ห้ามขึ้นบรรทัดใหม่หรือใช้แท็บ ({shown})"
                en = f"single-line text may not contain line breaks or tabs ({shown})"
            else:
                th = f"ข้อความมีอักขระควบคุมที่ไม่อนุญาต ({shown})"
                en = f"text contains a control character ({shown})"
            raise ValidationError(th, en, path=path, code="text.control")
        if ch in BIDI_CONTROLS:
            shown = _show_char(ch)
            raise ValidationError(
                f"ข้อความมีอักขระควบคุมทิศทางที่มองไม่เห็น ({shown}) กรุณาพิมพ์ใหม่",
                f"text contains a bidi control character ({shown})",
                path=path,
                code="text.bidi",
            )

    if not multiline:
        s = _WHITESPACE_RUN.sub(" ", s)

    orphan = _first_orphan_mark(s)
    if orphan is not None:
        shown = _show_char(s[orphan])
        raise ValidationError(
            f"ข้อความมีสระหรือวรรณยุกต์ที่ไม่มีพยัญชนะนำ {shown} ที่ตำแหน่ง {orphan + 1} กรุณาพิมพ์คำนั้นใหม่",
            f"text has a vowel or tone mark without a base character {shown} at position {orphan + 1}",
            path=path,
            code="text.orphan_mark",
        )

    if max_length is not None and len(s) > max_length:
        raise ValidationError(
            f"ข้อความยาวเกินกำหนด: ได้ไม่เกิน {max_length} ตัวอักษร (กรอกมา {len(s)})",
            f"text is too long: at most {max_length} characters (got {len(s)})",
            path=path,
            code="text.too_long",
        )
    return s


@functools.lru_cache(maxsize=8192)
def _checked_text(text: str, multiline: bool, max_length: int | None) -> str | ValidationError:
    try:
        return check_text(text, multiline=multiline, max_length=max_length)
    except ValidationError as exc:
        return exc


def check_text_cached(text: str, multiline: bool = False, max_length: int | None = None) -> str:
    """``check_text`` remembered for recent texts: names, villages and occupations repeat a lot."""
    if len(text) > 200:  # long free text rarely repeats; keep the cache small
        return check_text(text, multiline=multiline, max_length=max_length)
    result = _checked_text(text, multiline, max_length)
    if isinstance(result, ValidationError):
        raise ValidationError(result.message, result.message_en, path=result.path, code=result.code)
    return result


# ---------------------------------------------------------------------------
# Search keys
# ---------------------------------------------------------------------------

_SARA_AM = "\u0e33"
_NIKHAHIT = "\u0e4d"
_SARA_AA = "\u0e32"
_TONE_MARKS = "\u0e48\u0e49\u0e4a\u0e4b"
_THAI_MARK_CLASS = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"

# nikhahit (+ tone marks typed in between) + sara aa -> tone marks + sara am
_SPLIT_SARA_AM = re.compile(f"{_NIKHAHIT}([{_TONE_MARKS}]*){_SARA_AA}")
# a consonant, its marks, an optional sara am and marks typed after the sara am
_THAI_CLUSTER = re.compile(f"([\u0e01-\u0e2e])([{_THAI_MARK_CLASS}]*)({_SARA_AM}?)([{_THAI_MARK_CLASS}]*)")


def _mark_rank(ch: str) -> int:
    """Canonical order of Thai marks in a cluster: vowels, then tones, then the rest."""
    if ch in _TONE_MARKS:
        return 2
    if ch in "\u0e4c\u0e4d\u0e4e":  # thanthakhat, nikhahit, yamakkan
        return 3
    if ch == "\u0e47":  # maitaikhu takes the place of a vowel
        return 1
    return 0  # above and below vowels, phinthu


def _reorder_cluster(m: re.Match[str]) -> str:
    base, before, am, after = m.groups()
    marks = sorted(before + after, key=_mark_rank)
    deduped = [ch for i, ch in enumerate(marks) if i == 0 or ch != marks[i - 1]]
    return base + "".join(deduped) + am


def search_key(text: str) -> str:
    """Return the key used to search ``text`` so that look-alike spellings match.

    NFC; zero-width and bidi characters removed; digits as ASCII; casefolded;
    whitespace collapsed and trimmed; nikhahit + sara aa (ํา) read as sara am
    (ำ); within each Thai cluster the marks put in canonical order (vowel
    before tone mark, tone mark before ำ) with repeated marks dropped. So
    ``"ที่"`` typed as ท ่ ี and ``"น้ำ"`` typed as น ํ ้ า both match.
    """
    if text.isascii() and text.isalnum():  # ID numbers, house numbers, plain Latin words
        return text.lower()
    return _search_key(text)


@functools.lru_cache(maxsize=16384)
def _search_key(text: str) -> str:
    s = unicodedata.normalize("NFC", text)
    s = strip_invisible(s).translate(_STRIP_BIDI)
    s = normalize_digits(s).casefold()
    s = unicodedata.normalize("NFC", s)
    s = _WHITESPACE_RUN.sub(" ", s).strip()
    # Reordering can bring ํ next to า and joining them can leave marks after
    # the new ำ, so repeat until nothing changes (each join shortens the text).
    while True:
        s = _THAI_CLUSTER.sub(_reorder_cluster, s)
        joined = _SPLIT_SARA_AM.sub(lambda m: m.group(1) + _SARA_AM, s)
        if joined == s:
            return s
        s = joined


# ---------------------------------------------------------------------------
# Phone numbers
# ---------------------------------------------------------------------------

_PHONE_SEPARATORS = re.compile(r"[\s.()\-\u2010-\u2015\u2212\ufe63\uff0d]+")
_MOBILE = re.compile(r"0[689]\d{8}")
_FIXED = re.compile(r"0[2-57]\d{7}")

_PHONE_EXAMPLES_TH = "เช่น 081-234-5678 หรือ 02-123-4567"
_PHONE_EXAMPLES_EN = "e.g. 081-234-5678 or 02-123-4567"


def parse_phone(text: str, *, path: str = "") -> str:
    """Read a Thai phone number as typed; return it in national form.

    Accepts spaces, dots, dashes, parentheses, Thai and full-width digits and
    an international prefix (``+66``, ``66``, ``0066``, also ``+66 (0)...``).
    Returns the national number with its leading 0: mobile ``0[689]`` + 8
    digits (10 digits), fixed line ``02`` + 7 digits or ``0[3457]x`` + 6
    digits (9 digits). Extensions and short codes are not phone numbers here.

    Raises ``ValidationError`` with code ``phone.empty``, ``phone.chars``,
    ``phone.country``, ``phone.prefix`` or ``phone.length``.
    """
    s = strip_invisible(normalize_digits(unicodedata.normalize("NFC", text)))
    s = _PHONE_SEPARATORS.sub("", s)
    if not s:
        raise ValidationError(
            "กรุณากรอกหมายเลขโทรศัพท์",
            "phone number is empty",
            path=path,
            code="phone.empty",
        )
    plus = s.startswith("+")
    digits = s[1:] if plus else s
    bad = next((ch for ch in digits if ch not in _ASCII_DIGITS), None)
    if bad is not None or not digits:
        shown = _show_char(bad) if bad is not None else "“+”"
        raise ValidationError(
            f"หมายเลขโทรศัพท์ต้องเป็นตัวเลขเท่านั้น (พบ {shown})",
            f"phone number must contain digits only (found {shown})",
            path=path,
            code="phone.chars",
        )
    # International form: +66..., 0066..., or 66... longer than any national
    # number. Drop the country code (and a trunk 0 written as "+66 (0)81...").
    international = plus or digits.startswith("00")
    if international:
        digits = digits if plus else digits[2:]
        if not digits.startswith("66"):
            raise ValidationError(
                "รองรับเฉพาะหมายเลขโทรศัพท์ในประเทศไทย (+66)",
                "only Thai phone numbers (+66) are supported",
                path=path,
                code="phone.country",
            )
    if digits.startswith("66") and (international or len(digits) > 9):
        digits = "0" + digits[2:].removeprefix("0")

    if len(digits) < 2 or digits[0] != "0" or digits[1] not in "23456789":
        raise ValidationError(
            f"หมายเลขโทรศัพท์ต้องขึ้นต้นด้วย 0 ตามด้วย 2–9 {_PHONE_EXAMPLES_TH}",
            f"phone number must start with 0 followed by 2-9, {_PHONE_EXAMPLES_EN}",
            path=path,
            code="phone.prefix",
        )
    if digits[1] in "689":
        if _MOBILE.fullmatch(digits):
            return digits
        raise ValidationError(
            f"หมายเลขโทรศัพท์มือถือต้องมี 10 หลัก (กรอกมา {len(digits)} หลัก) เช่น 081-234-5678",
            f"mobile numbers have 10 digits (got {len(digits)}), e.g. 081-234-5678",
            path=path,
            code="phone.length",
        )
    if _FIXED.fullmatch(digits):
        return digits
    raise ValidationError(
        f"หมายเลขโทรศัพท์บ้าน/สำนักงานต้องมี 9 หลัก (กรอกมา {len(digits)} หลัก) เช่น 02-123-4567 หรือ 053-123-456",
        f"fixed-line numbers have 9 digits (got {len(digits)}), e.g. 02-123-4567",
        path=path,
        code="phone.length",
    )


def format_phone(phone: str, *, international: bool = False) -> str:
    """Format a Thai phone number for display.

    ``081-234-5678`` (mobile), ``02-123-4567`` (Bangkok), ``053-123-456``
    (other fixed lines); with ``international=True`` ``+66 81 234 5678``.
    The input is read with :func:`parse_phone` (and may raise its errors).
    """
    p = parse_phone(phone)
    if len(p) == 10:
        groups = [p[:3], p[3:6], p[6:]]
    elif p[1] == "2":
        groups = [p[:2], p[2:5], p[5:]]
    else:
        groups = [p[:3], p[3:6], p[6:]]
    if international:
        return " ".join(["+66", groups[0][1:], *groups[1:]])
    return "-".join(groups)


# ---------------------------------------------------------------------------
# Name prefixes (คำนำหน้าชื่อ)
# ---------------------------------------------------------------------------


class NamePrefix(NamedTuple):
    """A name prefix: internal code, Thai full form, English, Thai abbreviation.

    ``thai_abbrev`` is empty when the prefix has no usual abbreviation. The
    codes are this project's own, not the M-Society numeric codes.
    """

    code: str
    thai: str
    english: str
    thai_abbrev: str


NAME_PREFIXES: tuple[NamePrefix, ...] = (
    NamePrefix("mr", "นาย", "Mr.", ""),
    NamePrefix("mrs", "นาง", "Mrs.", ""),
    NamePrefix("miss", "นางสาว", "Miss", "น.ส."),
    NamePrefix("boy", "เด็กชาย", "Master", "ด.ช."),
    NamePrefix("girl", "เด็กหญิง", "Miss", "ด.ญ."),
    NamePrefix("dr", "ดร.", "Dr.", "ดร."),
    NamePrefix("monk", "พระภิกษุ", "Phra", "พระ"),
    NamePrefix("novice", "สามเณร", "Novice", "ส.ณ."),
    NamePrefix("nun", "แม่ชี", "Mae Chi", ""),
    NamePrefix("acting_sub_lt", "ว่าที่ร้อยตรี", "Acting Sub Lt.", "ว่าที่ ร.ต."),
    NamePrefix("acting_sub_lt_f", "ว่าที่ร้อยตรีหญิง", "Acting Sub Lt.", "ว่าที่ ร.ต.หญิง"),
    NamePrefix("sub_lt", "ร้อยตรี", "Sub Lt.", "ร.ต."),
    NamePrefix("sgt_maj", "จ่าสิบเอก", "Sgt. Maj. 1st Class", "จ.ส.อ."),
    NamePrefix("pol_sen_sgt_maj", "ดาบตำรวจ", "Pol. Sen. Sgt. Maj.", "ด.ต."),
)

# Other spellings people use; keys go through _prefix_key.
_PREFIX_ALIASES: dict[str, str] = {
    "ดอกเตอร์": "ดร.",
    "พระ": "พระภิกษุ",
    "เณร": "สามเณร",
    "mr": "นาย",
    "mrs": "นาง",
    "ms": "นางสาว",
    "miss": "นางสาว",
    "master": "เด็กชาย",
    "dr": "ดร.",
}


def _prefix_key(text: str) -> str:
    return re.sub(r"[\s.]", "", search_key(text))


def _build_prefix_index() -> dict[str, NamePrefix]:
    index: dict[str, NamePrefix] = {}
    for p in NAME_PREFIXES:
        index.setdefault(_prefix_key(p.thai), p)
        if p.thai_abbrev:
            index.setdefault(_prefix_key(p.thai_abbrev), p)
    by_thai = {p.thai: p for p in NAME_PREFIXES}
    for alias, thai in _PREFIX_ALIASES.items():
        index[_prefix_key(alias)] = by_thai[thai]
    return index


_PREFIX_BY_KEY = _build_prefix_index()


def find_prefix(text: str) -> NamePrefix | None:
    """The known prefix written as ``text`` (full form, abbreviation with or
    without dots, or English), or None."""
    return _PREFIX_BY_KEY.get(_prefix_key(text))


def normalize_prefix(text: str, *, path: str = "") -> str:
    """Return a name prefix in its full Thai form.

    ``"ด.ช."``, ``"ดช"`` and ``"เด็กชาย"`` all give ``"เด็กชาย"``; ``"น.ส."``
    gives ``"นางสาว"``. Text that is not a known prefix is kept as typed after
    :func:`check_text` (single line, at most 100 characters); empty gives "".
    """
    cleaned = check_text(text, max_length=100, path=path)
    if not cleaned:
        return ""
    known = find_prefix(cleaned)
    return known.thai if known is not None else cleaned


_PREFIX_BY_CODE = {p.code: p for p in NAME_PREFIXES}


def person_name(
    prefix: str | None, first: str | None, last: str | None = "", *, lang: str = "th", other: str | None = ""
) -> str:
    """A person's name with the title, as written in ``lang``.

    ``prefix`` is a prefix code of the forms (``mr``, ``mrs``, ``boy``...; ``other`` takes the
    typed ``other``) or a title as written. Thai writes the title against the name (นางกัญญารัตน์);
    English uses the English title and a space (``Mrs. กัญญารัตน์``, ``Master เฉลิม``), never the
    description of a choice such as "Master (boy under 15)".
    """
    name = " ".join(p for p in (str(first or "").strip(), str(last or "").strip()) if p)
    if prefix == "other":
        title = str(other or "").strip()
    else:
        known = _PREFIX_BY_CODE.get(str(prefix or "")) or (find_prefix(str(prefix)) if prefix else None)
        title = (known.english if lang == "en" else known.thai) if known else str(prefix or "").strip()
    if not title:
        return name
    if not name:
        return title
    return f"{title} {name}" if lang == "en" else f"{title}{name}"
