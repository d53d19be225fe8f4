"""Tests for fieldapp.thai: digits, national ID, free text, search keys, phones, prefixes."""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldapp.errors import ValidationError
from fieldapp.thai import (
    BIDI_CONTROLS,
    INVISIBLE_CHARS,
    NAME_PREFIXES,
    THAI_MARKS,
    check_text,
    find_prefix,
    format_national_id,
    format_phone,
    is_stored_national_id,
    is_valid_national_id,
    mask_national_id,
    national_id_check_digit,
    normalize_digits,
    normalize_prefix,
    parse_national_id,
    parse_phone,
    search_key,
    strip_invisible,
    to_thai_digits,
)

VALID_ID = "1103702488992"
FEW = settings(max_examples=200, deadline=None)

# Thai mark code points
MAI_EK = "\u0e48"  # ่
MAI_THO = "\u0e49"  # ้
SARA_I = "\u0e34"  # ิ
SARA_II = "\u0e35"  # ี
SARA_AM = "\u0e33"  # ำ
NIKHAHIT = "\u0e4d"  # ํ
SARA_AA = "\u0e32"  # า


@contextmanager
def raises(code: str, fragment: str) -> Iterator[pytest.ExceptionInfo[ValidationError]]:
    """Expect a ValidationError with this code whose Thai message contains fragment."""
    with pytest.raises(ValidationError) as info:
        yield info
    assert info.value.code == code, info.value.message_en
    assert fragment in info.value.message, info.value.message
    assert info.value.message_en


# ---------------------------------------------------------------------------
# Digits and invisible characters
# ---------------------------------------------------------------------------


def test_normalize_digits_thai_and_fullwidth() -> None:
    assert normalize_digits("๐๑๒๓๔๕๖๗๘๙") == "0123456789"
    assert normalize_digits("０１２３４５６７８９") == "0123456789"
    assert normalize_digits("บ้านเลขที่ ๑๒/๓ ม.๔") == "บ้านเลขที่ 12/3 ม.4"


def test_to_thai_digits() -> None:
    assert to_thai_digits("15/02/2566") == "๑๕/๐๒/๒๕๖๖"
    assert to_thai_digits("abc") == "abc"


@FEW
@given(st.text())
def test_digit_round_trip(text: str) -> None:
    assert normalize_digits(to_thai_digits(normalize_digits(text))) == normalize_digits(text)
    assert not any(ch in "0123456789" for ch in to_thai_digits(text))


def test_strip_invisible() -> None:
    assert strip_invisible("ก\u200bข\u200cค\u200dง\u2060จ\ufeffฉ\u00adช") == "กขคงจฉช"
    assert strip_invisible("no change") == "no change"


# ---------------------------------------------------------------------------
# National ID
# ---------------------------------------------------------------------------

twelve_digits = st.text(alphabet="0123456789", min_size=12, max_size=12)


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    first12 = draw(twelve_digits)
    return first12 + str(national_id_check_digit(first12))


def test_check_digit_known_example() -> None:
    assert national_id_check_digit(VALID_ID[:12]) == 2
    assert national_id_check_digit("๑๑๐๓๗๐๒๔๘๘๙๙") == 2


@pytest.mark.parametrize("bad", ["", "12345678901", "1234567890123", "12345678901a"])
def test_check_digit_needs_12_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        national_id_check_digit(bad)


@FEW
@given(valid_ids())
def test_any_12_digits_with_check_digit_parse(id13: str) -> None:
    assert parse_national_id(id13) == id13
    assert is_valid_national_id(id13)


@FEW
@given(valid_ids(), st.integers(0, 12), st.integers(1, 9))
def test_changing_one_digit(id13: str, pos: int, delta: int) -> None:
    """A changed digit is caught except where the mod-11 scheme cannot see it.

    Digit 3 has weight 11 ≡ 0, and sums ≡ 0 and ≡ 10 (mod 11) share check
    digit 1; every other single-digit change must be rejected.
    """
    changed = id13[:pos] + str((int(id13[pos]) + delta) % 10) + id13[pos + 1 :]

    def weighted(s: str) -> int:
        return sum(int(d) * (13 - i) for i, d in enumerate(s[:12])) % 11

    blind = pos == 2 or {weighted(id13), weighted(changed)} == {0, 10}
    assert is_valid_national_id(changed) == blind
    if not blind:
        with raises("national_id.checksum", "เลขตรวจสอบหลักสุดท้ายไม่ตรง"):
            parse_national_id(changed)


