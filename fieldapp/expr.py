"""A small, safe evaluator for XLSForm-style expressions.

Expressions are tokenised and parsed into a tree by a Pratt parser, then compiled: into nested
closures (``compile_node``, the reference) or into one generated Python function (``generate``,
used by forms; see the note above it). The expression's text never reaches Python's parser: the
only operations an expression can perform are the operators and functions listed in
``FUNCTIONS`` and the grammar below.

    ${field}  ${repeat.field}  .  12  2.5  'text'  "text"
    or  and  = != < <= > >=  + -  * / div mod  unary -  ( )  name(args)

Variable names are resolved when the expression is compiled (by a ``resolve`` callback that
knows the form), so an unknown field is reported when the form loads, not when a person types.
A compiled expression is a function ``fn(data, row) -> value`` where ``data`` is the record's
form-level values and ``row`` the current repeat row (or ``None``).
"""

from __future__ import annotations

import datetime as _dt
import math
import operator
import re
import time as _time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fieldapp import codegen
from fieldapp.errors import ExpressionError

Value = Any
Data = dict[str, Any]
Compiled = Callable[[Data, "Data | None"], Value]
Resolver = Callable[[str], Compiled]


# --------------------------------------------------------------------------- tokens

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<var>\$\{\s*(?P<varname>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\s*\})
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<str>'[^']*'|"[^"]*")
  | (?P<op><=|>=|!=|==|[=<>+\-*/(),.])
  | (?P<name>[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z][A-Za-z0-9]*)*)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # var, num, str, op, name, func, end
    text: str
    pos: int


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        m = _TOKEN_RE.match(source, pos)
        if not m:
            raise ExpressionError(
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
            # a name directly followed by "(" is a function call; otherwise a keyword
            rest = source[m.end() :].lstrip()
            if text in ("and", "or", "div", "mod"):
                tokens.append(Token("op", text, pos))
            elif rest.startswith("("):
                tokens.append(Token("func", text, pos))
            else:
                raise ExpressionError(
                    f"ไม่รู้จักคำว่า {text!r} ในนิพจน์ (ชื่อข้อคำถามต้องเขียนเป็น ${{{text}}})",
                    f"unknown word {text!r} (write a field as ${{{text}}})",
                )
        else:
            tokens.append(Token(kind, m.group(kind), pos))
        pos = m.end()
    tokens.append(Token("end", "", len(source)))
    return tokens


# --------------------------------------------------------------------------- tree


@dataclass
class Node:
    kind: str  # num, str, var, dot, op, neg, call
    value: Any = None
    args: list[Node] = field(default_factory=list)


_BINARY_PRECEDENCE = {
    "or": 1,
    "and": 2,
    "=": 3,
    "==": 3,
    "!=": 3,
    "<": 3,
    "<=": 3,
    ">": 3,
    ">=": 3,
    "+": 4,
    "-": 4,
    "*": 5,
    "/": 5,
    "div": 5,
    "mod": 5,
}


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.i = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok.kind != "op" or tok.text != text:
            shown = tok.text or "จบนิพจน์"
            raise ExpressionError(
                f"นิพจน์ผิดรูปแบบ: ต้องการ {text!r} แต่พบ {shown!r} ที่ตำแหน่ง {tok.pos + 1}",
                f"expected {text!r} but found {tok.text or 'end'!r} at position {tok.pos + 1}",
            )

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise ExpressionError("นิพจน์ว่างเปล่า", "empty expression")
        node = self.expression(0)
        tok = self.peek()
        if tok.kind != "end":
            raise ExpressionError(
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
            left = Node("op", tok.text, [left, right])

    def unary(self) -> Node:
        tok = self.peek()
        if tok.kind == "op" and tok.text == "-":
            self.take()
            return Node("neg", None, [self.unary()])
        return self.primary()

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
        if tok.kind == "op" and tok.text == "(":
            node = self.expression(0)
            self.expect(")")
            return node
        if tok.kind == "func":
            self.expect("(")
            args: list[Node] = []
            if not (self.peek().kind == "op" and self.peek().text == ")"):
                args.append(self.expression(0))
                while self.peek().kind == "op" and self.peek().text == ",":
                    self.take()
                    args.append(self.expression(0))
            self.expect(")")
            return Node("call", tok.text, args)
        shown = tok.text or "จบนิพจน์"
        raise ExpressionError(
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


# --------------------------------------------------------------------------- values


def is_empty(v: Value) -> bool:
    return v is None or v == "" or (isinstance(v, list) and not v)


def to_number(v: Value) -> float | int | None:
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return 1 if v else 0
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            try:
                f = float(v)
            except ValueError:
                return None
            return f if math.isfinite(f) else None
    return None


def truthy(v: Value) -> bool:
    if v is True:
        return True
    if v is False or v is None or v == "":
        return False
    if isinstance(v, (int, float)):
        return v != 0
    if isinstance(v, list):
        return bool(v)
    if isinstance(v, str):
        return v.lower() not in ("false", "0")
    return bool(v)


def _as_list(v: Value) -> list[Any]:
    if v is None:
        return []
    if isinstance(v, list):
        return v
    return [v]


def _equal(a: Value, b: Value) -> bool:
    if is_empty(a) or is_empty(b):
        return is_empty(a) and is_empty(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return truthy(a) == truthy(b)
    if isinstance(a, (int, float)) or isinstance(b, (int, float)):
        na, nb = to_number(a), to_number(b)
        if na is not None and nb is not None:
            return na == nb
    return str(a) == str(b)


def _compare(op: str, a: Value, b: Value) -> bool:
    if op in ("=", "=="):
        return _equal(a, b)
    if op == "!=":
        return not _equal(a, b)
    if is_empty(a) or is_empty(b):
        return False
    na, nb = to_number(a), to_number(b)
    x: Any
    y: Any
    if na is not None and nb is not None and not (isinstance(a, str) and isinstance(b, str)):
        x, y = na, nb
    else:
        x, y = str(a), str(b)
    if op == "<":
        return bool(x < y)
    if op == "<=":
        return bool(x <= y)
    if op == ">":
        return bool(x > y)
    return bool(x >= y)


_SIMPLE = frozenset({str, int, float, bool})
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _arith(op: str, a: Value, b: Value) -> Value:
    na, nb = to_number(a), to_number(b)
    if na is None or nb is None:
        return None
    if op == "+":
        r: float | int = na + nb
    elif op == "-":
        r = na - nb
    elif op == "*":
        r = na * nb
    elif op in ("/", "div"):
        if nb == 0:
            return None
        r = na / nb
    else:  # mod
        if nb == 0:
            return None
        r = math.fmod(na, nb)
    if isinstance(r, float) and r.is_integer() and abs(r) < 2**53 and op not in ("/", "div"):
        return int(r)
    return r


# --------------------------------------------------------------------------- functions


_TODAY: list[Any] = [None, ""]  # (second it was read, ISO date)


def _today() -> str:
    # read the clock once a second: constraints such as "not after today" run for every member
    now = int(_time.time())
    if _TODAY[0] != now:
        _TODAY[0], _TODAY[1] = now, _dt.date.today().isoformat()
    return str(_TODAY[1])


def _parse_iso(v: Value) -> _dt.date | None:
    if isinstance(v, _dt.date):
        return v
    if not isinstance(v, str) or not v:
        return None
    try:
        return _dt.date.fromisoformat(v[:10])
    except ValueError:
        return None


def _age(birth: Value, on: Value = None) -> Value:
    b = _parse_iso(birth)
    if b is None:
        return None
    o = _parse_iso(on) if not is_empty(on) else _dt.date.today()
    if o is None or o < b:
        return None
    return o.year - b.year - ((o.month, o.day) < (b.month, b.day))


def _numbers(v: Value) -> list[float | int]:
    out = []
    for item in _as_list(v):
        n = to_number(item)
        if n is not None:
            out.append(n)
    return out


def _round(x: Value, digits: Value = 0) -> Value:
    n = to_number(x)
    d = to_number(digits) or 0
    if n is None:
        return None
    # round half away from zero, as people expect on paper
    q = 10 ** int(d)
    r = math.floor(abs(n) * q + 0.5) / q
    r = math.copysign(r, n)
    return int(r) if int(d) <= 0 else r


def _int(x: Value) -> Value:
    n = to_number(x)
    return None if n is None else int(n)


def _selected(multi: Value, code: Value) -> bool:
    return str(code) in [str(c) for c in _as_list(multi)]


def _count(v: Value) -> int:
    return sum(1 for item in _as_list(v) if not is_empty(item))


def _count_if(v: Value, value: Value) -> int:
    return sum(1 for item in _as_list(v) if _equal(item, value))


def _sum(v: Value) -> Value:
    nums = _numbers(v)
    total = sum(nums)
    return total


def _min(v: Value) -> Value:
    nums = _numbers(v)
    return min(nums) if nums else None


def _max(v: Value) -> Value:
    nums = _numbers(v)
    return max(nums) if nums else None


def _avg(v: Value) -> Value:
    nums = _numbers(v)
    return sum(nums) / len(nums) if nums else None


def _lookup(values: Value, keys: Value, key: Value) -> Value:
    for val, k in zip(_as_list(values), _as_list(keys), strict=False):
        if _equal(k, key):
            return val
    return None


def to_text(v: Value) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _concat(*parts: Value) -> str:
    return "".join(to_text(p) for p in parts if not is_empty(p))


def _join(sep: Value, v: Value) -> str:
    return to_text(sep).join(to_text(p) for p in _as_list(v) if not is_empty(p))


def _substr(s: Value, start: Value, end: Value = None) -> str:
    text = to_text(s)
    a = int(to_number(start) or 0)
    if is_empty(end):
        return text[a:]
    return text[a : int(to_number(end) or 0)]


def _regex(s: Value, pattern: Value) -> bool:
    if is_empty(s):
        return False
    return re.fullmatch(to_text(pattern), to_text(s)) is not None


def _number(x: Value) -> Value:
    return to_number(x)


def _date(x: Value) -> Value:
    d = _parse_iso(x)
    return d.isoformat() if d else None


def _postal_codes(code: Value) -> list[str]:
    """Postal codes of a subdistrict (empty when the code is unknown)."""
    from fieldapp import geo
    from fieldapp.errors import NotFoundError

    if is_empty(code):
        return []
    try:
        return list(geo.area(str(code)).postal_codes)
    except NotFoundError:
        return []


def _coalesce(a: Value, b: Value) -> Value:
    return b if is_empty(a) else a


# name -> (function, min args, max args); "lazy" functions are handled in the compiler
FUNCTIONS: dict[str, tuple[Callable[..., Value], int, int]] = {
    "not": (lambda x: not truthy(x), 1, 1),
    "coalesce": (_coalesce, 2, 2),
    "selected": (_selected, 2, 2),
    "count-selected": (lambda v: len(_as_list(v)), 1, 1),
    "count": (_count, 1, 1),
    "count-if": (_count_if, 2, 2),
    "sum": (_sum, 1, 1),
    "min": (_min, 1, 1),
    "max": (_max, 1, 1),
    "avg": (_avg, 1, 1),
    "lookup": (_lookup, 3, 3),
    "concat": (_concat, 1, 20),
    "join": (_join, 2, 2),
    "substr": (_substr, 2, 3),
    "string-length": (lambda s: len(to_text(s)), 1, 1),
    "regex": (_regex, 2, 2),
    "round": (_round, 1, 2),
    "int": (_int, 1, 1),
    "number": (_number, 1, 1),
    "today": (_today, 0, 0),
    "age": (_age, 1, 2),
    "date": (_date, 1, 1),
    "postal-codes": (_postal_codes, 1, 1),
    "true": (lambda: True, 0, 0),
    "false": (lambda: False, 0, 0),
}
LAZY_FUNCTIONS = {"if": (3, 3)}


# --------------------------------------------------------------------------- compiler


def compile_node(node: Node, resolve: Resolver) -> Compiled:
    kind = node.kind
    if kind in ("num", "str"):
        const = node.value
        return lambda data, row: const
    if kind == "var":
        return resolve(node.value)
    if kind == "dot":
        return resolve(".")
    if kind == "neg":
        inner = compile_node(node.args[0], resolve)

        def neg(data: Data, row: Data | None) -> Value:
            n = to_number(inner(data, row))
            return None if n is None else -n

        return neg
    if kind == "op":
        op = node.value
        left = compile_node(node.args[0], resolve)
        right = compile_node(node.args[1], resolve)
        # operands known to give a bool need no conversion (most conditions are comparisons)
        lb = left if gives_bool(node.args[0]) else _as_bool(left)
        rb = right if gives_bool(node.args[1]) else _as_bool(right)
        if op == "and":
            return lambda data, row: lb(data, row) and rb(data, row)
        if op == "or":
            return lambda data, row: lb(data, row) or rb(data, row)
        if op in ("=", "==", "!="):
            negate = op == "!="

            def eq(data: Data, row: Data | None) -> Value:
                a, b = left(data, row), right(data, row)
                ta = type(a)
                # fast path: same simple type compares as Python does
                if ta is type(b) and ta in _SIMPLE:
                    same = a == b
                elif a is None and type(b) is str:  # an empty answer against a code
                    same = b == ""
                else:
                    same = _equal(a, b)
                return not same if negate else same

            return eq
        if op in _ORDER:
            cmp = _ORDER[op]

            def order(data: Data, row: Data | None) -> Value:
                a, b = left(data, row), right(data, row)
                ta, tb = type(a), type(b)
                if (ta is int or ta is float) and (tb is int or tb is float):
                    return cmp(a, b)
                if ta is str and tb is str and a and b:  # two texts (ISO dates) compare as text
                    return cmp(a, b)
                return _compare(op, a, b)

            return order
        return lambda data, row: _arith(op, left(data, row), right(data, row))
    if kind == "call":
        name = node.value
        args = [compile_node(a, resolve) for a in node.args]
        if name in LAZY_FUNCTIONS:
            lo, hi = LAZY_FUNCTIONS[name]
            _check_arity(name, len(args), lo, hi)
            cond, a, b = args

            def if_(data: Data, row: Data | None) -> Value:
                return a(data, row) if truthy(cond(data, row)) else b(data, row)

            return if_
        if name not in FUNCTIONS:
            raise ExpressionError(f"ไม่รู้จักฟังก์ชัน {name}()", f"unknown function {name}()")
        fn, lo, hi = FUNCTIONS[name]
        _check_arity(name, len(args), lo, hi)
        if not args:
            return lambda data, row: fn()
        if len(args) == 1:
            a0 = args[0]
            return lambda data, row: fn(a0(data, row))
        if len(args) == 2:
            a0, a1 = args
            return lambda data, row: fn(a0(data, row), a1(data, row))
        return lambda data, row: fn(*[a(data, row) for a in args])
    raise ExpressionError(f"นิพจน์ผิดรูปแบบ ({kind})", f"bad expression node {kind}")


_BOOL_OPS = frozenset({"and", "or", "=", "==", "!=", "<", "<=", ">", ">="})
_BOOL_FUNCS = frozenset({"not", "selected", "regex", "true", "false"})


def gives_bool(node: Node) -> bool:
    """True when the node always evaluates to a Python bool."""
    if node.kind == "op":
        return bool(node.value in _BOOL_OPS)
    return node.kind == "call" and node.value in _BOOL_FUNCS


def _as_bool(fn: Compiled) -> Compiled:
    return lambda data, row: truthy(fn(data, row))


def _check_arity(name: str, n: int, lo: int, hi: int) -> None:
    if not lo <= n <= hi:
        want = str(lo) if lo == hi else f"{lo}–{hi}"
        raise ExpressionError(
            f"ฟังก์ชัน {name}() ต้องมีอาร์กิวเมนต์ {want} ตัว แต่ให้มา {n} ตัว",
            f"{name}() takes {want} argument(s), got {n}",
        )


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
        except (TypeError, ValueError, OverflowError, re.error) as exc:
            raise ExpressionError(
                f"คำนวณนิพจน์ไม่ได้: {self.source}", f"cannot evaluate {self.source!r}: {exc}"
            ) from exc


def compile_expression(source: str, resolve: Resolver) -> Expression:
    """Parse and compile; ``resolve(name)`` returns a getter for ``${name}`` or raises."""
    tree = parse(source)
    _check_regexes(tree)
    return Expression(source, tree, generate(tree, resolve))


# --------------------------------------------------------------------------- code generator
#
# ``compile_node`` above gives one closure per node: simple, and the reference for what an
# expression means. Forms evaluate the same few hundred expressions for every household, so
# ``generate`` turns a tree into one Python function instead, with the common cases (a code
# compared with a literal, a number with a number, ``and``/``or``/``if``) written out inline.
# Safety does not depend on the expression's text: the generated source is made only of fixed
# templates and of names the generator invents (``_k0``, ``_t1``, ``_f2`` …); every literal, field
# name, getter and function is passed in as one of those bound names, never spelled in the
# source. Tests check that both compilers agree on every expression of the shipped forms.

_NUM_TYPES = (int, float)


def _eq_any(a: Value, b: Value) -> bool:
    ta = type(a)
    if ta is type(b) and ta in _SIMPLE:
        return bool(a == b)
    if a is None and type(b) is str:  # an empty answer against a code
        return b == ""
    return _equal(a, b)


def _ne_any(a: Value, b: Value) -> bool:
    return not _eq_any(a, b)


def _order_fn(op: str) -> Callable[[Value, Value], bool]:
    cmp = _ORDER[op]

    def order(a: Value, b: Value) -> bool:
        ta, tb = type(a), type(b)
        if (ta is int or ta is float) and (tb is int or tb is float):
            return bool(cmp(a, b))
        if ta is str and tb is str and a and b:  # two texts (ISO dates) compare as text
            return bool(cmp(a, b))
        return _compare(op, a, b)

    return order


def _count_true(values: Value) -> int:
    """``count-if(values, true())``: how many values are true (``_equal(v, True)``)."""
    n = 0
    for v in _as_list(values):
        if v is True or (v is not False and not is_empty(v) and truthy(v)):
            n += 1
    return n


def _neg(v: Value) -> Value:
    n = to_number(v)
    return None if n is None else -n


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
            "_compare": _compare,
            "_arith": _arith,
            "_neg": _neg,
            "_equal": _equal,
            "_count_true": _count_true,
        }
        self.temps = 0

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

    def emit(self, node: Node) -> str:
        kind = node.kind
        if kind in ("num", "str"):
            return self.bind(node.value)
        if kind in ("var", "dot"):
            getter = self.resolve("." if kind == "dot" else node.value)
            inline = getattr(getter, "inline", None)
            if inline is not None:
                where, key = inline
                if where == "column":
                    if self.columns is not None:
                        return self.columns.setdefault(tuple(key), f"_col{len(self.columns)}")
                    rep, col = self.bind(key[0]), self.bind(key[1])
                    return f"[_r.get({col}) for _r in data.get({rep}) or ()]"
                k = self.bind(key)
                if where == "form":
                    return f"data.get({k})"
                return f"row.get({k})" if self.row_known else f"(row.get({k}) if row is not None else None)"
            return f"{self.bind(getter, '_g')}(data, row)"
        if kind == "neg":
            return f"_neg({self.emit(node.args[0])})"
        if kind == "op":
            return self.op(node)
        if kind == "call":
            return self.call(node)
        raise ExpressionError(f"นิพจน์ผิดรูปแบบ ({kind})", f"bad expression node {kind}")

    def column_locals(self, indent: str) -> list[str]:
        """Statements reading each repeat column the emitted code used into its local (for a
        function of many expressions over the same, unchanging answers)."""
        lines = []
        for (rep, col), name in (self.columns or {}).items():
            lines.append(
                f"{indent}{name} = [_r.get({self.bind(col)}) for _r in data.get({self.bind(rep)}) or ()]"
            )
        return lines

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
        if op in _ORDER:
            if right.kind == "num" or left.kind == "num":
                # a number against a number literal compares directly
                var, lit, swap = (left, right, False) if right.kind == "num" else (right, left, True)
                t, k = self.temp(), self.bind(lit.value)
                a, b = (k, t) if swap else (t, k)
                op_name = self.bind(op)
                return (
                    f"(({a} {op} {b}) if type({t} := {self.emit(var)}) is int or type({t}) is float "
                    f"else _compare({op_name}, {a}, {b}))"
                )
            fn = self.bind(_order_fn(op), "_f")
            return f"{fn}({self.emit(left)}, {self.emit(right)})"
        return f"_arith({self.bind(op)}, {self.emit(left)}, {self.emit(right)})"

    def call(self, node: Node) -> str:
        name = node.value
        args = node.args
        if name in LAZY_FUNCTIONS:
            lo, hi = LAZY_FUNCTIONS[name]
            _check_arity(name, len(args), lo, hi)
            cond, a, b = args
            return f"({self.emit(a)} if {self.boolean(cond)} else {self.emit(b)})"
        if name not in FUNCTIONS:
            raise ExpressionError(f"ไม่รู้จักฟังก์ชัน {name}()", f"unknown function {name}()")
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


CALCULATION_ERRORS = (ExpressionError, TypeError, ValueError, OverflowError)


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


def generate(node: Node, resolve: Resolver) -> Compiled:
    """Compile a tree into one Python function ``fn(data, row)`` (see the note above)."""
    gen = Generator(resolve)
    body = gen.emit(node)
    fn: Compiled = codegen.build(f"def _expression(data, row):\n    return {body}", gen.names, "_expression")
    return fn


def _check_regexes(node: Node) -> None:
    if node.kind == "call" and node.value == "regex" and len(node.args) == 2:
        pat = node.args[1]
        if pat.kind == "str":
            try:
                re.compile(pat.value)
            except re.error as exc:
                raise ExpressionError(
                    f"รูปแบบ regex ไม่ถูกต้อง: {pat.value}", f"bad regex {pat.value!r}: {exc}"
                ) from exc
    for a in node.args:
        _check_regexes(a)


def simple_resolver(values: dict[str, Any]) -> Resolver:
    """A resolver over a flat dict (for tests and ad-hoc use)."""

    def resolve(name: str) -> Compiled:
        return lambda data, row: (data or values).get(name)

    return resolve


def evaluate(source: str, values: dict[str, Any]) -> Value:
    """Evaluate an expression once over a flat dict of values."""
    return compile_expression(source, simple_resolver(values))(values, None)
