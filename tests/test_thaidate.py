"""Tests for fieldapp.thaidate: Buddhist-era formatting and parsing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldapp.errors import ValidationError
from fieldapp.thai import to_thai_digits
from fieldapp.thaidate import (
    STYLES,
    age_on,
    be_year,
    check_date,
    format_date,
    format_datetime,
    from_iso,
    parse_date,
    to_iso,
    today,
)

FEW = settings(max_examples=200, deadline=None)
D = date(2023, 2, 15)  # a Wednesday; พ.ศ. 2566


@contextmanager
def raises(code: str, fragment: str) -> Iterator[pytest.ExceptionInfo[ValidationError]]:
    """Expect a ValidationError with this code whose Thai message contains fragment."""
    with pytest.raises(ValidationError) as info:
        yield info
    assert info.value.code == code, info.value.message_en
    assert fragment in info.value.message, info.value.message
    assert info.value.message_en


# ---------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("long", "15 กุมภาพันธ์ 2566"),
        ("medium", "15 ก.พ. 2566"),
        ("short", "15 ก.พ. 66"),
        ("numeric", "15/02/2566"),
        ("full", "วันพุธที่ 15 กุมภาพันธ์ พ.ศ. 2566"),
    ],
)
def test_format_date_thai(style: str, expected: str) -> None:
    assert format_date(D, style) == expected
    assert format_date("2023-02-15", style) == expected
    assert format_date(D, style, thai_digits=True) == to_thai_digits(expected)


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("long", "15 February 2566 BE"),
        ("medium", "15 Feb 2566 BE"),
        ("short", "15 Feb 66"),
        ("numeric", "15/02/2566"),
        ("full", "Wednesday 15 February 2566 BE"),
    ],
)
def test_format_date_english(style: str, expected: str) -> None:
    assert format_date(D, style, lang="en") == expected


def test_format_date_default_is_long() -> None:
    assert format_date(D) == "15 กุมภาพันธ์ 2566"
    assert format_date(datetime(2023, 2, 15, 23, 59)) == "15 กุมภาพันธ์ 2566"


def test_format_date_empty() -> None:
    assert format_date(None) == ""
    assert format_date("") == ""


def test_format_date_keeps_leap_days_and_weekdays() -> None:
    # Shifting the stored date by 543 years would break both.
    assert format_date(date(2024, 2, 29), "full") == "วันพฤหัสบดีที่ 29 กุมภาพันธ์ พ.ศ. 2567"
    assert format_date(date(2000, 1, 1), "full") == "วันเสาร์ที่ 1 มกราคม พ.ศ. 2543"


def test_format_date_bad_arguments() -> None:
    with pytest.raises(ValueError):
        format_date(D, "fancy")
    with pytest.raises(ValueError):
        format_date(D, lang="fr")
    with raises("date.invalid", "ปปปป-ดด-วว"):
        format_date("15/02/2566")


def test_format_datetime() -> None:
    dt = datetime(2023, 2, 15, 14, 5)
    assert format_datetime(dt) == "15 ก.พ. 2566 14:05 น."
    assert format_datetime(dt, thai_digits=True) == "๑๕ ก.พ. ๒๕๖๖ ๑๔:๐๕ น."
    assert format_datetime("2023-02-15T14:05:59") == "15 ก.พ. 2566 14:05 น."
    assert format_datetime(dt, lang="en") == "15 Feb 2566 BE 14:05"


def test_format_datetime_shows_aware_times_in_thai_time() -> None:
    utc = datetime(2023, 2, 15, 20, 30, tzinfo=UTC)
    assert format_datetime(utc) == "16 ก.พ. 2566 03:30 น."
    assert format_datetime("2023-02-15T07:05:00+00:00") == "15 ก.พ. 2566 14:05 น."
    bangkok = datetime(2023, 2, 15, 14, 5, tzinfo=timezone(timedelta(hours=7)))
    assert format_datetime(bangkok) == "15 ก.พ. 2566 14:05 น."


def test_format_datetime_bad_string() -> None:
    with raises("date.invalid", "ISO"):
        format_datetime("yesterday")


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "15/2/2566",
        "15/02/2566",
        "15-02-2566",
        "15.2.66",
        "15 / 2 / 2566",
        "15 ก.พ. 66",
        "15 ก.พ. 2566",
        "15 กพ 66",
        "15ก.พ.2566",
        "15 กุมภาพันธ์ 2566",
        "15 กุมภา 2566",
        "วันพุธที่ 15 กุมภาพันธ์ พ.ศ. 2566",
        "วันพุธที่ 15 กุมภาพันธ์ 2566",
        "พุธ 15 ก.พ. 66",
        "วันที่ 15 ก.พ. 2566",
        "15 ก.พ. พ.ศ.2566",
        "15 กุมภาพันธ์ 2566 พ.ศ.",
        "2023-02-15",
        "2566-02-15",
        "๑๕/๒/๒๕๖๖",
        "๑๕ กุมภาพันธ์ ๒๕๖๖",
        "１５/０２/２５６６",
        "15/02/2023",
        "15/02/2023 ค.ศ.",
        "15 February 2566 BE",
        "Wednesday 15 February 2566 BE",
        "15 Feb 66",
        "15 feb 2023 AD",
        "  15/2/2566\n",
        "15/\u200b2/2566",
    ],
)
def test_parse_date_forms(text: str) -> None:
    assert parse_date(text) == D


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1/1/2500", date(1957, 1, 1)),
        ("1/1/00", date(1957, 1, 1)),  # 2-digit years are พ.ศ. 25xx
        ("31/12/99", date(2056, 12, 31)),
        ("1/1/2400", date(1857, 1, 1)),  # 2400 and up is พ.ศ.
        ("1/1/2200", date(2200, 1, 1)),  # up to 2200 after the day: ค.ศ.
        ("1/1/1900", date(1900, 1, 1)),
        ("1900-01-01", date(1900, 1, 1)),  # year first below 2400: ค.ศ.
        ("2399-01-01", date(2399, 1, 1)),
        ("1/1/1800 ค.ศ.", date(1800, 1, 1)),
        ("1 ม.ค. พ.ศ. 2300", date(1757, 1, 1)),
        ("1 ม.ค. 2300 BE", date(1757, 1, 1)),
    ],
)
def test_parse_date_year_rules(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("31/02/2566", "ไม่มีวันที่ 31 ในเดือนกุมภาพันธ์ พ.ศ. 2566"),
        ("31/04/2566", "ไม่มีวันที่ 31 ในเดือนเมษายน"),
        ("0/1/2566", "ไม่มีวันที่ 0"),
        ("15/13/2566", "เดือนต้องอยู่ระหว่าง 1 ถึง 12 (กรอกมา 13)"),
        ("15/0/2566", "เดือนต้องอยู่ระหว่าง 1 ถึง 12"),
        ("2023-13-01", "เดือนต้องอยู่ระหว่าง 1 ถึง 12"),
        ("garbage", "อ่านวันที่ไม่ออก"),
        ("15/02", "อ่านวันที่ไม่ออก"),
        ("15//2566", "อ่านวันที่ไม่ออก"),
        ("15 ฟูบาร์ 2566", "ไม่รู้จักชื่อเดือน"),
        ("15/02/566", "ปีต้องมี 2 หรือ 4 หลัก"),
        ("15/02/25666", "ปีต้องมี 2 หรือ 4 หลัก"),
        ("15/02/2300", "ปี 2300 ไม่ชัดเจน"),
        ("15/02/66 ค.ศ.", "ปี ค.ศ. ต้องมี 4 หลัก"),
        ("วันอังคารที่ 15 กุมภาพันธ์ พ.ศ. 2566", "วันในสัปดาห์ไม่ตรงกับวันที่"),
    ],
)
def test_parse_date_errors(text: str, fragment: str) -> None:
    with raises("date.invalid", fragment):
        parse_date(text, path="member.birth_date")


def test_parse_date_error_carries_path() -> None:
    with pytest.raises(ValidationError) as info:
        parse_date("31/02/2566", path="member.birth_date")
    assert info.value.path == "member.birth_date"


def test_parse_date_empty() -> None:
    for blank in ("", "   ", "\u200b"):
        with raises("date.empty", "กรุณากรอกวันที่"):
            parse_date(blank)


def test_leap_days() -> None:
    assert parse_date("29/02/2567") == date(2024, 2, 29)
    assert parse_date("29 ก.พ. 43") == date(2000, 2, 29)  # 2000 is a leap year
    with raises("date.invalid", "ไม่มีวันที่ 29 ในเดือนกุมภาพันธ์ พ.ศ. 2566"):
        parse_date("29/02/2566")
    with raises("date.invalid", "ไม่มีวันที่ 29"):
        parse_date("29/02/2443")  # 1900 is not a leap year
    # 2567 BE is a leap year although 2567 itself is not divisible by 4.
    assert format_date(date(2024, 2, 29), "numeric") == "29/02/2567"


dates_1900_2100 = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


@FEW
@given(dates_1900_2100, st.sampled_from(["long", "medium", "numeric", "full"]), st.booleans())
def test_round_trip_thai(d: date, style: str, thai_digits: bool) -> None:
    assert parse_date(format_date(d, style, thai_digits=thai_digits)) == d


@FEW
@given(dates_1900_2100, st.sampled_from(["long", "medium", "numeric", "full"]))
def test_round_trip_english(d: date, style: str) -> None:
    assert parse_date(format_date(d, style, lang="en")) == d


@FEW
@given(
    st.dates(min_value=date(1957, 1, 1), max_value=date(2056, 12, 31)),
    st.sampled_from(["th", "en"]),
    st.booleans(),
)
def test_round_trip_short(d: date, lang: str, thai_digits: bool) -> None:
    assert parse_date(format_date(d, "short", lang=lang, thai_digits=thai_digits)) == d


def test_every_style_is_tested() -> None:
    assert set(STYLES) == {"long", "medium", "short", "numeric", "full"}


# ---------------------------------------------------------------------------
# ISO, years, age, checks
# ---------------------------------------------------------------------------


@FEW
@given(st.dates())
def test_iso_round_trip(d: date) -> None:
    assert from_iso(to_iso(d)) == d


def test_to_iso_of_datetime() -> None:
    assert to_iso(datetime(2023, 2, 15, 10, 0)) == "2023-02-15"


@pytest.mark.parametrize("bad", ["15/02/2566", "2023-2-15", "20230215", "2023-02-15T00:00", ""])
def test_from_iso_rejects_other_forms(bad: str) -> None:
    with raises("date.invalid", "ปปปป-ดด-วว"):
        from_iso(bad)


def test_from_iso_rejects_impossible_dates() -> None:
    with raises("date.invalid", "ไม่มีวันที่นี้ในปฏิทิน"):
        from_iso("2023-02-29")


def test_be_year() -> None:
    assert be_year(D) == 2566
    assert be_year(date(1957, 1, 1)) == 2500


def test_today() -> None:
    assert today() == date.today()


def test_age_on() -> None:
    birth = date(1990, 6, 15)
    assert age_on(birth, birth) == 0
    assert age_on(birth, date(2023, 6, 14)) == 32
    assert age_on(birth, date(2023, 6, 15)) == 33
    assert age_on(birth, date(2023, 12, 31)) == 33


def test_age_on_leap_day_birthday() -> None:
    birth = date(2000, 2, 29)
    assert age_on(birth, date(2001, 2, 28)) == 0
    assert age_on(birth, date(2001, 3, 1)) == 1
    assert age_on(birth, date(2004, 2, 29)) == 4


@FEW
@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2000, 12, 31)),
    st.integers(1, 100),
)
def test_age_on_birthdays(birth: date, years: int) -> None:
    if (birth.month, birth.day) == (2, 29):
        birth = birth.replace(day=28)
    birthday = birth.replace(year=birth.year + years)
    assert age_on(birth, birthday) == years
    assert age_on(birth, birthday - timedelta(days=1)) == years - 1


def test_age_on_before_birth() -> None:
    with raises("date.before_birth", "อยู่ก่อนวันเกิด"):
        age_on(date(2000, 5, 1), date(1999, 1, 1))


def test_check_date() -> None:
    assert check_date(D, not_future=True, today=D) == D
    assert check_date("15/2/2566", not_before=date(2000, 1, 1)) == D
    with raises("date.future", "วันที่อยู่ในอนาคต"):
        check_date(D + timedelta(days=1), not_future=True, today=D)
    with raises("date.too_early", "วันที่ต้องไม่ก่อน 1 ม.ค. 2543"):
        check_date(date(1999, 12, 31), not_before=date(2000, 1, 1))
    with raises("date.invalid", "ไม่มีวันที่ 31"):
        check_date("31/02/2566")


def test_check_date_future_uses_real_today_by_default() -> None:
    with raises("date.future", "วันที่อยู่ในอนาคต"):
        check_date(date.today() + timedelta(days=1), not_future=True)
    assert check_date(date.today(), not_future=True) == date.today()