def test_changing_the_check_digit_is_always_caught() -> None:
    for v in "0123456789":
        if v != VALID_ID[12]:
            assert not is_valid_national_id(VALID_ID[:12] + v)


def test_check_digit_blind_spot_at_digit_3() -> None:
    # Documented weakness of the official scheme, kept here so it stays known.
    assert is_valid_national_id("11" + "9" + VALID_ID[3:])


separators = st.sampled_from(["", " ", "-", ".", "\u200b", "\ufeff", " - ", "\u2013", "\u00a0"])


@FEW
@given(valid_ids(), st.data())
def test_written_forms_parse_back(id13: str, data: st.DataObject) -> None:
    seps = data.draw(st.lists(separators, min_size=14, max_size=14))
    laced = seps[0] + "".join(d + s for d, s in zip(id13, seps[1:], strict=True))
    fullwidth = "".join(chr(ord(d) - ord("0") + 0xFF10) for d in id13)
    for written in (
        id13,
        format_national_id(id13),
        to_thai_digits(format_national_id(id13)),
        " ".join(id13),
        laced,
        to_thai_digits(laced),
        fullwidth,
        f"  {id13}\n",
    ):
        assert parse_national_id(written) == id13


def test_national_id_empty() -> None:
    for blank in ("", "   ", " - - ", "\u200b"):
        with raises("national_id.empty", "กรุณากรอกเลขประจำตัวประชาชน"):
            parse_national_id(blank)


@pytest.mark.parametrize("text", ["11037O2488992", "1103702488992x", "1/1037/02488/99/2"])
def test_national_id_chars(text: str) -> None:
    with raises("national_id.chars", "ต้องเป็นตัวเลขเท่านั้น"):
        parse_national_id(text)


@pytest.mark.parametrize(("text", "found"), [("110370248899", 12), ("11037024889921", 14)])
def test_national_id_length_says_how_many(text: str, found: int) -> None:
    with raises("national_id.length", f"ต้องมี 13 หลัก (กรอกมา {found} หลัก)") as info:
        parse_national_id(text)
    assert str(found) in info.value.message_en


def test_national_id_checksum() -> None:
    with raises("national_id.checksum", "เลขประจำตัวประชาชนไม่ถูกต้อง") as info:
        parse_national_id("1103702488993", path="member.national_id")
    assert info.value.path == "member.national_id"
    assert "check digit" in info.value.message_en


def test_format_and_mask() -> None:
    assert format_national_id(VALID_ID) == "1-1037-02488-99-2"
    assert mask_national_id(VALID_ID) == "1-1037-xxxxx-xx-2"
    assert mask_national_id("1-1037-02488-99-2") == "1-1037-xxxxx-xx-2"
    with raises("national_id.length", "13 หลัก"):
        format_national_id("123")


# ---------------------------------------------------------------------------
# Free text
# ---------------------------------------------------------------------------


def test_check_text_cleans() -> None:
    assert check_text("  สมชาย   ใจดี \t") == "สมชาย ใจดี"
    assert check_text("บรรทัดหนึ่ง\r\nบรรทัดสอง\t", multiline=True) == "บรรทัดหนึ่ง\nบรรทัดสอง"
    assert check_text("a\tb\n\nc", multiline=True) == "a\tb\n\nc"
    assert check_text("") == ""
    # NFC: e + combining acute becomes é
    assert check_text("cafe\u0301") == "caf\u00e9"


def test_check_text_keeps_zero_width_word_breaks() -> None:
    assert check_text("ข้อมูล\u200bครัวเรือน") == "ข้อมูล\u200bครัวเรือน"


@pytest.mark.parametrize("text", ["ที่", "น้ำ", "ศักดิ์", "ก็", "กรุงเทพฯ", "ผู้ใหญ่บ้าน", "❤️", "ñandú", "Zoë"])
def test_check_text_accepts_real_words(text: str) -> None:
    assert check_text(text) == unicodedata.normalize("NFC", text)


