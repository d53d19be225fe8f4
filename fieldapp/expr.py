"""XLSForm expressions, evaluated as ODK Collect (JavaRosa) evaluates them.

Expressions are tokenised and parsed into a tree by a Pratt parser, then written out as one
Python function (``generate``; see the note above it). The expression's text never reaches
Python's parser: the only operations an expression can perform are the operators and functions
listed in ``FUNCTIONS`` and the grammar below.

    ${field}  ${repeat.field}  .  ..  12  2.5  .5  'text'  "text"
    or  and  = !=  < <= > >=  + -  * div mod  unary -  ( )  name(args)
    ${field}[predicate]   instance('list')/root/item[predicate]/column

Values are those of XPath 1.0 as JavaRosa has them: texts, numbers (``int`` or ``float``,
with ``nan`` and ``±inf``), booleans, dates (``datetime.date``; a number of days since
1970-01-01 in arithmetic and comparisons), date-times, and node-sets (a ``list``: a repeat's
column). An empty answer is the empty text; a select_multiple answer is its codes separated by
spaces. Conversions follow ``number()``, ``string()`` and ``boolean()`` of XPath: ``'false'`` is a
true text, ``'10' < '9'`` compares numbers, ``1 div 0`` is ``Infinity``. Where ODK Collect and
Enketo disagree this module follows Collect; ``docs/forms.md`` lists every difference.

Variable names are resolved when the expression is compiled (by a ``resolve`` callback that
knows the form), so an unknown field is reported when the form loads, not when a person types.
A compiled expression is a function ``fn(data, row) -> value`` where ``data`` is the record's
form-level values and ``row`` the current repeat row (or ``None``).
"""

from __future__ import annotations

import base64
import datetime as _dt
import decimal
import hashlib
import itertools
import math
import random as _random
import re
import time as _time
import uuid as uuid_module
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fieldapp import codegen
from fieldapp.errors import ExpressionError

Value = Any
Data = dict[str, Any]
Compiled = Callable[[Data, "Data | None"], Value]
Resolver = Callable[[str], Compiled]

NAN = math.nan
EPOCH = _dt.date(1970, 1, 1)

