"""The values of the question types ODK and Kobo questionnaires bring beside fieldapp's own: a
time of day, a date and time, a line (geotrace) and an area (geoshape) of points. Each type's
entry in ``fieldapp.forms.types.TYPES`` names these functions: coercion into the stored form, the
quick test of a stored value, the value expressions see and the text for people."""

from __future__ import annotations

import datetime as _dt
import functools
import re
from typing import TYPE_CHECKING, Any

from fieldapp import thai, thaidate
from fieldapp.errors import ValidationError

if TYPE_CHECKING:
    from fieldapp.forms.model import Field


def _err(th: str, en: str, code: str) -> ValidationError:
    return ValidationError(th, en, code=code)


_TIME_TEXT = re.compile(
    r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2})(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?\s*(?:น\.?|นาฬิกา)?"
)
TIME_STORED = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?")
"""A time of day in stored form: ``HH:MM``, or ``HH:MM:SS`` when the seconds are not 0."""


def _time_text(h: int, m: int, sec: int) -> str:
    return f"{h:02d}:{m:02d}" if sec == 0 else f"{h:02d}:{m:02d}:{sec:02d}"


@functools.lru_cache(maxsize=1 << 12)
def coerce_time_text(value: str) -> str | None:
    """A time of day as text (``9:05``, ``09.05 น.``, ODK's ``09:05:00.000+07:00``) in stored form;
    the clock time is kept as read (a zone written after it is not applied)."""
    text = thai.normalize_digits(thai.strip_invisible(value)).strip()
    if text == "":
        return None
    m = _TIME_TEXT.fullmatch(text)
    if not m:
        raise _err("เวลาต้องเป็น ชั่วโมง:นาที เช่น 09:30", "a time is HH:MM (e.g. 09:30)", "time")
    h, mi, sec = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if h > 23 or mi > 59 or sec > 59:
        raise _err("เวลาไม่มีอยู่จริง (ชั่วโมง 0–23 นาที 0–59)", "no such time (hours 0–23, minutes 0–59)", "time")
    return _time_text(h, mi, sec)


def time(f: Field, value: Any) -> str | None:
    if isinstance(value, _dt.datetime):
        value = value.time()
    if isinstance(value, _dt.time):
        return _time_text(value.hour, value.minute, value.second)
    if not isinstance(value, str):
        raise _err("เวลาไม่ถูกต้อง", "invalid time", "time")
    return coerce_time_text(value)


_DATETIME_TEXT = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?"
)
DATETIME_STORED = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}")
"""A date and time in stored form: ISO 8601 to the second with its offset from UTC."""


def _datetime_text(d: _dt.datetime) -> str:
    if d.tzinfo is None:
        d = d.astimezone()  # a clock time without its zone: this computer's
    if not 1900 <= d.year <= 2200:
        raise _err("ปีของวันที่ไม่สมเหตุสมผล", "date year out of range", "date.range")
    return d.replace(microsecond=0).isoformat()


_DAY_AND_TIME = re.compile(
    r"(.+?)\s+(\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)\s*(?:น\.?|นาฬิกา)?\s*(?:\(([+-]\d{2}:\d{2})\))?"
)


def _thai_datetime(text: str) -> str:
    """A day as people write it (``1 พ.ค. 2567``, ``01/05/2567``: as a date question reads it)
    followed by a clock time (``09:30 น.``), in this computer's time zone unless a zone follows in
    brackets, as the app shows one (``1 พ.ค. 2567 09:30 น. (+07:00)``)."""
    m = _DAY_AND_TIME.fullmatch(text)
    if m:
        try:
            day = thaidate.parse_date(m.group(1))
            clock = coerce_time_text(m.group(2)) or "00:00"
        except ValidationError:
            pass
        else:
            h, mi, *sec = (int(x) for x in clock.split(":"))
            zone = None
            if m.group(3):  # the zone the app writes after a time of another zone: (+07:00)
                sign = -1 if m.group(3)[0] == "-" else 1
                zone = _dt.timezone(
                    sign * _dt.timedelta(hours=int(m.group(3)[1:3]), minutes=int(m.group(3)[4:]))
                )
            return _datetime_text(
                _dt.datetime(day.year, day.month, day.day, h, mi, sec[0] if sec else 0, tzinfo=zone)
            )
    raise _err(
        "วันเวลาต้องเป็น ปี-เดือน-วัน ชั่วโมง:นาที (ค.ศ.) เช่น 2024-05-01 09:30",
        "a date and time is YYYY-MM-DD HH:MM (ISO 8601)",
        "datetime",
    )