@pytest.mark.parametrize("ch", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f"])
@pytest.mark.parametrize("multiline", [False, True])
def test_check_text_rejects_control_characters(ch: str, multiline: bool) -> None:
    with raises("text.control", "อักขระควบคุม"):
        check_text(f"ab{ch}cd", multiline=multiline)


@pytest.mark.parametrize("ch", ["\n", "\t", "\r"])
def test_single_line_rejects_line_breaks_and_tabs(ch: str) -> None:
    with raises("text.control", "บรรทัดเดียว"):
        check_text(f"ab{ch}cd")


@pytest.mark.parametrize("ch", sorted(BIDI_CONTROLS))
def test_check_text_rejects_bidi_controls(ch: str) -> None:
    with raises("text.bidi", "ควบคุมทิศทาง"):
        check_text(f"abc{ch}def", multiline=True)


@pytest.mark.parametrize(
    ("text", "position"),
    [
        (MAI_EK + "กา", 1),  # tone mark at the start
        ("ก " + SARA_I, 3),  # vowel after a space
        ("ก," + MAI_THO, 3),  # after punctuation
        ("12" + SARA_II, 3),  # after a digit
        ("a" + MAI_EK, 2),  # Thai mark on a Latin letter
        ("เ" + MAI_EK, 2),  # Thai mark on a leading vowel
        ("\u0301abc", 1),  # any combining mark at the start
        ("ab \u0301", 4),  # any combining mark after a space
        ("x\u200b" + MAI_EK, 3),  # zero-width space splits the cluster
    ],
)
def test_check_text_rejects_orphan_marks(text: str, position: int) -> None:
    with raises("text.orphan_mark", "ไม่มีพยัญชนะนำ") as info:
        check_text(text)
    assert f"ตำแหน่ง {position}" in info.value.message


def test_check_text_max_length_counts_code_points_after_cleaning() -> None:
    assert check_text("  ที่  ", max_length=3) == "ที่"
    with raises("text.too_long", "ไม่เกิน 3 ตัวอักษร"):
        check_text("ที่ดิน", max_length=3)


thaiish = st.text(
    alphabet=st.sampled_from(
        [
            *"กขคงจนมยรลวสหอะาำเแโใไ ๑๒abcAB12.-",
            *(MAI_EK, MAI_THO, SARA_I, SARA_II, NIKHAHIT, "\u0e31", "\u0e38", "\u0e4c"),
            *INVISIBLE_CHARS,
            *"\n\t\x00\u202e",
        ]
    ),
    max_size=30,
)


@FEW
@given(st.one_of(st.text(max_size=30), thaiish), st.booleans())
def test_check_text_output_is_clean_and_stable(text: str, multiline: bool) -> None:
    try:
        cleaned = check_text(text, multiline=multiline)
    except ValidationError as e:
        assert e.code.startswith("text.")
        assert e.message and e.message_en
        return
    assert check_text(cleaned, multiline=multiline) == cleaned
    assert cleaned == cleaned.strip()
    assert unicodedata.is_normalized("NFC", cleaned)
    assert not any(ch in BIDI_CONTROLS for ch in cleaned)
    if not multiline:
        assert "  " not in cleaned and "\n" not in cleaned


# ---------------------------------------------------------------------------
# Search keys
# ---------------------------------------------------------------------------


def test_search_key_basics() -> None:
    assert search_key("  สมชาย   ใจดี ") == "สมชาย ใจดี"
    assert search_key("ABC Def") == search_key("abc def") == "abc def"
    assert search_key("บ้านเลขที่ ๑๒") == "บ้านเลขที่ 12"
    assert search_key("ข้อ\u200bมูล") == "ข้อมูล"
    assert search_key("ab\u202ecd") == "abcd"


def test_search_key_sara_am_spellings_match() -> None:
    canonical = "น" + MAI_THO + SARA_AM  # น้ำ
    assert search_key("น" + MAI_THO + NIKHAHIT + SARA_AA) == canonical
    assert search_key("น" + NIKHAHIT + MAI_THO + SARA_AA) == canonical
    assert search_key("น" + SARA_AM + MAI_THO) == canonical
    assert search_key("ท" + NIKHAHIT + SARA_AA) == "ท" + SARA_AM
    # nikhahit typed before a vowel mark, then sara aa
    assert search_key("ก" + NIKHAHIT + SARA_I + SARA_AA) == "ก" + SARA_I + SARA_AM


def test_search_key_reorders_marks() -> None:
    canonical = "ท" + SARA_II + MAI_EK  # ที่
    assert search_key("ท" + MAI_EK + SARA_II) == canonical
    assert search_key("ป" + MAI_EK + "\u0e39") == "ป" + "\u0e39" + MAI_EK  # ปู่


def test_search_key_drops_repeated_marks() -> None:
    assert search_key("ท" + SARA_II + MAI_EK + MAI_EK) == "ท" + SARA_II + MAI_EK
    assert search_key("ก" + MAI_EK + SARA_I + MAI_EK) == "ก" + SARA_I + MAI_EK


@FEW
@given(thaiish)
def test_search_key_is_idempotent(text: str) -> None:
    key = search_key(text)
    assert search_key(key) == key
    assert not any(ch in INVISIBLE_CHARS for ch in key)


@pytest.mark.parametrize(
    ("before", "marks", "after"),
    [
        ("ท", "\u0e35\u0e48", ""),  # ที่
        ("ป", "\u0e39\u0e48", ""),  # ปู่
        ("ศักด", "\u0e34\u0e4c", ""),  # ศักดิ์
        ("น", "\u0e49", SARA_AM),  # น้ำ
        ("ท", "\u0e31\u0e49", "ง"),  # ทั้ง
        ("ช", "\u0e37\u0e48", "อ"),  # ชื่อ
        ("ก", "\u0e38\u0e4a", ""),  # กุ๊
    ],
)
def test_search_key_ignores_mark_order(before: str, marks: str, after: str) -> None:
    word = before + marks + after
    assert all(ch in THAI_MARKS for ch in marks)
    for order in itertools.permutations(marks):
        assert search_key(before + "".join(order) + after) == search_key(word) == word
    if after == SARA_AM:  # tone mark typed after sara am
        assert search_key(before + after + marks) == word


# ---------------------------------------------------------------------------
# Phone numbers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0812345678", "0812345678"),
        ("081-234-5678", "0812345678"),
        ("081 234 5678", "0812345678"),
        ("(081) 234-5678", "0812345678"),
        ("๐๘๑-๒๓๔-๕๖๗๘", "0812345678"),
        ("+66 81 234 5678", "0812345678"),
        ("+66812345678", "0812345678"),
        ("+66 (0)81 234 5678", "0812345678"),
        ("66812345678", "0812345678"),
        ("0066 81 234 5678", "0812345678"),
        ("061-234-5678", "0612345678"),
        ("099 999 9999", "0999999999"),
        ("02-123-4567", "021234567"),
        ("+66 2 123 4567", "021234567"),
        ("053-123-456", "053123456"),
        ("(053) 123456", "053123456"),
        ("034 123 456", "034123456"),
        ("045.123.456", "045123456"),
        ("076 123 456", "076123456"),
    ],
)
def test_parse_phone(text: str, expected: str) -> None:
    assert parse_phone(text) == expected


