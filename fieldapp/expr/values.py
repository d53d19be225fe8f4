"""Values as XPath 1.0 and JavaRosa have them, and their conversions: ``number()``,
``string()``, ``boolean()``, equality, order and arithmetic (a date counts as days since 1970)."""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Callable
from typing import Any

from fieldapp.errors import ExpressionError

Value = Any
Data = dict[str, Any]
Compiled = Callable[[Data, "Data | None"], Value]
Resolver = Callable[[str], Compiled]

NAN = math.nan
EPOCH = _dt.date(1970, 1, 1)


def unpack(v: Value) -> Value:
    """A node-set used as one value: its only node ('' when empty); more than one is an error."""
    if type(v) is list:
        if not v:
            return ""
        if len(v) > 1:
            raise ExpressionError(
                "ข้อคำถามนี้อยู่ในแบบซ้ำ ต้องระบุแถวด้วย indexed-repeat()",
                "this field is repeated: use indexed-repeat() to say which value",
            )
        return "" if v[0] is None else v[0]
    return "" if v is None else v


def is_empty(v: Value) -> bool:
    """An answer that is not there: nothing, an empty text, an empty list, or NaN."""
    return v is None or v == "" or (isinstance(v, list) and not v) or (type(v) is float and v != v)


_NUMBER_TEXT = re.compile(r"-?(?:\d+\.?\d*|\.\d+)")


TIME_OF_DAY = re.compile(r"([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.\d+)?)?")


def fractional_days(d: _dt.datetime) -> float:
    """A date-time as days since 1970-01-01 00:00 UTC, the time of day as the fraction."""
    if d.tzinfo is None:
        d = d.astimezone()
    return (d - _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)).total_seconds() / 86400


def days(d: _dt.date) -> int:
    """A date as its number of days since 1970-01-01."""
    if isinstance(d, _dt.datetime):
        d = d.date()
    return (d - EPOCH).days


def number(v: Value) -> float | int:
    """XPath ``number()``: ``nan`` for anything that is not a number written plainly."""
    v = unpack(v)
    t = type(v)
    if t is int or t is float:
        return v
    if t is bool:
        return 1 if v else 0
    if t is str:
        s = v.replace(",", ".").strip()
        if _NUMBER_TEXT.fullmatch(s):
            if "." in s:
                return float(s)
            n = int(s)
            return -0.0 if n == 0 and s.startswith("-") else n
        m = TIME_OF_DAY.fullmatch(v.strip())
        if m:  # a time answer (09:30, 09:30:15): the fraction of its day, so that times compare
            return (int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3) or 0)) / 86400
        return NAN
    if isinstance(v, _dt.datetime):  # days since 1970 with the time as the fraction (JavaRosa)
        return fractional_days(v)
    if isinstance(v, _dt.date):
        return days(v)
    if isinstance(v, dict) and "lat" in v:  # a stored geopoint
        return NAN
    raise ExpressionError("แปลงเป็นตัวเลขไม่ได้", f"cannot convert {type(v).__name__} to a number")


def to_number(v: Value) -> float | int | None:
    """A value as a number, or None when it is empty or not a number (fieldapp's own use)."""
    if v is None or v == "":
        return None
    try:
        n = number(v)
    except ExpressionError:
        return None
    return None if n != n else n


def truthy(v: Value) -> bool:
    """XPath ``boolean()``: a non-empty text is true (even ``'false'``), 0 and NaN are false."""
    if v is True:
        return True
    if v is False or v is None:
        return False
    t = type(v)
    if t is str:
        return v != ""
    if t is int:
        return v != 0
    if t is float:
        return abs(v) > 1e-12 and v == v
    if t is list:
        return bool(v)
    return True  # dates, date-times


def _java_double(d: float) -> str:
    """A double written as Java's ``Double.toString`` writes it (as JavaRosa's ``string()``)."""
    text = repr(d)
    if 1e-3 <= abs(d) < 1e7:
        if "e" in text:
            text = f"{d:.17f}".rstrip("0")
        return text
    mantissa, _, exp = f"{d:.16e}".partition("e")
    digits = repr(float(f"{float(mantissa):.16g}"))
    if "e" in digits:  # cannot happen for a mantissa in [1, 10), kept for safety
        digits = digits.split("e")[0]
    if "." not in digits:
        digits += ".0"
    # shortest mantissa that reads back as the same double
    for places in range(1, 18):
        m = f"{d:.{places}e}"
        if float(m) == d:
            mantissa, _, exp = m.partition("e")
            digits = mantissa.rstrip("0")
            if digits.endswith("."):
                digits += "0"
            break
    return f"{digits}E{int(exp)}"


def to_text(v: Value) -> str:
    """XPath ``string()``: numbers as JavaRosa writes them, dates as ISO, booleans true/false."""
    v = unpack(v)
    t = type(v)
    if t is str:
        return v
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return str(v)
    if t is float:
        if v != v:
            return "NaN"
        if abs(v) < 1e-12:
            return "0"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        if abs(v) < 2**31 and abs(v - int(v)) < 1e-12:
            return str(int(v))
        return _java_double(v)
    if isinstance(v, _dt.datetime):
        return v.isoformat(timespec="milliseconds")
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, dict) and "lat" in v:  # a stored geopoint: "lat lon"
        return f"{to_text(v['lat'])} {to_text(v['lon'])}"
    return str(v)


def equal(a: Value, b: Value) -> bool:
    """XPath ``=``: as booleans if either is one, as numbers if either is one, else as texts."""
    a, b = unpack(a), unpack(b)
    ta, tb = type(a), type(b)
    if ta is bool or tb is bool:
        if a == "" or b == "":
            # a yes/no answer (fieldapp's own type) against '' asks whether it is answered
            return False
        return (a if ta is bool else truthy(a)) == (b if tb is bool else truthy(b))
    if ta in NUMBER_TYPES or tb in NUMBER_TYPES:
        x, y = number(a), number(b)
        return x == y or abs(x - y) < 1e-12
    return to_text(a) == to_text(b)


NUMBER_TYPES = (int, float)


def compare(op: str, a: Value, b: Value) -> bool:
    """XPath ``<``, ``<=``, ``>``, ``>=``: always as numbers (dates as days, texts parsed)."""
    if op in ("=", "=="):
        return equal(a, b)
    if op == "!=":
        return not equal(a, b)
    x, y = number(a), number(b)
    if op == "<":
        return x < y
    if op == "<=":
        return x <= y
    if op == ">":
        return x > y
    return x >= y


def arith(op: str, a: Value, b: Value) -> Value:
    x, y = number(a), number(b)
    if op == "+":
        r = x + y
    elif op == "-":
        r = x - y
    elif op == "*":
        r = x * y
    elif op in ("/", "div"):
        if y == 0:
            if x != x or x == 0:
                return NAN
            return math.copysign(math.inf, x) * math.copysign(1, y)
        return x / y
    else:  # mod: the sign of the dividend, as Java's %
        if y == 0 or math.isinf(x) or x != x or y != y:
            return NAN
        if math.isinf(y):
            return x
        r = math.fmod(x, y)
    if type(r) is float and r.is_integer() and abs(r) < 2**53 and type(x) is int and type(y) is int:
        return int(r)
    return r


def negate(v: Value) -> Value:
    n = number(v)
    return -n