@functools.lru_cache(maxsize=1 << 12)
def coerce_datetime_text(value: str) -> str | None:
    """A date and time as ISO text (``2024-05-01T09:30``, ODK's ``…T09:30:00.000+07:00``) in stored form."""
    text = thai.normalize_digits(thai.strip_invisible(value)).strip()
    if text == "":
        return None
    m = _DATETIME_TEXT.fullmatch(text)
    if not m:
        return _thai_datetime(text)
    tz = m.group(7)
    zone: _dt.tzinfo | None = None
    if tz == "Z":
        zone = _dt.UTC
    elif tz:
        sign = -1 if tz[0] == "-" else 1
        zone = _dt.timezone(
            sign * _dt.timedelta(hours=int(tz[1:3]), minutes=int(tz[-2:]) if len(tz) > 3 else 0)
        )
    try:
        y, mo, day, h, mi, sec = (int(m.group(k) or 0) for k in range(1, 7))
        d = _dt.datetime(y, mo, day, h, mi, sec, tzinfo=zone)
    except ValueError:
        raise _err("วันเวลาไม่มีอยู่จริง", "no such date and time", "datetime") from None
    return _datetime_text(d)


def datetime(f: Field, value: Any) -> str | None:
    if isinstance(value, _dt.datetime):
        return _datetime_text(value)
    if not isinstance(value, str):
        raise _err("วันเวลาไม่ถูกต้อง", "invalid date and time", "datetime")
    return coerce_datetime_text(value)


def hidden_value(value: Any) -> Any:
    """A hidden answer as expressions see it: a date-time or a date when it is written as one
    (the metadata start, end and today, which ODK types as such), else the text."""
    if type(value) is str:
        if len(value) == 25 and DATETIME_STORED.fullmatch(value):
            return _dt.datetime.fromisoformat(value)
        if len(value) == 10 and value[4] == "-" and value[7] == "-":
            try:
                return _dt.date.fromisoformat(value)
            except ValueError:
                return value
    return value


def datetime_value(value: Any) -> Any:
    """A stored date and time as expressions see it: a date-time (a number of days, with the
    time as its fraction, in arithmetic and comparisons, as in ODK)."""
    if type(value) is str and DATETIME_STORED.fullmatch(value):
        return _dt.datetime.fromisoformat(value)
    return value


def datetime_shown(f: Field, value: Any, lang: str) -> str:
    d = _dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    day = thaidate.format_date(d.date(), "medium", lang="en" if lang == "en" else "th")
    clock = f"{d.hour:02d}:{d.minute:02d}" + (f":{d.second:02d}" if d.second else "")
    text = f"{day} {clock}" + ("" if lang == "en" else " น.")
    if d.tzinfo is not None and d.utcoffset() != d.astimezone().utcoffset():  # another zone: said
        text += f" ({d.isoformat()[-6:]})"
    return text


def time_shown(f: Field, value: Any, lang: str) -> str:
    return str(value) if lang == "en" else f"{value} น."


def stored_time(f: Field, v: Any) -> bool:
    return type(v) is str and TIME_STORED.fullmatch(v) is not None and not (len(v) == 8 and v.endswith(":00"))


def stored_datetime(f: Field, v: Any) -> bool:
    return type(v) is str and DATETIME_STORED.fullmatch(v) is not None and 1900 <= int(v[:4]) <= 2200