def test_phone_errors() -> None:
    with raises("phone.empty", "กรุณากรอกหมายเลขโทรศัพท์"):
        parse_phone(" - ")
    with raises("phone.chars", "ตัวเลขเท่านั้น"):
        parse_phone("081-234-5678 ต่อ 12")
    with raises("phone.chars", "ตัวเลขเท่านั้น"):
        parse_phone("+")
    with raises("phone.country", "ในประเทศไทย"):
        parse_phone("+1 555 123 4567")
    with raises("phone.country", "ในประเทศไทย"):
        parse_phone("0044 20 7946 0000")
    for bad_prefix in ("812345678", "0112345678", "1111", "0"):
        with raises("phone.prefix", "ต้องขึ้นต้นด้วย 0"):
            parse_phone(bad_prefix)
    with raises("phone.length", "มือถือต้องมี 10 หลัก (กรอกมา 9 หลัก)"):
        parse_phone("081234567")
    with raises("phone.length", "ต้องมี 9 หลัก (กรอกมา 10 หลัก)"):
        parse_phone("0212345678")
    with raises("phone.length", "ต้องมี 9 หลัก (กรอกมา 8 หลัก)"):
        parse_phone("05312345")
    with raises("phone.length", "ต้องมี 9 หลัก (กรอกมา 8 หลัก)"):
        parse_phone("+66 2 123 456")
    with raises("phone.length", "มือถือต้องมี 10 หลัก (กรอกมา 11 หลัก)"):
        parse_phone("+66 81 234 56789")


