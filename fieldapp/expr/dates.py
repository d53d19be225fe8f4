"""Dates and times as ODK has them: today and now, ISO texts to dates, and the conversions
``date()``, ``date-time()``, ``decimal-date-time()`` and ``decimal-time()``."""

from __future__ import annotations

import datetime as _dt
import math
import re
import time as _time
from typing import Any

from fieldapp.errors import ExpressionError
from fieldapp.expr.values import EPOCH, NAN, Value, to_text, unpack

_TODAY: list[Any] = [None, None]  # (second it was read, date)


def current_date() -> _dt.date:
    # read the clock once a second: constraints such as "not after today" run for every member
    now = int(_time.time())
    if _TODAY[0] != now:
        _TODAY[0], _TODAY[1] = now, _dt.date.today()
    d: _dt.date = _TODAY[1]
    return d


def current_time() -> _dt.datetime:
    return _dt.datetime.now().astimezone()


_ISO_DATE = re.compile(
    r"(-?\d{4,})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?"
)


def parse_date_text(s: str, keep_time: bool) -> _dt.date:
    m = _ISO_DATE.fullmatch(s.strip())
    if not m:
        raise ExpressionError(f"วันที่ไม่ถูกต้อง: {s[:30]!r}", f"not a date: {s[:30]!r}")
    try:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if not keep_time or m.group(4) is None:
            return _dt.date(y, mo, d)
        frac = (m.group(7) or "0")[:6].ljust(6, "0")
        tz = m.group(8)
        tzinfo: _dt.tzinfo | None = None
        if tz:
            if tz == "Z":
                tzinfo = _dt.UTC
            else:
                sign = -1 if tz[0] == "-" else 1
                hh, mm = int(tz[1:3]), int(tz[-2:]) if len(tz) > 3 else 0
                tzinfo = _dt.timezone(sign * _dt.timedelta(hours=hh, minutes=mm))
        value = _dt.datetime(
            y, mo, d, int(m.group(4)), int(m.group(5)), int(m.group(6) or 0), int(frac), tzinfo
        )
        return value if tzinfo is not None else value.astimezone()
    except ValueError:
        raise ExpressionError(f"วันที่ไม่ถูกต้อง: {s[:30]!r}", f"not a date: {s[:30]!r}") from None


def to_date(v: Value, keep_time: bool = False) -> Value:
    """``date()``/``date-time()``: a text (ISO), a number of days, or a date; '' and NaN stay."""
    v = unpack(v)
    t = type(v)
    if t is str:
        if v == "":
            return ""
        return parse_date_text(v, keep_time)
    if t is int or t is float:
        if v != v:
            return v
        if math.isinf(v) or abs(v) > 2**31:
            raise ExpressionError("ตัวเลขนี้แทนวันที่ไม่ได้", f"{v} is out of range for a date")
        if keep_time:
            return _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC) + _dt.timedelta(days=v)
        return EPOCH + _dt.timedelta(days=math.floor(v))
    if isinstance(v, _dt.datetime):
        return v if keep_time else v.date()
    if isinstance(v, _dt.date):
        return v
    raise ExpressionError("แปลงเป็นวันที่ไม่ได้", f"cannot convert {type(v).__name__} to a date")


def as_date(x: Value) -> Value:
    return to_date(x, False)


def as_date_time(x: Value) -> Value:
    return to_date(x, True)


def decimal_date_time(x: Value) -> Value:
    v = unpack(x)
    if isinstance(v, _dt.datetime):
        d = v
    elif isinstance(v, _dt.date):
        d = _dt.datetime(v.year, v.month, v.day).astimezone()
    else:
        dv = to_date(v, True)
        if not isinstance(dv, _dt.date):
            return NAN
        d = dv if isinstance(dv, _dt.datetime) else _dt.datetime(dv.year, dv.month, dv.day).astimezone()
    return (d - _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)).total_seconds() / 86400


_TIME_TEXT = re.compile(r"(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?")


def decimal_time(x: Value) -> Value:
    """The time of day as a fraction of a day (in UTC, as JavaRosa)."""
    v = unpack(x)
    if isinstance(v, _dt.datetime):
        u = v.astimezone(_dt.UTC)
        return (u.hour * 3600 + u.minute * 60 + u.second + u.microsecond / 1e6) / 86400
    s = to_text(v).strip()
    if "T" in s:
        return decimal_time(parse_date_text(s, True))
    m = _TIME_TEXT.fullmatch(s)
    if not m:
        raise ExpressionError(f"เวลาไม่ถูกต้อง: {s[:30]!r}", f"not a time: {s[:30]!r}")
    today = _dt.date.today().isoformat()
    return decimal_time(parse_date_text(f"{today}T{s}", True))
