"""The ODK function library: each function of an expression as a Python function, gathered in
the table ``FUNCTIONS`` (name → function, fewest and most arguments); ``SPECIAL_FUNCTIONS`` are
written out by the compiler instead (``fieldapp.expr.compiler``)."""

from __future__ import annotations

import base64
import datetime as _dt
import decimal
import hashlib
import itertools
import math
import random as _random
import re
import uuid as uuid_module
from collections.abc import Callable
from typing import Any

from fieldapp.errors import ExpressionError
from fieldapp.expr.dates import (
    as_date,
    as_date_time,
    current_date,
    current_time,
    decimal_date_time,
    decimal_time,
    parse_date_text,
    to_date,
)
from fieldapp.expr.parser import Node
from fieldapp.expr.values import (
    NAN,
    NUMBER_TYPES,
    TIME_OF_DAY,
    Value,
    equal,
    is_empty,
    number,
    to_text,
    truthy,
    unpack,
)

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _format_date(value: Value, fmt: Value) -> str:
    """``format-date``/``format-date-time`` with ODK's %-codes."""
    v = unpack(value)
    if is_empty(v):
        return ""
    if not isinstance(v, _dt.date):
        if type(v) in NUMBER_TYPES:
            v = to_date(v, True)
        elif TIME_OF_DAY.fullmatch(to_text(v).strip()):  # a time answer: that time on 1970-01-01
            hms = [int(x) for x in to_text(v).strip().split(".")[0].split(":")]
            v = _dt.datetime(1970, 1, 1, hms[0], hms[1], hms[2] if len(hms) > 2 else 0)
        else:
            v = parse_date_text(to_text(v), True)
    d: Any = v
    has_time = isinstance(d, _dt.datetime)
    f = to_text(fmt)
    out: list[str] = []
    i = 0
    while i < len(f):
        c = f[i]
        if c != "%" or i + 1 >= len(f):
            out.append(c)
            i += 1
            continue
        code = f[i + 1]
        i += 2
        if code == "Y":
            out.append(f"{d.year:04d}")
        elif code == "y":
            out.append(f"{d.year % 100:02d}")
        elif code == "m":
            out.append(f"{d.month:02d}")
        elif code == "n":
            out.append(str(d.month))
        elif code == "b":
            out.append(_MONTHS[d.month - 1])
        elif code == "d":
            out.append(f"{d.day:02d}")
        elif code == "e":
            out.append(str(d.day))
        elif code == "a":
            out.append(_DAYS[d.weekday()])
        elif code in "HhMS3":
            hh, mm, ss, us = (d.hour, d.minute, d.second, d.microsecond) if has_time else (0, 0, 0, 0)
            out.append(
                {
                    "H": f"{hh:02d}",
                    "h": str(hh),
                    "M": f"{mm:02d}",
                    "S": f"{ss:02d}",
                    "3": f"{us // 1000:03d}",
                }[code]
            )
        else:
            out.append("%" + code)
    return "".join(out)


def _age(birth: Value, on: Value = None) -> Value:
    """fieldapp's own: whole years from ``birth`` to ``on`` (today when not given)."""
    try:
        b = to_date(birth)
        o = to_date(on) if on is not None and not is_empty(on) else current_date()
    except ExpressionError:
        return NAN
    if not isinstance(b, _dt.date) or not isinstance(o, _dt.date) or o < b:
        return NAN
    return o.year - b.year - ((o.month, o.day) < (b.month, b.day))


def as_nodes(v: Value) -> list[Any]:
    if type(v) is list:
        return v
    return [v]


def _round(x: Value, digits: Value = 0) -> Value:
    """ODK Collect's round: half up for positive numbers, half towards zero for negative ones
    (so ``round(-2.5)`` is -2), with negative places rounding to tens, hundreds …"""
    n = float(number(x))
    places = number(digits)
    if n != n or math.isinf(n):
        return n
    p = int(places) if places == places and not math.isinf(places) else 0
    if p > 30 or p < -30:
        return NAN
    if p >= 0:
        mode = decimal.ROUND_HALF_DOWN if n < 0 else decimal.ROUND_HALF_UP
        r = float(decimal.Decimal(repr(n)).quantize(decimal.Decimal(1).scaleb(-p), rounding=mode))
    else:
        scaled = float(decimal.Decimal(repr(n)).scaleb(p))
        r = float(decimal.Decimal(int(scaled + 0.5)).scaleb(-p))
    if p <= 0 and abs(r) < 2**53:
        return -0.0 if r == 0 and math.copysign(1, r) < 0 else int(r)
    return r