def test_format_phone() -> None:
    assert format_phone("0812345678") == "081-234-5678"
    assert format_phone("021234567") == "02-123-4567"
    assert format_phone("053123456") == "053-123-456"
    assert format_phone("+66812345678") == "081-234-5678"
    assert format_phone("0812345678", international=True) == "+66 81 234 5678"
    assert format_phone("021234567", international=True) == "+66 2 123 4567"


@FEW
@given(
    st.one_of(
        st.from_regex(r"\A0[689][0-9]{8}\Z"),
        st.from_regex(r"\A02[0-9]{7}\Z"),
        st.from_regex(r"\A0[3457][0-9]{7}\Z"),
    )
)
def test_phone_written_forms_parse_back(number: str) -> None:
    for written in (
        number,
        format_phone(number),
        format_phone(number, international=True),
        to_thai_digits(format_phone(number)),
        "+66" + number[1:],
    ):
        assert parse_phone(written) == number


# ---------------------------------------------------------------------------
# Name prefixes
# ---------------------------------------------------------------------------


def test_name_prefixes_table() -> None:
    codes = [p.code for p in NAME_PREFIXES]
    assert len(codes) == len(set(codes))
    thai = {p.thai for p in NAME_PREFIXES}
    assert {"นาย", "นาง", "นางสาว", "เด็กชาย", "เด็กหญิง", "ดร.", "พระภิกษุ"} <= thai
    assert {"ว่าที่ร้อยตรี"} <= thai
    for p in NAME_PREFIXES:
        code, th, en, _abbrev = p  # plain 4-tuples
        assert code and th and en
        assert check_text(th) == th


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ด.ช.", "เด็กชาย"),
        ("ด.ญ.", "เด็กหญิง"),
        ("น.ส.", "นางสาว"),
        ("นส", "นางสาว"),
        ("ด. ช.", "เด็กชาย"),
        ("เด็กชาย", "เด็กชาย"),
        (" นาย ", "นาย"),
        ("นาง", "นาง"),
        ("ดร", "ดร."),
        ("พระ", "พระภิกษุ"),
        ("ว่าที่ ร.ต.", "ว่าที่ร้อยตรี"),
        ("ว่าที่ร.ต.หญิง", "ว่าที่ร้อยตรีหญิง"),
        ("Mr.", "นาย"),
        ("คุณ", "คุณ"),
        ("ผศ.ดร.", "ผศ.ดร."),
        ("", ""),
    ],
)
def test_normalize_prefix(text: str, expected: str) -> None:
    assert normalize_prefix(text) == expected


def test_find_prefix() -> None:
    found = find_prefix("ด.ญ.")
    assert found is not None
    assert found.code == "girl"
    assert found.thai_abbrev == "ด.ญ."
    assert find_prefix("ไม่มี") is None


def test_normalize_prefix_checks_free_text() -> None:
    with raises("text.control", "อักขระควบคุม"):
        normalize_prefix("นาย\x00")
    with raises("text.orphan_mark", "ไม่มีพยัญชนะนำ"):
        normalize_prefix(MAI_EK + "นาย")


@FEW
@given(st.one_of(valid_ids(), st.text(alphabet="0123456789๐๑๒๓๔๕๖๗๘๙- \u200b", max_size=16)))
def test_stored_national_id_is_exactly_what_parsing_leaves_unchanged(text: str) -> None:
    """The fast stored-form test agrees with parsing: true only when parsing gives ``text`` back."""
    try:
        unchanged = parse_national_id(text) == text
    except ValidationError:
        unchanged = False
    assert is_stored_national_id(text) is unchanged
