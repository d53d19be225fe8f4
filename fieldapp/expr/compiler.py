"""An expression's tree to one Python function (``generate``), and ``compile_expression``,
which parses, checks and compiles a text into an ``Expression``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fieldapp import codegen
from fieldapp.errors import ExpressionError
from fieldapp.expr.functions import FUNCTIONS, SPECIAL_FUNCTIONS, as_nodes, check_arity, gives_bool
from fieldapp.expr.parser import Node, parse, variables
from fieldapp.expr.values import (
    Compiled,
    Data,
    Resolver,
    Value,
    arith,
    compare,
    equal,
    is_empty,
    negate,
    number,
    to_text,
    truthy,
    unpack,
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
    return equal(a, b)


def _ne_any(a: Value, b: Value) -> bool:
    return not _eq_any(a, b)


def _order_fn(op: str) -> Callable[[Value, Value], bool]:
    def order(a: Value, b: Value) -> bool:
        return compare(op, a, b)

    return order


def _count_true(values: Value) -> int:
    """``count-if(values, true())``: how many values are true."""
    n = 0
    for v in as_nodes(values):
        if v is True or (v is not False and not is_empty(v) and truthy(v)):
            n += 1
    return n


def _filter(items: Value, keep: Callable[[Any], Any]) -> list[Any]:
    return [x for x in as_nodes(items) if truthy(keep(x))]


def _nth(items: Value, n: Value) -> list[Any]:
    i = number(n)
    nodes = as_nodes(items)
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
    nodes = as_nodes(values)
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
            "_equal": equal,
            "_compare": compare,
            "_arith": arith,
            "_neg": negate,
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
            raise ExpressionError(f"ใช้ฟังก์ชันนี้ที่นี่ไม่ได้ ({name})", f"{name} is not available here")
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
            raise ExpressionError("ใช้ .. ได้เฉพาะใน position(..)", "'..' is only allowed in position(..)")
        if kind == "name":
            if not self.context:
                raise ExpressionError(f"ไม่รู้จักคำว่า {node.value!r}", f"unknown word {node.value!r}")
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
        raise ExpressionError(f"นิพจน์ผิดรูปแบบ ({kind})", f"bad expression node {kind}")

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
                raise ExpressionError(
                    "เส้นทางนี้ใช้ไม่ได้ (ใช้ instance('รายการ')/root/item)",
                    "only instance('list')/root/item paths are supported",
                )
            return self.instance_items(base)
        if len(steps) != 1:
            raise ExpressionError("เส้นทางนี้ใช้ไม่ได้", f"unsupported path /{'/'.join(steps)}")
        return f"[_item(_i, {self.bind(steps[0])}) for _i in {self.emit(base)}]"

    def instance_items(self, node: Node) -> str:
        name = node.args[0]
        if name.kind != "str":
            raise ExpressionError(
                "instance() ต้องมีชื่อรายการในเครื่องหมายคำพูด", "instance() needs a list name in quotes"
            )
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
                    # ${x} = 'code': a text answer compares as text, a missing one as '' (XPath's
                    # string() of an empty node), anything else the long way; and ${x} = '' is
                    # false for any other single value (a number, a date, a yes/no: ``equal``)
                    t, k = self.temp(), self.bind(lit.value)
                    cmp, slow = ("!=", "_ne_any") if negate else ("==", "_eq_any")
                    empty = self.bind((lit.value == "") != negate)
                    other = self.bind(negate)
                    rest = (
                        f"({empty} if {t} is None else {other} if type({t}) is not list else {slow}({t}, {k}))"
                        if lit.value == ""
                        else f"({empty} if {t} is None else {slow}({t}, {k}))"
                    )
                    return f"(({t} {cmp} {k}) if type({t} := {self.emit(var)}) is str else {rest})"
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
            check_arity(name, len(args), lo, hi)
            return self.special(name, args)
        if name not in FUNCTIONS:
            raise ExpressionError(f"ไม่รู้จักฟังก์ชัน {name}()", f"unknown function {name}()")
        fn, lo, hi = FUNCTIONS[name]
        check_arity(name, len(args), lo, hi)
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
                raise ExpressionError("position() ใช้ได้เฉพาะ position(..)", "only position(..) is supported")
            return f"{self.bind(self.hook('position'), '_g')}(data, row)"
        if name == "version":
            return self.bind(str(self.hook("version")))
        if name == "current":
            raise ExpressionError(
                "current() ใช้ได้เฉพาะในตัวกรองตัวเลือก", "current() is only supported in choice filters"
            )
        if name == "instance":
            return self.instance_items(Node("call", name, args))
        if name == "pulldata":
            if args[0].kind != "str":
                raise ExpressionError(
                    "pulldata() ต้องมีชื่อไฟล์ในเครื่องหมายคำพูด", "pulldata() needs the file name in quotes"
                )
            rows = self.bind(self.hook("pulldata")(args[0].value), "_rows")
            rest = ", ".join(self.emit(a) for a in args[1:])
            return f"{self.bind(_pulldata, '_f')}({rows}, {rest})"
        if name == "jr:choice-name":
            ref = args[1]
            text = ref.value if ref.kind == "str" else None
            m = re.fullmatch(r"\s*\$\{([A-Za-z_][A-Za-z0-9_.\-]*)\}\s*", text or "")
            if m is None:
                raise ExpressionError(
                    "jr:choice-name() ต้องมีชื่อข้อคำถามแบบ '${ชื่อ}'",
                    "jr:choice-name() needs the field as '${name}'",
                )
            labels = self.bind(self.hook("choice_labels")(m.group(1)), "_labels")
            return f"{self.bind(_choice_name, '_f')}({labels}, {self.emit(args[0])})"
        if name == "indexed-repeat":
            if len(args) not in (3, 5, 7, 9, 11):
                raise ExpressionError(
                    "indexed-repeat() ต้องมี 3, 5, 7, 9 หรือ 11 อาร์กิวเมนต์",
                    "indexed-repeat() takes 3, 5, 7, 9 or 11 arguments",
                )
            nested = getattr(self.resolve, "indexed", None)
            if (
                len(args) == 5
                and nested is not None
                and all(a.kind == "var" for a in (args[0], args[1], args[3]))
            ):
                # indexed-repeat(${crop_name}, ${plot}, i, ${crop}, j): row j of the repeat inside row i
                fn = nested(args[0].value, args[1].value, args[3].value)
                if fn is not None:
                    return f"{self.bind(fn, '_f')}(data, {self.emit(args[2])}, {self.emit(args[4])})"
            return f"{self.bind(_indexed, '_f')}({', '.join(self.emit(a) for a in args)})"
        raise ExpressionError(f"ไม่รู้จักฟังก์ชัน {name}()", f"unknown function {name}()")

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
                raise ExpressionError(
                    f"รูปแบบ regex ไม่ถูกต้อง: {pat.value}", f"bad regex {pat.value!r}: {exc}"
                ) from exc
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