# --------------------------------------------------------------------------- tokens

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<var>\$\{\s*(?P<varname>[A-Za-z_][A-Za-z0-9_.\-]*)\s*\})
  | (?P<num>\d+(?:\.\d*)?|\.\d+)
  | (?P<str>'[^']*'|"[^"]*")
  | (?P<op><=|>=|!=|==|\.\.|[=<>+\-*/(),.\[\]|@])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:[:\-.][A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # var, num, str, op, name, func, end
    text: str
    pos: int


def _err(th: str, en: str) -> ExpressionError:
    return ExpressionError(th, en)


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        m = _TOKEN_RE.match(source, pos)
        if not m:
            raise _err(
                f"นิพจน์ผิดรูปแบบที่ตำแหน่ง {pos + 1}: {source[pos : pos + 10]!r}",
                f"unexpected character at position {pos + 1}: {source[pos : pos + 10]!r}",
            )
        kind = m.lastgroup or ""
        if kind == "ws":
            pos = m.end()
            continue
        if kind == "var":
            tokens.append(Token("var", m.group("varname"), pos))
        elif kind == "name":
            text = m.group("name")
            # a name directly followed by "(" is a function call; and/or/div/mod between
            # operands are operators; any other word is a step of a path (instance(…)/root/item)
            rest = source[m.end() :].lstrip()
            prev = tokens[-1] if tokens else None
            after_operand = prev is not None and (
                prev.kind in ("var", "num", "str", "name") or prev.text in (")", "]", ".", "..")
            )
            if text in ("and", "or", "div", "mod") and after_operand:
                tokens.append(Token("op", text, pos))
            elif rest.startswith("("):
                tokens.append(Token("func", text, pos))
            else:
                tokens.append(Token("name", text, pos))
        else:
            tokens.append(Token(kind, m.group(kind), pos))
        pos = m.end()
    tokens.append(Token("end", "", len(source)))
    return tokens


# --------------------------------------------------------------------------- tree


@dataclass
class Node:
    # num, str, var, dot, parent, name (a path step or an item's column), op, neg, call,
    # filter (args: base, predicate), path (args: base; value: the steps' names)
    kind: str
    value: Any = None
    args: list[Node] = field(default_factory=list)


# XPath 1.0: or < and < = != < relational < additive < multiplicative < unary
_BINARY_PRECEDENCE = {
    "or": 1,
    "and": 2,
    "=": 3,
    "==": 3,
    "!=": 3,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "div": 6,
    "mod": 6,
}


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.i = 0
        self.predicate_depth = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def at(self, text: str) -> bool:
        tok = self.tokens[self.i]
        return tok.kind == "op" and tok.text == text

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok.kind != "op" or tok.text != text:
            shown = tok.text or "จบนิพจน์"
            raise _err(
                f"นิพจน์ผิดรูปแบบ: ต้องการ {text!r} แต่พบ {shown!r} ที่ตำแหน่ง {tok.pos + 1}",
                f"expected {text!r} but found {tok.text or 'end'!r} at position {tok.pos + 1}",
            )

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise _err("นิพจน์ว่างเปล่า", "empty expression")
        node = self.expression(0)
        tok = self.peek()
        if tok.kind != "end":
            raise _err(
                f"นิพจน์ผิดรูปแบบ: มีส่วนเกิน {tok.text!r} ที่ตำแหน่ง {tok.pos + 1}",
                f"unexpected {tok.text!r} at position {tok.pos + 1}",
            )
        return node

    def expression(self, min_prec: int) -> Node:
        left = self.unary()
        while True:
            tok = self.peek()
            prec = _BINARY_PRECEDENCE.get(tok.text) if tok.kind == "op" else None
            if prec is None or prec <= min_prec:
                return left
            self.take()
            right = self.expression(prec)
            left = Node("op", "/" if tok.text == "/" else tok.text, [left, right])

    def unary(self) -> Node:
        if self.at("-"):
            self.take()
            return Node("neg", None, [self.unary()])
        return self.postfix(self.primary())

    def postfix(self, node: Node) -> Node:
        """Predicates (``[. > 3]``) and path steps (``/root/item``) after a primary."""
        while True:
            if self.at("["):
                self.take()
                self.predicate_depth += 1
                pred = self.expression(0)
                self.predicate_depth -= 1
                self.expect("]")
                node = Node("filter", None, [node, pred])
            elif (
                self.at("/")
                and self.tokens[self.i + 1].kind == "name"
                and node.kind in ("call", "path", "filter")
            ):
                self.take()
                step = self.take()
                if node.kind == "path":
                    node.value = [*node.value, step.text]
                else:
                    node = Node("path", [step.text], [node])
            else:
                return node

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind == "num":
            text = tok.text
            return Node("num", float(text) if "." in text else int(text))
        if tok.kind == "str":
            return Node("str", tok.text[1:-1])
        if tok.kind == "var":
            return Node("var", tok.text)
        if tok.kind == "op" and tok.text == ".":
            return Node("dot")
        if tok.kind == "op" and tok.text == "..":
            return Node("parent")
        if tok.kind == "name":
            if self.predicate_depth == 0:
                raise _err(
                    f"ไม่รู้จักคำว่า {tok.text!r} ในนิพจน์ (ชื่อข้อคำถามต้องเขียนเป็น ${{{tok.text}}})",
                    f"unknown word {tok.text!r} (write a field as ${{{tok.text}}})",
                )
            return Node("name", tok.text)
        if tok.kind == "op" and tok.text == "(":
            node = self.expression(0)
            self.expect(")")
            return node
        if tok.kind == "func":
            self.expect("(")
            args: list[Node] = []
            if not self.at(")"):
                args.append(self.expression(0))
                while self.at(","):
                    self.take()
                    args.append(self.expression(0))
            self.expect(")")
            return Node("call", tok.text, args)
        shown = tok.text or "จบนิพจน์"
        raise _err(
            f"นิพจน์ผิดรูปแบบ: ไม่คาดว่าจะพบ {shown!r} ที่ตำแหน่ง {tok.pos + 1}",
            f"unexpected {tok.text or 'end'!r} at position {tok.pos + 1}",
        )


def parse(source: str) -> Node:
    """Parse an expression into a tree (raises ExpressionError with the position)."""
    return _Parser(source).parse()


def variables(node: Node) -> list[str]:
    """Every ``${name}`` an expression reads, in order of first appearance."""
    seen: list[str] = []

    def walk(n: Node) -> None:
        if n.kind == "var" and n.value not in seen:
            seen.append(n.value)
        for a in n.args:
            walk(a)

    walk(node)
    return seen


def calls(node: Node) -> set[str]:
    """The names of every function an expression calls."""
    found: set[str] = set()

    def walk(n: Node) -> None:
        if n.kind == "call":
            found.add(n.value)
        for a in n.args:
            walk(a)

    walk(node)
    return found


# --------------------------------------------------------------------------- values


def unpack(v: Value) -> Value:
    """A node-set used as one value: its only node ('' when empty); more than one is an error."""
    if type(v) is list:
        if not v:
            return ""
        if len(v) > 1:
            raise _err(
                "ข้อคำถามนี้อยู่ในแบบซ้ำ ต้องระบุแถวด้วย indexed-repeat()",
                "this field is repeated: use indexed-repeat() to say which value",
            )
        return "" if v[0] is None else v[0]
    return "" if v is None else v


def is_empty(v: Value) -> bool:
    """An answer that is not there: nothing, an empty text, an empty list, or NaN."""
    return v is None or v == "" or (isinstance(v, list) and not v) or (type(v) is float and v != v)


_NUMBER_TEXT = re.compile(r"-?(?:\d+\.?\d*|\.\d+)")


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
        return NAN
    if isinstance(v, _dt.date):
        return days(v)
    if isinstance(v, dict) and "lat" in v:  # a stored geopoint
        return NAN
    raise _err("แปลงเป็นตัวเลขไม่ได้", f"cannot convert {type(v).__name__} to a number")


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


def _equal(a: Value, b: Value) -> bool:
    """XPath ``=``: as booleans if either is one, as numbers if either is one, else as texts."""
    a, b = unpack(a), unpack(b)
    ta, tb = type(a), type(b)
    if ta is bool or tb is bool:
        if a == "" or b == "":
            # a yes/no answer (fieldapp's own type) against '' asks whether it is answered
            return False
        return (a if ta is bool else truthy(a)) == (b if tb is bool else truthy(b))
    if ta in _NUM or tb in _NUM:
        x, y = number(a), number(b)
        return x == y or abs(x - y) < 1e-12
    return to_text(a) == to_text(b)


_NUM = (int, float)


def _compare(op: str, a: Value, b: Value) -> bool:
    """XPath ``<``, ``<=``, ``>``, ``>=``: always as numbers (dates as days, texts parsed)."""
    if op in ("=", "=="):
        return _equal(a, b)
    if op == "!=":
        return not _equal(a, b)
    x, y = number(a), number(b)
    if op == "<":
        return x < y
    if op == "<=":
        return x <= y
    if op == ">":
        return x > y
    return x >= y


def _arith(op: str, a: Value, b: Value) -> Value:
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


def _neg(v: Value) -> Value:
    n = number(v)
    return -n


# --------------------------------------------------------------------------- functions


_TODAY: list[Any] = [None, None]  # (second it was read, date)


def _today() -> _dt.date:
    # read the clock once a second: constraints such as "not after today" run for every member
    now = int(_time.time())
    if _TODAY[0] != now:
        _TODAY[0], _TODAY[1] = now, _dt.date.today()
    d: _dt.date = _TODAY[1]
    return d


def _now() -> _dt.datetime:
    return _dt.datetime.now().astimezone()


_ISO_DATE = re.compile(
    r"(-?\d{4,})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?"
)


def _parse_date_text(s: str, keep_time: bool) -> _dt.date:
    m = _ISO_DATE.fullmatch(s.strip())
    if not m:
        raise _err(f"วันที่ไม่ถูกต้อง: {s[:30]!r}", f"not a date: {s[:30]!r}")
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
        raise _err(f"วันที่ไม่ถูกต้อง: {s[:30]!r}", f"not a date: {s[:30]!r}") from None


def to_date(v: Value, keep_time: bool = False) -> Value:
    """``date()``/``date-time()``: a text (ISO), a number of days, or a date; '' and NaN stay."""
    v = unpack(v)
    t = type(v)
    if t is str:
        if v == "":
            return ""
        return _parse_date_text(v, keep_time)
    if t is int or t is float:
        if v != v:
            return v
        if math.isinf(v) or abs(v) > 2**31:
            raise _err("ตัวเลขนี้แทนวันที่ไม่ได้", f"{v} is out of range for a date")
        if keep_time:
            return _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC) + _dt.timedelta(days=v)
        return EPOCH + _dt.timedelta(days=math.floor(v))
    if isinstance(v, _dt.datetime):
        return v if keep_time else v.date()
    if isinstance(v, _dt.date):
        return v
    raise _err("แปลงเป็นวันที่ไม่ได้", f"cannot convert {type(v).__name__} to a date")