def _int(x: Value) -> Value:
    n = number(x)
    if type(n) is int:
        return n
    if n != n or math.isinf(n) or abs(n) >= 2**63:
        return n
    return int(n) if int(n) != 0 or n >= 0 else -0.0


def _selected(multi: Value, code: Value) -> bool:
    c = unpack(code)
    if type(c) is not str:
        raise ExpressionError(
            "ตัวที่สองของ selected() ต้องเป็นข้อความในเครื่องหมายคำพูด",
            "the second argument of selected() must be in quotes (like '1')",
        )
    return f" {c.strip()} " in f" {to_text(multi)} "


def _count_selected(v: Value) -> int:
    return len(to_text(v).split())


def _selected_at(v: Value, i: Value) -> str:
    items = to_text(v).split()
    n = _int(i)
    if type(n) is int and 0 <= n < len(items):
        return items[n]
    return ""


def _count(v: Value) -> int:
    if type(v) is not list:
        raise ExpressionError("count() ต้องใช้กับข้อคำถามในแบบซ้ำ", "count() needs a repeat or a repeated field")
    return len(v)


def _count_non_empty(v: Value) -> int:
    if type(v) is not list:
        raise ExpressionError(
            "count-non-empty() ต้องใช้กับข้อคำถามในแบบซ้ำ", "count-non-empty() needs a repeat or a repeated field"
        )
    return sum(1 for item in v if not (item is None or item == "" or item == []))


def _count_if(v: Value, value: Value) -> int:
    """fieldapp's own: how many of the values equal ``value``."""
    return sum(1 for item in as_nodes(v) if not is_empty(item) and equal(item, value))


def _sum(v: Value) -> Value:
    if type(v) is not list:
        raise ExpressionError("sum() ต้องใช้กับข้อคำถามในแบบซ้ำ", "sum() needs a repeat or a repeated field")
    total: float | int = 0
    for item in v:
        n = number(item)
        if n == n:
            total += n
    return total


def _extreme(pick: Callable[..., Any], args: tuple[Value, ...]) -> Value:
    values = args[0] if len(args) == 1 and type(args[0]) is list else args
    nums = [n for n in (number(a) for a in values) if n == n]
    return pick(nums) if nums else NAN


def _min(*args: Value) -> Value:
    return _extreme(min, args)


def _max(*args: Value) -> Value:
    return _extreme(max, args)


def _avg(v: Value) -> Value:
    """fieldapp's own: the mean of the numbers among the values (NaN when there are none)."""
    nums = [n for n in (number(a) for a in as_nodes(v)) if n == n]
    return sum(nums) / len(nums) if nums else NAN


def _lookup(values: Value, keys: Value, key: Value) -> Value:
    """fieldapp's own: the value next to the first key equal to ``key``."""
    for val, k in zip(as_nodes(values), as_nodes(keys), strict=False):
        if not is_empty(k) and equal(k, key):
            return "" if val is None else val
    return ""


def _concat(*parts: Value) -> str:
    if len(parts) == 1 and type(parts[0]) is list:
        return "".join(to_text(p) for p in parts[0])
    return "".join(to_text(p) for p in parts)


def _join(sep: Value, *parts: Value) -> str:
    items = parts[0] if len(parts) == 1 and type(parts[0]) is list else parts
    return to_text(sep).join(to_text(p) for p in items)


def _substr(s: Value, start: Value, end: Value = None) -> str:
    text = to_text(s)
    n = len(text)
    a = _int(start)
    b = _int(end) if end is not None else n
    a = 0 if a != a else int(a)
    b = n if b != b else int(b)
    if a < 0:
        a += n
    if b < 0:
        b += n
    a, b = min(max(0, a), n), min(max(0, b), n)
    return text[a:b] if a <= b else ""


def _substring_before(s: Value, sub: Value) -> str:
    text, part = to_text(s), to_text(sub)
    pos = text.find(part)
    return text[:pos] if pos >= 0 else ""


