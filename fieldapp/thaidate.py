"""Dates in the Thai Buddhist era (พ.ศ.), formatted and parsed with babel.

Dates are stored as Gregorian ``datetime.date`` values (ISO ``YYYY-MM-DD``
text in the database) and only shown and typed with a พ.ศ. year
(พ.ศ. = ค.ศ. + 543). A stored date is never shifted by 543 years: 543 is not
a multiple of 4, so leap days and weekdays would come out wrong.

babel has no Buddhist calendar (CLDR's Thai pattern prints "ค.ศ. 2023"), so
every pattern here puts the พ.ศ. year in as a quoted literal.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta, timezone
from typing import Literal

from babel.dates import format_date as _babel_format_date
from babel.dates import get_day_names, get_month_names

from fieldapp.errors import ValidationError
from fieldapp.thai import normalize_digits, strip_invisible, to_thai_digits

__all__ = [
    "BE_OFFSET",
    "STYLES",
    "THAI_TZ",
    "age_on",
    "be_year",
    "check_date",
    "format_date",
    "format_datetime",
    "from_iso",
    "parse_date",
    "to_iso",
    "today",
]

#: พ.ศ. year = ค.ศ. year + BE_OFFSET.
BE_OFFSET = 543

#: Thailand time (UTC+7, no daylight saving).
THAI_TZ = timezone(timedelta(hours=7), "ICT")

#: Date styles understood by :func:`format_date`.
STYLES = ("long", "medium", "short", "numeric", "full")

_LOCALES = {"th": "th_TH", "en": "en"}

# Babel patterns per language and style. {y} is the full พ.ศ. year, {yy} its
# last two digits; both end up inside a quoted literal.
_PATTERNS: dict[str, dict[str, str]] = {
    "th": {
        "long": "d MMMM '{y}'",
        "medium": "d MMM '{y}'",
        "short": "d MMM '{yy}'",
        "numeric": "dd/MM/'{y}'",
        "full": "EEEE'ที่' d MMMM 'พ.ศ. {y}'",
    },
    "en": {
        "long": "d MMMM '{y} BE'",
        "medium": "d MMM '{y} BE'",
        "short": "d MMM '{yy}'",
        "numeric": "dd/MM/'{y}'",
        "full": "EEEE d MMMM '{y} BE'",
    },
}

# Date part (a babel pattern) and time part (a str.format template).
_DATETIME_PATTERNS = {
    "th": ("d MMM '{y}'", "{hh:02d}:{mm:02d} น."),
    "en": ("d MMM '{y} BE'", "{hh:02d}:{mm:02d}"),
}


def _error(message_th: str, message_en: str, path: str, code: str = "date.invalid") -> ValidationError:
    return ValidationError(message_th, message_en, path=path, code=code)


def today() -> date:
    """Today's date on this machine's clock."""
    return date.today()


def be_year(d: date) -> int:
    """The พ.ศ. year of ``d``."""
    return d.year + BE_OFFSET


def to_iso(d: date) -> str:
    """``d`` as ISO ``YYYY-MM-DD`` (Gregorian), the form dates are stored in."""
    if isinstance(d, datetime):
        d = d.date()
    return d.isoformat()


_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def from_iso(s: str, *, path: str = "") -> date:
    """Read a stored ISO ``YYYY-MM-DD`` (Gregorian) date; no other form is accepted."""
    m = _ISO_DATE.fullmatch(s.strip()) if isinstance(s, str) else None
    if m is None:
        raise _error(
            f"วันที่ไม่อยู่ในรูปแบบ ปปปป-ดด-วว (ค.ศ.): {s!r}",
            f"not an ISO date YYYY-MM-DD: {s!r}",
            path,
        )
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise _error(
            f"ไม่มีวันที่นี้ในปฏิทิน: {s}",
            f"no such date: {s}",
            path,
        ) from None


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return from_iso(value)


def format_date(
    value: date | str | None,
    style: str = "long",
    *,
    thai_digits: bool = False,
    lang: str = "th",
) -> str:
    """Format a date with its พ.ศ. year.

    ``value`` is a ``date`` (a ``datetime`` uses its date) or a stored ISO
    ``YYYY-MM-DD`` string; ``None`` and ``""`` give ``""``.

    Styles for 15 Feb 2023, ``lang="th"``:

    * ``"long"``: ``15 กุมภาพันธ์ 2566``
    * ``"medium"``: ``15 ก.พ. 2566``
    * ``"short"``: ``15 ก.พ. 66`` (two-digit พ.ศ. year)
    * ``"numeric"``: ``15/02/2566``
    * ``"full"``: ``วันพุธที่ 15 กุมภาพันธ์ พ.ศ. 2566``

    ``lang="en"`` gives English month and day names, still with the พ.ศ.
    year, marked "BE" except in the short and numeric styles:
    ``15 February 2566 BE``, ``15 Feb 2566 BE``, ``15 Feb 66``,
    ``15/02/2566``, ``Wednesday 15 February 2566 BE``.

    ``thai_digits=True`` writes the digits as ๐–๙. Raises ``ValueError``
    for an unknown style or language, ``ValidationError`` for a bad ISO
    string.
    """
    if value is None or value == "":
        return ""
    if lang not in _PATTERNS:
        raise ValueError(f"unknown language {lang!r}; expected one of {sorted(_PATTERNS)}")
    if style not in _PATTERNS[lang]:
        raise ValueError(f"unknown date style {style!r}; expected one of {STYLES}")
    d = _as_date(value)
    y = be_year(d)
    pattern = _PATTERNS[lang][style].format(y=y, yy=f"{y % 100:02d}")
    text = _babel_format_date(d, pattern, locale=_LOCALES[lang])
    return to_thai_digits(text) if thai_digits else text


def format_datetime(value: datetime | str, *, thai_digits: bool = False, lang: str = "th") -> str:
    """Format a date and time: ``15 ก.พ. 2566 14:05 น.`` (``lang="en"``:
    ``15 Feb 2566 BE 14:05``).

    ``value`` is a ``datetime`` or an ISO 8601 string. A time with a time
    zone (such as a UTC timestamp) is shown in Thailand time (UTC+7); a
    naive time is shown as it is.
    """
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.strip())
        except ValueError:
            raise _error(
                f"วันที่และเวลาไม่อยู่ในรูปแบบ ISO: {value!r}",
                f"not an ISO date-time: {value!r}",
                "",
            ) from None
    else:
        dt = value
    if lang not in _DATETIME_PATTERNS:
        raise ValueError(f"unknown language {lang!r}; expected one of {sorted(_PATTERNS)}")
    if dt.tzinfo is not None:
        dt = dt.astimezone(THAI_TZ)
    # babel's format_datetime treats naive times as UTC and converts them, so
    # format the date with babel and the wall-clock time by hand.
    date_pattern, time_template = _DATETIME_PATTERNS[lang]
    text = _babel_format_date(dt.date(), date_pattern.format(y=be_year(dt)), locale=_LOCALES[lang])
    text += " " + time_template.format(hh=dt.hour, mm=dt.minute)
    return to_thai_digits(text) if thai_digits else text


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------


def _month_key(text: str) -> str:
    return re.sub(r"[\s.]", "", text).casefold()


def _build_month_names() -> dict[str, int]:
    names: dict[str, int] = {}
    for locale in ("th_TH", "en"):
        for width in ("wide", "abbreviated"):
            for number, name in get_month_names(width, locale=locale).items():
                names[_month_key(name)] = int(number)
    # Short spoken forms (มกรา, กุมภา, ...) and the "Sept" abbreviation.
    for number, name in get_month_names("wide", locale="th_TH").items():
        short = re.sub(r"(คม|ยน|พันธ์)$", "", name)
        names.setdefault(_month_key(short), int(number))
    names["sept"] = 9
    return names


_MONTHS = _build_month_names()
_TH_MONTHS_WIDE = {int(k): str(v) for k, v in get_month_names("wide", locale="th_TH").items()}


def _build_weekdays() -> dict[str, int]:
    """Weekday names (Thai without the leading วัน, English, abbreviations) → 0..6."""
    days: dict[str, int] = {}
    for number, name in get_day_names("wide", locale="th_TH").items():
        days[str(name).removeprefix("วัน")] = int(number)
    for width in ("wide", "abbreviated"):
        for number, name in get_day_names(width, locale="en").items():
            days[str(name).casefold()] = int(number)
    days["พฤหัส"] = 3
    return days


_WEEKDAYS = _build_weekdays()
_WEEKDAY_ALTERNATION = "|".join(sorted(map(re.escape, _WEEKDAYS), key=len, reverse=True))

_WEEKDAY_PREFIX = re.compile(rf"^(?:(?:วัน)?(?P<wd>{_WEEKDAY_ALTERNATION})\.?,?\s*(?:ที่)?|วันที่|ที่)\s*")

_BE_ERA = r"พ\.?\s*ศ\.?|b\.?\s*e\.?"
_CE_ERA = r"ค\.?\s*ศ\.?|c\.?\s*e\.?|a\.?\s*d\.?"
_ERA = rf"(?P<{{name}}>{_BE_ERA}|{_CE_ERA})"

_YMD = re.compile(r"(?P<y>\d{4})\s*[-/.]\s*(?P<m>\d{1,2})\s*[-/.]\s*(?P<d>\d{1,2})")
_DMY = re.compile(
    r"(?P<d>\d{1,2})\s*[-/.]\s*(?P<m>\d{1,2})\s*[-/.]\s*"
    + _ERA.format(name="era1")
    + r"?\s*(?P<y>\d+)\s*"
    + _ERA.format(name="era2")
    + "?"
)
_D_MONTH_Y = re.compile(
    r"(?P<d>\d{1,2})\s*(?P<month>[^\d\s][^\d]*?)\s*"
    + _ERA.format(name="era1")
    + r"?\s*(?P<y>\d+)\s*"
    + _ERA.format(name="era2")
    + "?"
)

_Form = Literal["ymd", "dmy"]

_EXAMPLE_TH = "เช่น 15/02/2566 หรือ 15 ก.พ. 2566"
_EXAMPLE_EN = "e.g. 15/02/2566 or 15 Feb 2566"


def _era_of(m: re.Match[str]) -> str | None:
    era = m.group("era1") or m.group("era2")
    if era is None:
        return None
    return "be" if re.fullmatch(_BE_ERA, era) else "ce"


def _resolve_year(raw: str, era: str | None, form: _Form, path: str) -> int:
    """The Gregorian year for a year as typed; see :func:`parse_date` for the rules."""
    n = int(raw)
    if len(raw) == 2:
        if era == "ce":
            raise _error(
                f"ปี ค.ศ. ต้องมี 4 หลัก (กรอกมา {raw})",
                f"a CE year needs 4 digits (got {raw})",
                path,
            )
        return 2500 + n - BE_OFFSET
    if len(raw) != 4:
        raise _error(
            f"ปีต้องมี 2 หรือ 4 หลัก เช่น 2566 หรือ 66 (กรอกมา {raw})",
            f"the year must have 2 or 4 digits, e.g. 2566 or 66 (got {raw})",
            path,
        )
    if era == "be" or (era is None and n >= 2400):
        return n - BE_OFFSET
    if era == "ce" or form == "ymd" or n <= 2200:
        return n
    raise _error(
        f"ปี {raw} ไม่ชัดเจน: ใช้ปี พ.ศ. เช่น 2566 (หรือปี ค.ศ. ไม่เกิน 2200)",
        f"the year {raw} is ambiguous: use a BE year such as 2566 (or a CE year up to 2200)",
        path,
    )


def _make_date(year: int, month: int, day: int, path: str) -> date:
    if not 1 <= month <= 12:
        raise _error(
            f"เดือนต้องอยู่ระหว่าง 1 ถึง 12 (กรอกมา {month})",
            f"the month must be between 1 and 12 (got {month})",
            path,
        )
    if not 1 <= year <= 9999:
        raise _error(
            "ปีอยู่นอกช่วงที่รับได้",
            f"the year is out of range (CE {year})",
            path,
        )
    try:
        return date(year, month, day)
    except ValueError:
        raise _error(
            f"ไม่มีวันที่ {day} ในเดือน{_TH_MONTHS_WIDE[month]} พ.ศ. {year + BE_OFFSET}",
            f"there is no day {day} in month {month} of {year + BE_OFFSET} BE ({year} CE)",
            path,
        ) from None


def parse_date(text: str, *, path: str = "") -> date:
    """Read a date as people type it; return the Gregorian ``date``.

    Accepted forms (Thai or ASCII digits, any spacing):

    * day/month/year with ``/``, ``-`` or ``.``: ``15/2/2566``,
      ``15-02-2566``, ``15.2.66``;
    * day, month name, year: ``15 ก.พ. 66``, ``15 กุมภาพันธ์ 2566``,
      ``15 กุมภา 2566``, ``15 February 2566 BE``; the abbreviation may be
      written without dots (``15 กพ 66``);
    * an optional weekday or "วันที่" in front: ``วันพุธที่ 15 กุมภาพันธ์
      พ.ศ. 2566``, ``วันที่ 15 ก.พ. 2566`` (a weekday that does not match the
      date is an error);
    * year first: ISO ``2023-02-15``, also ``2566-02-15``.

    Year rules:

    * ``พ.ศ.``/``BE`` or ``ค.ศ.``/``CE``/``AD`` next to the year says which
      it is;
    * a 2-digit year is พ.ศ. 25xx (``66`` → 2566 → 2023), so two-digit years
      cover 1957–2056;
    * a 4-digit year of 2400 or more is พ.ศ.;
    * a 4-digit year below 2400 is ค.ศ. when the year comes first (ISO);
      after the day and month it is ค.ศ. only up to 2200, and 2201–2399 is
      rejected as ambiguous.

    Dates before 1857 CE therefore need an explicit ``ค.ศ.``. Errors raise
    ``ValidationError`` with code ``date.empty`` (nothing typed) or
    ``date.invalid``.
    """
    s = unicodedata.normalize("NFC", strip_invisible(normalize_digits(text)))
    s = re.sub(r"\s+", " ", s).strip().casefold()
    if not s:
        raise _error("กรุณากรอกวันที่", "date is empty", path, code="date.empty")

    weekday: int | None = None
    prefix = _WEEKDAY_PREFIX.match(s)
    if prefix is not None:
        if prefix.group("wd") is not None:
            weekday = _WEEKDAYS[prefix.group("wd")]
        s = s[prefix.end() :]

    year: int
    month: int
    if m := _YMD.fullmatch(s):
        year = _resolve_year(m["y"], None, "ymd", path)
        month = int(m["m"])
    elif m := _DMY.fullmatch(s):
        year = _resolve_year(m["y"], _era_of(m), "dmy", path)
        month = int(m["m"])
    elif (m := _D_MONTH_Y.fullmatch(s)) and any(ch.isalpha() for ch in m["month"]):
        name = m["month"]
        found = _MONTHS.get(_month_key(name))
        if found is None:
            raise _error(
                f"ไม่รู้จักชื่อเดือน “{name}” {_EXAMPLE_TH}",
                f"unknown month name {name!r}, {_EXAMPLE_EN}",
                path,
            )
        month = found
        year = _resolve_year(m["y"], _era_of(m), "dmy", path)
    else:
        raise _error(
            f"อ่านวันที่ไม่ออก: “{text.strip()}” {_EXAMPLE_TH}",
            f"cannot read the date {text.strip()!r}, {_EXAMPLE_EN}",
            path,
        )
    result = _make_date(year, month, int(m["d"]), path)

    if weekday is not None and result.weekday() != weekday:
        actual = format_date(result, "full")
        raise _error(
            f"วันในสัปดาห์ไม่ตรงกับวันที่: วันที่นี้คือ{actual}",
            f"the weekday does not match the date ({format_date(result, 'full', lang='en')})",
            path,
        )
    return result


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------


def age_on(birth: date, on: date) -> int:
    """Age in completed years on the date ``on``.

    Someone born on 29 February turns a year older on 1 March in common years.
    Raises ``ValidationError`` (code ``date.before_birth``) when ``on`` is
    before ``birth``.
    """
    if on < birth:
        raise _error(
            f"วันที่คำนวณอายุ ({format_date(on, 'medium')}) อยู่ก่อนวันเกิด ({format_date(birth, 'medium')})",
            f"the date {on.isoformat()} is before the birth date {birth.isoformat()}",
            "",
            code="date.before_birth",
        )
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


def check_date(
    d: date | str,
    *,
    not_future: bool = False,
    not_before: date | None = None,
    today: date | None = None,
    path: str = "",
) -> date:
    """Check a date against simple limits and return it as a ``date``.

    ``d`` may be a ``date`` or text for :func:`parse_date`. ``today``
    defaults to the machine's date. Raises ``ValidationError`` with code
    ``date.future`` ("วันที่อยู่ในอนาคต") or ``date.too_early`` ("วันที่ต้องไม่ก่อน
    ...").
    """
    value = parse_date(d, path=path) if isinstance(d, str) else _as_date(d)
    now = today if today is not None else date.today()
    if not_future and value > now:
        raise _error(
            f"วันที่อยู่ในอนาคต ({format_date(value, 'medium')}; วันนี้คือ {format_date(now, 'medium')})",
            f"the date is in the future ({value.isoformat()}; today is {now.isoformat()})",
            path,
            code="date.future",
        )
    if not_before is not None and value < not_before:
        raise _error(
            f"วันที่ต้องไม่ก่อน {format_date(not_before, 'medium')} (กรอกมา {format_date(value, 'medium')})",
            f"the date may not be before {not_before.isoformat()} (got {value.isoformat()})",
            path,
            code="date.too_early",
        )
    return value