def _date(x: Value) -> Value:
    return to_date(x, False)


def _date_time(x: Value) -> Value:
    return to_date(x, True)


def _decimal_date_time(x: Value) -> Value:
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


def _decimal_time(x: Value) -> Value:
    """The time of day as a fraction of a day (in UTC, as JavaRosa)."""
    v = unpack(x)
    if isinstance(v, _dt.datetime):
        u = v.astimezone(_dt.UTC)
        return (u.hour * 3600 + u.minute * 60 + u.second + u.microsecond / 1e6) / 86400
    s = to_text(v).strip()
    if "T" in s:
        return _decimal_time(_parse_date_text(s, True))
    m = _TIME_TEXT.fullmatch(s)
    if not m:
        raise _err(f"เวลาไม่ถูกต้อง: {s[:30]!r}", f"not a time: {s[:30]!r}")
    today = _dt.date.today().isoformat()
    return _decimal_time(_parse_date_text(f"{today}T{s}", True))


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _format_date(value: Value, fmt: Value) -> str:
    """``format-date``/``format-date-time`` with ODK's %-codes."""
    v = unpack(value)
    if is_empty(v):
        return ""
    if not isinstance(v, _dt.date):
        if type(v) in _NUM:
            v = to_date(v, True)
        else:
            v = _parse_date_text(to_text(v), True)
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
        o = to_date(on) if on is not None and not is_empty(on) else _today()
    except ExpressionError:
        return NAN
    if not isinstance(b, _dt.date) or not isinstance(o, _dt.date) or o < b:
        return NAN
    return o.year - b.year - ((o.month, o.day) < (b.month, b.day))