def _substring_after(s: Value, sub: Value) -> str:
    text, part = to_text(s), to_text(sub)
    pos = text.find(part)
    return text[pos + len(part) :] if pos >= 0 else ""


def _translate(s: Value, src: Value, dst: Value) -> str:
    text, a, b = to_text(s), to_text(src), to_text(dst)
    out = []
    for c in text:
        i = a.find(c)
        if i < 0:
            out.append(c)
        elif i < len(b):
            out.append(b[i])
    return "".join(out)


def _normalize_space(s: Value) -> str:
    return " ".join(to_text(s).split())


_REGEX_CACHE: dict[str, re.Pattern[str]] = {}


def _checksum13(s: Value) -> bool:
    """13 digits whose last is the national ID's mod-11 check digit (national IDs, juristic
    person numbers)."""
    if is_empty(s):
        return False
    text = to_text(s)
    if not re.fullmatch(r"[0-9]{13}", text):
        return False
    total = sum(int(d) * (13 - i) for i, d in enumerate(text[:12]))
    return (11 - total % 11) % 10 == int(text[12])


def _regex(s: Value, pattern: Value) -> bool:
    """Java's ``Pattern.matches``: the whole text must match."""
    p = to_text(pattern)
    rx = _REGEX_CACHE.get(p)
    if rx is None:
        try:
            rx = _REGEX_CACHE[p] = re.compile(p)
        except re.error as exc:
            raise ExpressionError(f"รูปแบบ regex ไม่ถูกต้อง: {p}", f"bad regex {p!r}: {exc}") from exc
    return rx.fullmatch(to_text(s)) is not None


def _boolean_from_string(v: Value) -> bool:
    s = to_text(v)
    return s.lower() == "true" or s == "1"


def _checklist(lo: Value, hi: Value, *factors: Value) -> bool:
    items = factors[0] if len(factors) == 1 and type(factors[0]) is list else factors
    n = sum(1 for f in items if truthy(unpack(f) if type(f) is list else f))
    a, b = number(lo), number(hi)
    return (a < 0 or n >= a) and (b < 0 or n <= b)


def _weighted_checklist(lo: Value, hi: Value, *pairs: Value) -> bool:
    if len(pairs) == 2 and type(pairs[0]) is list and type(pairs[1]) is list:
        factors, weights = pairs[0], pairs[1]
        if len(factors) != len(weights):
            raise ExpressionError(
                "จำนวนค่าและน้ำหนักไม่เท่ากัน", "weighted-checklist: node-sets of different lengths"
            )
    else:
        factors, weights = list(pairs[0::2]), list(pairs[1::2])
    total: float = 0
    for f, w in zip(factors, weights, strict=True):
        if truthy(unpack(f) if type(f) is list else f):
            total += number(w)
    a, b = number(lo), number(hi)
    return (a < 0 or total >= a) and (b < 0 or total <= b)


def _coalesce(a: Value, b: Value) -> Value:
    return b if is_empty(unpack(a) if type(a) is list else a) else a


def _boolean(v: Value) -> bool:
    return truthy(unpack(v) if type(v) is list and len(v) <= 1 else v)


def _string_length(s: Value) -> int:
    return len(to_text(s))


def _uuid(length: Value = None) -> str:
    if length is None:
        return str(uuid_module.uuid4())
    n = int(number(length))
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    rng = _random.SystemRandom()
    return "".join(rng.choice(alphabet) for _ in range(max(0, n)))


_DIGESTS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _digest(text: Value, algorithm: Value, encoding: Value = "base64") -> str:
    algo = _DIGESTS.get(to_text(algorithm).upper())
    if algo is None:
        raise ExpressionError("ไม่รู้จักวิธีย่อยข้อมูลนี้", f"unknown digest algorithm {to_text(algorithm)!r}")
    raw = hashlib.new(algo, to_text(text).encode("utf-8")).digest()
    enc = to_text(encoding).lower()
    if enc == "hex":
        return raw.hex()
    if enc == "base64":
        return base64.b64encode(raw).decode("ascii")
    raise ExpressionError("ไม่รู้จักการเข้ารหัสนี้", f"unknown encoding {to_text(encoding)!r}")


_EARTH_RADIUS = 6_378_100.0  # JavaRosa's GeoUtils