def _nodes(v: Value) -> list[Any]:
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
        raise _err(
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
        raise _err("count() ต้องใช้กับข้อคำถามในแบบซ้ำ", "count() needs a repeat or a repeated field")
    return len(v)


def _count_non_empty(v: Value) -> int:
    if type(v) is not list:
        raise _err(
            "count-non-empty() ต้องใช้กับข้อคำถามในแบบซ้ำ", "count-non-empty() needs a repeat or a repeated field"
        )
    return sum(1 for item in v if not (item is None or item == "" or item == []))


def _count_if(v: Value, value: Value) -> int:
    """fieldapp's own: how many of the values equal ``value``."""
    return sum(1 for item in _nodes(v) if not is_empty(item) and _equal(item, value))


def _sum(v: Value) -> Value:
    if type(v) is not list:
        raise _err("sum() ต้องใช้กับข้อคำถามในแบบซ้ำ", "sum() needs a repeat or a repeated field")
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
    nums = [n for n in (number(a) for a in _nodes(v)) if n == n]
    return sum(nums) / len(nums) if nums else NAN


def _lookup(values: Value, keys: Value, key: Value) -> Value:
    """fieldapp's own: the value next to the first key equal to ``key``."""
    for val, k in zip(_nodes(values), _nodes(keys), strict=False):
        if not is_empty(k) and _equal(k, key):
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
            raise _err(f"รูปแบบ regex ไม่ถูกต้อง: {p}", f"bad regex {p!r}: {exc}") from exc
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
            raise _err("จำนวนค่าและน้ำหนักไม่เท่ากัน", "weighted-checklist: node-sets of different lengths")
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
        raise _err("ไม่รู้จักวิธีย่อยข้อมูลนี้", f"unknown digest algorithm {to_text(algorithm)!r}")
    raw = hashlib.new(algo, to_text(text).encode("utf-8")).digest()
    enc = to_text(encoding).lower()
    if enc == "hex":
        return raw.hex()
    if enc == "base64":
        return base64.b64encode(raw).decode("ascii")
    raise _err("ไม่รู้จักการเข้ารหัสนี้", f"unknown encoding {to_text(encoding)!r}")


_EARTH_RADIUS = 6_378_100.0  # JavaRosa's GeoUtils


def _points(values: tuple[Value, ...]) -> list[tuple[float, float]]:
    texts: list[str] = []
    for v in values:
        for item in _nodes(v):
            if isinstance(item, dict) and "lat" in item:
                texts.append(f"{item['lat']} {item['lon']}")
            else:
                texts.extend(p for p in to_text(item).split(";") if p.strip())
    points = []
    for t in texts:
        parts = t.split()
        if len(parts) < 2:
            raise _err("พิกัดไม่ถูกต้อง", f"not a geopoint: {t[:40]!r}")
        lat, lon = float(number(parts[0])), float(number(parts[1]))
        if lat != lat or lon != lon:
            raise _err("พิกัดไม่ถูกต้อง", f"not a geopoint: {t[:40]!r}")
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
    "today": (_today, 0, 0),
    "now": (_now, 0, 0),
    "date": (_date, 1, 1),
    "date-time": (_date_time, 1, 1),
    "decimal-date-time": (_decimal_date_time, 1, 1),
    "decimal-time": (_decimal_time, 1, 1),
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


def _check_arity(name: str, n: int, lo: int, hi: int) -> None:
    if n < lo or (hi >= 0 and n > hi):
        want = str(lo) if lo == hi else (f"{lo} ขึ้นไป" if hi < 0 else f"{lo}–{hi}")
        want_en = str(lo) if lo == hi else (f"{lo} or more" if hi < 0 else f"{lo}–{hi}")
        raise _err(
            f"ฟังก์ชัน {name}() ต้องมีอาร์กิวเมนต์ {want} ตัว แต่ให้มา {n} ตัว",
            f"{name}() takes {want_en} argument(s), got {n}",
        )


CALCULATION_ERRORS = (ExpressionError, TypeError, ValueError, OverflowError, ZeroDivisionError, re.error)


@dataclass
class Expression:
    """A parsed and compiled expression, ready to evaluate many times."""

    source: str
    tree: Node
    fn: Compiled

    @property
    def variables(self) -> list[str]:
        return variables(self.tree)

    def __call__(self, data: Data, row: Data | None = None) -> Value:
        try:
            return self.fn(data, row)
        except ExpressionError:
            raise
        except CALCULATION_ERRORS as exc:
            raise ExpressionError(
                f"คำนวณนิพจน์ไม่ได้: {self.source}", f"cannot evaluate {self.source!r}: {exc}"
            ) from exc


def compile_expression(source: str, resolve: Resolver) -> Expression:
    """Parse and compile; ``resolve(name)`` returns a getter for ``${name}`` or raises."""
    tree = parse(source)
    _check_regexes(tree)
    return Expression(source, tree, generate(tree, resolve, source))


# --------------------------------------------------------------------------- code generator
#
# Forms evaluate the same few hundred expressions for every household, so ``generate`` turns a
# tree into one Python function, with the common cases (a code compared with a literal, a number
# with a number, ``and``/``or``/``if``) written out inline and everything else a call of the
# functions above. Safety does not depend on the expression's text: the generated source is made
# only of fixed templates and of names the generator invents (``_k0``, ``_t1``, ``_f2`` …); every
# literal, field name, getter and function is passed in as one of those bound names, never spelled
# in the source. The source is registered with ``linecache`` (``codegen.build``), so a traceback
# shows the generated line and the expression it came from.
#
# A resolver may carry, as attributes, what some functions need from the form:
# ``choice_labels(field) -> {code: label}``, ``instance(list) -> [item dicts]``,
# ``pulldata(file) -> [row dicts]``, ``version`` (text) and ``position`` (a getter giving the
# current repeat row's number).


def _eq_any(a: Value, b: Value) -> bool:
    ta = type(a)
    if ta is type(b) and (ta is str or ta is int):
        return bool(a == b)
    return _equal(a, b)


def _ne_any(a: Value, b: Value) -> bool:
    return not _eq_any(a, b)


def _order_fn(op: str) -> Callable[[Value, Value], bool]:
    def order(a: Value, b: Value) -> bool:
        return _compare(op, a, b)

    return order


def _count_true(values: Value) -> int:
    """``count-if(values, true())``: how many values are true."""
    n = 0
    for v in _nodes(values):
        if v is True or (v is not False and not is_empty(v) and truthy(v)):
            n += 1
    return n


def _filter(items: Value, keep: Callable[[Any], Any]) -> list[Any]:
    return [x for x in _nodes(items) if truthy(keep(x))]


def _nth(items: Value, n: Value) -> list[Any]:
    i = number(n)
    nodes = _nodes(items)
    if i == i and float(i).is_integer() and 1 <= i <= len(nodes):
        return [nodes[int(i) - 1]]
    return []


def _item_get(item: Any, name: str) -> Any:
    if isinstance(item, dict):
        v = item.get(name)
        return "" if v is None else v
    return ""


def _choice_name(labels: dict[str, str], value: Value) -> str:
    return labels.get(to_text(value), "")


def _pulldata(rows: list[dict[str, str]], column: Value, key_column: Value, key: Value) -> str:
    col, kcol, k = to_text(column), to_text(key_column), to_text(key)
    for r in rows:
        if r.get(kcol) == k:
            return r.get(col) or ""
    return ""


def _indexed(values: Value, *pairs: Value) -> Value:
    """``indexed-repeat(${field}, ${repeat}, n)``: the field's value in row n of the repeat."""
    nodes = _nodes(values)
    n = number(pairs[-1])
    if n == n and float(n).is_integer() and 1 <= n <= len(nodes):
        v = nodes[int(n) - 1]
        return "" if v is None else v
    return ""


def _once(current: Value, value: Value) -> Value:
    return value if is_empty(current) else current


class Generator:
    def __init__(self, resolve: Resolver, *, row_known: bool = False) -> None:
        self.resolve = resolve
        self.row_known = row_known  # a block over repeat rows: ``row`` is never None
        # when set, a repeat's column is read once into a local (see column_locals)
        self.columns: dict[tuple[str, str], str] | None = None
        self.names: dict[str, Any] = {
            "_truthy": truthy,
            "_eq_any": _eq_any,
            "_ne_any": _ne_any,
            "_equal": _equal,
            "_compare": _compare,
            "_arith": _arith,
            "_neg": _neg,
            "_count_true": _count_true,
            "_filter": _filter,
            "_nth": _nth,
            "_item": _item_get,
            "_unpack": unpack,
            "_is_empty": is_empty,
        }
        self.temps = 0
        self.context: list[str] = []  # the names of the items predicates are testing

    def bind(self, value: Any, prefix: str = "_k") -> str:
        name = f"{prefix}{len(self.names)}"
        self.names[name] = value
        return name

    def temp(self) -> str:
        self.temps += 1
        return f"_t{self.temps}"

    def boolean(self, node: Node) -> str:
        src = self.emit(node)
        return src if gives_bool(node) else f"_truthy({src})"

    def hook(self, name: str) -> Any:
        found = getattr(self.resolve, name, None)
        if found is None:
            raise _err(f"ใช้ฟังก์ชันนี้ที่นี่ไม่ได้ ({name})", f"{name} is not available here")
        return found

    def getter(self, name: str) -> str:
        getter = self.resolve(name)
        inline = getattr(getter, "inline", None)
        if inline is not None:
            where, key = inline[0], inline[1]
            conv = inline[2] if len(inline) > 2 else None
            if where == "column":
                if self.columns is not None and conv is None:
                    return self.columns.setdefault(tuple(key), f"_col{len(self.columns)}")
                rep, col = self.bind(key[0]), self.bind(key[1])
                if conv is not None:
                    c = self.bind(conv, "_c")
                    return f"[{c}(_r.get({col})) for _r in data.get({rep}) or ()]"
                return f"[_r.get({col}) for _r in data.get({rep}) or ()]"
            k = self.bind(key)
            if where == "form":
                src = f"data.get({k})"
            else:
                src = f"row.get({k})" if self.row_known else f"(row.get({k}) if row is not None else None)"
            return f"{self.bind(conv, '_c')}({src})" if conv is not None else src
        return f"{self.bind(getter, '_g')}(data, row)"

    def emit(self, node: Node) -> str:
        kind = node.kind
        if kind in ("num", "str"):
            return self.bind(node.value)
        if kind == "var":
            return self.getter(node.value)
        if kind == "dot":
            if self.context:
                return self.context[-1]
            return self.getter(".")
        if kind == "parent":
            raise _err("ใช้ .. ได้เฉพาะใน position(..)", "'..' is only allowed in position(..)")
        if kind == "name":
            if not self.context:
                raise _err(f"ไม่รู้จักคำว่า {node.value!r}", f"unknown word {node.value!r}")
            return f"_item({self.context[-1]}, {self.bind(node.value)})"
        if kind == "neg":
            return f"_neg({self.emit(node.args[0])})"
        if kind == "op":
            return self.op(node)
        if kind == "call":
            return self.call(node)
        if kind == "filter":
            return self.filter(node)
        if kind == "path":
            return self.path(node)
        raise _err(f"นิพจน์ผิดรูปแบบ ({kind})", f"bad expression node {kind}")

    def filter(self, node: Node) -> str:
        base, pred = node.args
        items = self.emit(base)
        if pred.kind == "num":
            return f"_nth({items}, {self.bind(pred.value)})"
        x = f"_x{len(self.context)}"
        self.context.append(x)
        try:
            test = self.boolean(pred)
        finally:
            self.context.pop()
        return (
            f"[{x} for {x} in {items} if {test}]"
            if items.startswith("[")
            else f"_filter({items}, lambda {x}: {test})"
        )

    def path(self, node: Node) -> str:
        """``instance('list')/root/item[…]/column``: the items of a choice list, then a column."""
        base = node.args[0]
        steps: list[str] = node.value
        if base.kind == "call" and base.value == "instance":
            if steps != ["root", "item"]:
                raise _err(
                    "เส้นทางนี้ใช้ไม่ได้ (ใช้ instance('รายการ')/root/item)",
                    "only instance('list')/root/item paths are supported",
                )
            return self.instance_items(base)
        if len(steps) != 1:
            raise _err("เส้นทางนี้ใช้ไม่ได้", f"unsupported path /{'/'.join(steps)}")
        return f"[_item(_i, {self.bind(steps[0])}) for _i in {self.emit(base)}]"

    def instance_items(self, node: Node) -> str:
        name = node.args[0]
        if name.kind != "str":
            raise _err("instance() ต้องมีชื่อรายการในเครื่องหมายคำพูด", "instance() needs a list name in quotes")
        return self.bind(self.hook("instance")(name.value), "_items")

    def op(self, node: Node) -> str:
        op = node.value
        left, right = node.args
        if op in ("and", "or"):
            return f"({self.boolean(left)} {op} {self.boolean(right)})"
        if op in ("=", "==", "!="):
            negate = op == "!="
            for var, lit in ((left, right), (right, left)):
                if lit.kind == "str":
                    # ${x} = 'code': a text answer compares as text, anything else the long way
                    t, k = self.temp(), self.bind(lit.value)
                    cmp, slow = ("!=", "_ne_any") if negate else ("==", "_eq_any")
                    return f"(({t} {cmp} {k}) if type({t} := {self.emit(var)}) is str else {slow}({t}, {k}))"
            fn = "_ne_any" if negate else "_eq_any"
            return f"{fn}({self.emit(left)}, {self.emit(right)})"
        if op in ("<", "<=", ">", ">="):
            op_name = self.bind(op)
            if right.kind == "num" or left.kind == "num":
                # a number against a number literal compares directly
                var, lit, swap = (left, right, False) if right.kind == "num" else (right, left, True)
                t, k = self.temp(), self.bind(lit.value)
                a, b = (k, t) if swap else (t, k)
                return (
                    f"(({a} {op} {b}) if type({t} := {self.emit(var)}) is int or type({t}) is float "
                    f"else _compare({op_name}, {a}, {b}))"
                )
            return f"_compare({op_name}, {self.emit(left)}, {self.emit(right)})"
        if op in ("+", "-", "*"):
            # two whole numbers (counts, ages, amounts) add up inline; "&" reads both operands
            a, b = self.temp(), self.temp()
            return (
                f"(({a} {op} {b}) if (type({a} := {self.emit(left)}) is int) & (type({b} := {self.emit(right)}) is int) "
                f"else _arith({self.bind(op)}, {a}, {b}))"
            )
        return f"_arith({self.bind(op)}, {self.emit(left)}, {self.emit(right)})"

    def call(self, node: Node) -> str:
        name = node.value
        args = node.args
        if name in SPECIAL_FUNCTIONS:
            lo, hi = SPECIAL_FUNCTIONS[name]
            _check_arity(name, len(args), lo, hi)
            return self.special(name, args)
        if name not in FUNCTIONS:
            raise _err(f"ไม่รู้จักฟังก์ชัน {name}()", f"unknown function {name}()")
        fn, lo, hi = FUNCTIONS[name]
        _check_arity(name, len(args), lo, hi)
        if name == "true":
            return "True"
        if name == "false":
            return "False"
        if name == "not":
            return f"(not {self.boolean(args[0])})"
        if name == "count-if" and args[1].kind == "call" and args[1].value == "true" and not args[1].args:
            # count-if(${rows.flag}, true()): the commonest count, without building the list
            return f"_count_true({self.emit(args[0])})"
        return f"{self.bind(fn, '_f')}({', '.join(self.emit(a) for a in args)})"

    def special(self, name: str, args: list[Node]) -> str:
        if name == "if":
            cond, a, b = args
            return f"({self.emit(a)} if {self.boolean(cond)} else {self.emit(b)})"
        if name == "coalesce":
            t = self.temp()
            return f"({self.emit(args[1])} if _is_empty(_unpack({t} := {self.emit(args[0])})) else {t})"
        if name == "once":
            current = self.getter("#self")
            return f"{self.bind(_once, '_f')}({current}, {self.emit(args[0])})"
        if name == "position":
            if args and args[0].kind != "parent":
                raise _err("position() ใช้ได้เฉพาะ position(..)", "only position(..) is supported")
            return f"{self.bind(self.hook('position'), '_g')}(data, row)"
        if name == "version":
            return self.bind(str(self.hook("version")))
        if name == "current":
            raise _err("current() ใช้ได้เฉพาะในตัวกรองตัวเลือก", "current() is only supported in choice filters")
        if name == "instance":
            return self.instance_items(Node("call", name, args))
        if name == "pulldata":
            if args[0].kind != "str":
                raise _err("pulldata() ต้องมีชื่อไฟล์ในเครื่องหมายคำพูด", "pulldata() needs the file name in quotes")
            rows = self.bind(self.hook("pulldata")(args[0].value), "_rows")
            rest = ", ".join(self.emit(a) for a in args[1:])
            return f"{self.bind(_pulldata, '_f')}({rows}, {rest})"
        if name == "jr:choice-name":
            ref = args[1]
            text = ref.value if ref.kind == "str" else None
            m = re.fullmatch(r"\s*\$\{([A-Za-z_][A-Za-z0-9_.\-]*)\}\s*", text or "")
            if m is None:
                raise _err(
                    "jr:choice-name() ต้องมีชื่อข้อคำถามแบบ '${ชื่อ}'",
                    "jr:choice-name() needs the field as '${name}'",
                )
            labels = self.bind(self.hook("choice_labels")(m.group(1)), "_labels")
            return f"{self.bind(_choice_name, '_f')}({labels}, {self.emit(args[0])})"
        if name == "indexed-repeat":
            if len(args) not in (3, 5, 7, 9, 11):
                raise _err(
                    "indexed-repeat() ต้องมี 3, 5, 7, 9 หรือ 11 อาร์กิวเมนต์",
                    "indexed-repeat() takes 3, 5, 7, 9 or 11 arguments",
                )
            nested = getattr(self.resolve, "indexed", None)
            if len(args) == 5 and nested is not None and all(a.kind == "var" for a in (args[0], args[1], args[3])):
                # indexed-repeat(${crop_name}, ${plot}, i, ${crop}, j): row j of the repeat inside row i
                fn = nested(args[0].value, args[1].value, args[3].value)
                if fn is not None:
                    return f"{self.bind(fn, '_f')}(data, {self.emit(args[2])}, {self.emit(args[4])})"
            return f"{self.bind(_indexed, '_f')}({', '.join(self.emit(a) for a in args)})"
        raise _err(f"ไม่รู้จักฟังก์ชัน {name}()", f"unknown function {name}()")

    def column_locals(self, indent: str) -> list[str]:
        """Statements reading each repeat column the emitted code used into its local (for a
        function of many expressions over the same, unchanging answers)."""
        lines = []
        for (rep, col), name in (self.columns or {}).items():
            lines.append(
                f"{indent}{name} = [_r.get({self.bind(col)}) for _r in data.get({self.bind(rep)}) or ()]"
            )
        return lines


def generate_row_block(
    steps: list[tuple[str, Node, Callable[[Value], Value] | None]], resolve: Resolver
) -> Callable[[Data, Data], None]:
    """One function that fills a repeat row's calculated fields in order.

    ``steps`` are (field id, tree, normaliser or None); a calculation that fails gives None,
    as ``Form.compute`` does for a single calculation.
    """
    gen = Generator(resolve, row_known=True)
    gen.names["_ERRORS"] = CALCULATION_ERRORS
    lines = ["def _block(data, row):"]
    for name, tree, norm in steps:
        k = gen.bind(name)
        body = gen.emit(tree)
        if norm is not None:
            body = f"{gen.bind(norm, '_n')}({body})"
        lines += ["    try:", f"        row[{k}] = {body}", "    except _ERRORS:", f"        row[{k}] = None"]
    lines.append("    return None")
    block: Callable[[Data, Data], None] = codegen.build("\n".join(lines), gen.names, "_block")
    return block


def generate(node: Node, resolve: Resolver, source: str = "") -> Compiled:
    """Compile a tree into one Python function ``fn(data, row)`` (see the note above)."""
    gen = Generator(resolve)
    body = gen.emit(node)
    # the expression's text is shown in tracebacks only as a comment line of the registered source
    note = "" if not source else "    # " + source.replace("\n", " ")[:200] + "\n"
    fn: Compiled = codegen.build(
        f"def _expression(data, row):\n{note}    return {body}", gen.names, "_expression"
    )
    return fn


def _check_regexes(node: Node) -> None:
    if node.kind == "call" and node.value == "regex" and len(node.args) == 2:
        pat = node.args[1]
        if pat.kind == "str":
            try:
                re.compile(pat.value)
            except re.error as exc:
                raise _err(f"รูปแบบ regex ไม่ถูกต้อง: {pat.value}", f"bad regex {pat.value!r}: {exc}") from exc
    for a in node.args:
        _check_regexes(a)


def simple_resolver(values: dict[str, Any]) -> Resolver:
    """A resolver over a flat dict (for tests and ad-hoc use): lists are node-sets."""

    def resolve(name: str) -> Compiled:
        return lambda data, row: (data or values).get(name)

    return resolve


def evaluate(source: str, values: dict[str, Any]) -> Value:
    """Evaluate an expression once over a flat dict of values."""
    return compile_expression(source, simple_resolver(values))(values, None)