def _points(values: tuple[Value, ...]) -> list[tuple[float, float]]:
    texts: list[str] = []
    for v in values:
        for item in as_nodes(v):
            if isinstance(item, dict) and "lat" in item:
                texts.append(f"{item['lat']} {item['lon']}")
            else:
                texts.extend(p for p in to_text(item).split(";") if p.strip())
    points = []
    for t in texts:
        parts = t.split()
        if len(parts) < 2:
            raise ExpressionError("พิกัดไม่ถูกต้อง", f"not a geopoint: {t[:40]!r}")
        lat, lon = float(number(parts[0])), float(number(parts[1]))
        if lat != lat or lon != lon:
            raise ExpressionError("พิกัดไม่ถูกต้อง", f"not a geopoint: {t[:40]!r}")
        points.append((lat, lon))
    return points


def _distance(*values: Value) -> float:
    pts = _points(values)
    total = 0.0
    for (la1, lo1), (la2, lo2) in itertools.pairwise(pts):
        p1, p2, dl = math.radians(la1), math.radians(la2), math.radians(lo1 - lo2)
        c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
        total += math.acos(max(-1.0, min(1.0, c))) * _EARTH_RADIUS
    return total


def _area(shape: Value) -> float:
    pts = _points((shape,))
    if len(pts) < 3:
        return 0.0
    circ = 2 * _EARTH_RADIUS * math.pi
    lat0, lon0 = pts[0]
    xs = [(lon - lon0) * circ * math.cos(math.radians(lat)) / 360.0 for lat, lon in pts[1:]]
    ys = [(lat - lat0) * circ / 360.0 for lat, _ in pts[1:]]
    total = sum((ys[i - 1] * xs[i] - xs[i - 1] * ys[i]) / 2 for i in range(1, len(xs)))
    return abs(total)


def _math(fn: Callable[..., float]) -> Callable[..., Value]:
    def call(*args: Value) -> Value:
        xs = [float(number(a)) for a in args]
        try:
            return fn(*xs)
        except (ValueError, OverflowError):
            return NAN

    return call


def _pow(a: Value, b: Value) -> Value:
    x, y = float(number(a)), float(number(b))
    try:
        r = math.pow(x, y)
    except (ValueError, OverflowError):
        return NAN if x < 0 else math.inf
    return int(r) if r.is_integer() and abs(r) < 2**53 and type(number(a)) is int and y >= 0 else r


def _postal_codes(code: Value) -> str:
    """fieldapp's own: the postal codes of a subdistrict, separated by spaces as the answers of
    a select_multiple are (empty when the code is unknown): ``selected(postal-codes(…), .)``."""
    from fieldapp import geo
    from fieldapp.errors import NotFoundError

    c = to_text(code)
    if not c:
        return ""
    try:
        return " ".join(geo.area(c).postal_codes)
    except NotFoundError:
        return ""


def _not(v: Value) -> bool:
    return not _boolean(v)


# name -> (function, min args, max args or -1 for any number); the functions that need the
# form (pulldata, version, jr:choice-name, position, once, instance, indexed-repeat) or that
# decide which arguments to evaluate (if, coalesce) are written out by the generator.
FUNCTIONS: dict[str, tuple[Callable[..., Value], int, int]] = {
    "true": (lambda: True, 0, 0),
    "false": (lambda: False, 0, 0),
    "boolean": (_boolean, 1, 1),
    "not": (_not, 1, 1),
    "number": (number, 1, 1),
    "string": (to_text, 1, 1),
    "int": (_int, 1, 1),
    "round": (_round, 1, 2),
    "boolean-from-string": (_boolean_from_string, 1, 1),
    "selected": (_selected, 2, 2),
    "is-selected": (_selected, 2, 2),
    "count-selected": (_count_selected, 1, 1),
    "selected-at": (_selected_at, 2, 2),
    "count": (_count, 1, 1),
    "count-non-empty": (_count_non_empty, 1, 1),
    "sum": (_sum, 1, 1),
    "min": (_min, 1, -1),
    "max": (_max, 1, -1),
    "concat": (_concat, 0, -1),
    "join": (_join, 1, -1),
    "substr": (_substr, 2, 3),
    "substring-before": (_substring_before, 2, 2),
    "substring-after": (_substring_after, 2, 2),
    "translate": (_translate, 3, 3),
    "contains": (lambda a, b: to_text(b) in to_text(a), 2, 2),
    "starts-with": (lambda a, b: to_text(a).startswith(to_text(b)), 2, 2),
    "ends-with": (lambda a, b: to_text(a).endswith(to_text(b)), 2, 2),
    "string-length": (_string_length, 1, 1),
    "normalize-space": (_normalize_space, 1, 1),
    "regex": (_regex, 2, 2),
    "checksum13": (_checksum13, 1, 1),
    "checklist": (_checklist, 2, -1),
    "weighted-checklist": (_weighted_checklist, 2, -1),
    "today": (current_date, 0, 0),
    "now": (current_time, 0, 0),
    "date": (as_date, 1, 1),
    "date-time": (as_date_time, 1, 1),
    "decimal-date-time": (decimal_date_time, 1, 1),
    "decimal-time": (decimal_time, 1, 1),
    "format-date": (_format_date, 2, 2),
    "format-date-time": (_format_date, 2, 2),
    "abs": (_math(abs), 1, 1),
    "floor": (_math(math.floor), 1, 1),
    "ceiling": (_math(math.ceil), 1, 1),
    "pow": (_pow, 2, 2),
    "sqrt": (_math(math.sqrt), 1, 1),
    "exp": (_math(math.exp), 1, 1),
    "exp10": (_math(lambda x: 10.0**x), 1, 1),
    "log": (_math(math.log), 1, 1),
    "log10": (_math(math.log10), 1, 1),
    "pi": (lambda: math.pi, 0, 0),
    "sin": (_math(math.sin), 1, 1),
    "cos": (_math(math.cos), 1, 1),
    "tan": (_math(math.tan), 1, 1),
    "asin": (_math(math.asin), 1, 1),
    "acos": (_math(math.acos), 1, 1),
    "atan": (_math(math.atan), 1, 1),
    "atan2": (_math(math.atan2), 2, 2),
    "random": (_random.random, 0, 0),
    "uuid": (_uuid, 0, 1),
    "digest": (_digest, 2, 3),
    "distance": (_distance, 1, -1),
    "area": (_area, 1, 1),
    "enclosed-area": (_area, 1, 1),
    # fieldapp's own
    "count-if": (_count_if, 2, 2),
    "avg": (_avg, 1, 1),
    "lookup": (_lookup, 3, 3),
    "age": (_age, 1, 2),
    "postal-codes": (_postal_codes, 1, 1),
}
# written out by the generator: (min args, max args)
SPECIAL_FUNCTIONS = {
    "if": (3, 3),
    "coalesce": (2, 2),
    "once": (1, 1),
    "position": (0, 1),
    "version": (0, 0),
    "pulldata": (4, 4),
    "jr:choice-name": (2, 2),
    "instance": (1, 1),
    "indexed-repeat": (3, 11),
    "current": (0, 0),
}


_BOOL_OPS = frozenset({"and", "or", "=", "==", "!=", "<", "<=", ">", ">="})
_BOOL_FUNCS = frozenset(
    {
        "not",
        "selected",
        "is-selected",
        "regex",
        "true",
        "false",
        "boolean",
        "boolean-from-string",
        "contains",
        "starts-with",
        "ends-with",
        "checklist",
        "weighted-checklist",
    }
)


def gives_bool(node: Node) -> bool:
    """True when the node always evaluates to a Python bool."""
    if node.kind == "op":
        return bool(node.value in _BOOL_OPS)
    return node.kind == "call" and node.value in _BOOL_FUNCS


def check_arity(name: str, n: int, lo: int, hi: int) -> None:
    if n < lo or (hi >= 0 and n > hi):
        want = str(lo) if lo == hi else (f"{lo} ขึ้นไป" if hi < 0 else f"{lo}–{hi}")
        want_en = str(lo) if lo == hi else (f"{lo} or more" if hi < 0 else f"{lo}–{hi}")
        raise ExpressionError(
            f"ฟังก์ชัน {name}() ต้องมีอาร์กิวเมนต์ {want} ตัว แต่ให้มา {n} ตัว",
            f"{name}() takes {want_en} argument(s), got {n}",
        )
