"""The glue between forms and ``fieldapp.expr``: how ``${name}`` in a form's expressions finds
its value (``make_resolver``), and which answers the calculations read (``calculation_inputs``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fieldapp import expr
from fieldapp.errors import ExpressionError

if TYPE_CHECKING:
    from fieldapp.forms.model import Field, Form


def make_resolver(
    form: Form, repeat: Field | None, *, dot: bool = False, field: Field | None = None
) -> expr.Resolver:
    """Resolve ``${name}`` for an expression of ``form`` living in ``repeat`` (or at form level).

    Values reach expressions as ODK has them (``types.FieldType.in_expressions``): dates as dates,
    select_multiple answers as codes separated by spaces. A field of a repeat named from outside
    it is the repeat's column (a node-set), as ``${repeat.field}`` is. ``dot``: ``.`` is the value
    being checked (a constraint); ``field``: the field the expression belongs to (``once()``).
    The resolver also carries what ``version()``, ``position(..)``, ``jr:choice-name()``,
    ``instance()`` and ``pulldata()`` need from the form.
    """

    def resolve(name: str) -> expr.Compiled:
        if name == ".":
            if not dot:
                raise ExpressionError(
                    "ใช้ . ได้เฉพาะในเงื่อนไข (constraint)", "'.' is only allowed in a constraint"
                )
            return _getter("row", ".", _converter(field))
        if name == "#self":
            if field is None:
                return lambda data, row: None
            if field.parent is not None:
                return _getter("row", field.id, _converter(field))
            return _getter("form", field.id, _converter(field))
        head, _, tail = name.partition(".")
        if repeat is not None and not tail and repeat.child(head) is not None:
            return _getter("row", head, _converter(repeat.child(head)))
        outer = repeat.parent if repeat is not None else None
        if outer is not None and not tail and outer.child(head) is not None:
            # inside a repeat within a repeat: the outer row's answer (the row is seen with it)
            return _getter("row", head, _converter(outer.child(head)))
        if repeat is not None and not tail:
            inner = _inner_repeat_of(repeat, head)
            if inner is not None:  # a question of a repeat inside this row: this row's column
                return _inner_column(inner.id, head, _converter(inner.child(head)))
        f = form.fields.get(head)
        if f is None and not tail:
            owner = _repeat_of(form, head)
            if owner is not None:  # a repeat's field named from outside: its column
                return _getter("column", (owner.id, head), _converter(owner.child(head)))
            for rep in form.repeats():
                inner = _inner_repeat_of(rep, head)
                if inner is not None:  # of a repeat within a repeat: over every outer row
                    return _all_inner(rep.id, inner.id, head, _converter(inner.child(head)))
        if f is None:
            raise ExpressionError(f"ไม่มีข้อคำถาม ${{{name}}}", f"unknown field ${{{name}}}")
        if tail:
            if f.type != "repeat" or f.child(tail) is None:
                raise ExpressionError(f"ไม่มีข้อคำถาม ${{{name}}}", f"unknown field ${{{name}}}")
            return _getter("column", (head, tail), _converter(f.child(tail)))
        return _getter("form", head, _converter(f))

    resolve.version = form.version  # type: ignore[attr-defined]
    resolve.choice_labels = lambda name: _choice_labels(form, name)  # type: ignore[attr-defined]
    resolve.instance = lambda name: _instance(form, name)  # type: ignore[attr-defined]
    resolve.pulldata = lambda name: _csv_rows(form, name)  # type: ignore[attr-defined]
    resolve.indexed = lambda name, outer, inner: _nested_index(form, name, outer, inner)  # type: ignore[attr-defined]
    if repeat is not None and repeat.parent is not None:
        resolve.position = _inner_position_getter(repeat.id)  # type: ignore[attr-defined]
    elif repeat is not None:
        resolve.position = _position_getter(repeat.id)  # type: ignore[attr-defined]
    return resolve


def _converter(f: Field | None) -> Any:
    return None if f is None else f.kind.in_expressions


def _repeat_of(form: Form, name: str) -> Field | None:
    for rep in form.repeats():
        if rep.child(name) is not None:
            return rep
    return None


def _inner_repeat_of(rep: Field, name: str) -> Field | None:
    for c in rep.fields:
        if c.type == "repeat" and c.child(name) is not None:
            return c
    return None


def _inner_column(inner: str, col: str, conv: Any) -> expr.Compiled:
    """A question of a repeat inside the current row: its values over that row's inner rows."""

    def get(data: dict[str, Any], row: Any) -> Any:
        vals = [r.get(col) for r in (row.get(inner) if row is not None else None) or []]
        return [conv(v) for v in vals] if conv is not None else vals

    return get


def _all_inner(rep: str, inner: str, col: str, conv: Any) -> expr.Compiled:
    """A question of a repeat within a repeat named at form level: over every outer row."""

    def get(data: dict[str, Any], row: Any) -> Any:
        vals = [s.get(col) for r in data.get(rep) or [] for s in r.get(inner) or []]
        return [conv(v) for v in vals] if conv is not None else vals

    return get


def _nested_index(form: Form, name: str, outer: str, inner: str) -> Any:
    """``indexed-repeat(${name}, ${outer}, i, ${inner}, j)`` over a repeat inside a repeat: the
    answer ``name`` of row j of ``inner`` in row i of ``outer`` (None: not such a pair)."""
    top = form.fields.get(outer)
    rep = top.child(inner) if top is not None and top.type == "repeat" else None
    f = rep.child(name) if rep is not None and rep.type == "repeat" else None
    if rep is None or f is None:
        return None
    conv = _converter(f)

    def get(data: dict[str, Any], i: Any, j: Any) -> Any:
        i, j = expr.number(i), expr.number(j)
        rows = data.get(outer) or []
        if not (i == i and float(i).is_integer() and 1 <= i <= len(rows)):
            return ""
        subs = rows[int(i) - 1].get(inner) or []
        if not (j == j and float(j).is_integer() and 1 <= j <= len(subs)):
            return ""
        v = subs[int(j) - 1].get(name)
        v = conv(v) if conv is not None else v
        return "" if v is None else v

    return get


def _inner_position_getter(inner: str) -> expr.Compiled:
    """``position(..)`` in a repeat inside a repeat: the row's number within its outer row (the
    row is a ``ChainMap`` of the inner row and the outer one)."""

    def get(data: dict[str, Any], row: Any) -> Any:
        maps = getattr(row, "maps", None)
        if not maps or len(maps) < 2:
            return expr.NAN
        for i, r in enumerate(maps[1].get(inner) or []):
            if r is maps[0]:
                return i + 1
        return expr.NAN

    return get


def _choice_labels(form: Form, name: str) -> dict[str, str]:
    try:
        f = form.field_at(name) if "." in name else form.fields.get(name) or _child(form, name)
    except KeyError:
        f = None
    if f is None or not f.choices:
        raise ExpressionError(f"ไม่มีข้อคำถามแบบเลือก ${{{name}}}", f"no select field ${{{name}}}")
    return {c.code: c.label(form.default_language) for c in f.choices}


def _child(form: Form, name: str) -> Field | None:
    rep = _repeat_of(form, name)
    return rep.child(name) if rep is not None else None


def _instance(form: Form, name: str) -> list[dict[str, Any]]:
    """A choice list as ODK's secondary instance: items with name, label and extra columns."""
    items = form.choice_lists.get(name)
    if items is None:
        raise ExpressionError(f"ไม่มีรายการตัวเลือก {name!r}", f"no choice list {name!r}")
    return [c.item() for c in items]


def _csv_rows(form: Form, name: str) -> list[dict[str, str]]:
    rows = form.media_tables().get(name)
    if rows is None:
        raise ExpressionError(
            f"ไม่มีไฟล์ {name}.csv ที่มากับแบบฟอร์ม", f"pulldata(): no file {name}.csv comes with the form"
        )
    return rows


def _position_getter(repeat: str) -> expr.Compiled:
    def get(data: dict[str, Any], row: dict[str, Any] | None) -> Any:
        for i, r in enumerate(data.get(repeat) or []):
            if r is row:
                return i + 1
        return expr.NAN

    return get


def _getter(where: str, key: Any, conv: Any) -> expr.Compiled:
    """A getter the expression generator reads inline (``inline``); called, it does the same."""
    if where == "row":

        def get(data: dict[str, Any], row: dict[str, Any] | None) -> Any:
            v = row.get(key) if row is not None else None
            return conv(v) if conv is not None else v

    elif where == "form":

        def get(data: dict[str, Any], row: dict[str, Any] | None) -> Any:
            v = data.get(key)
            return conv(v) if conv is not None else v

    else:
        rep, col = key

        def get(data: dict[str, Any], row: dict[str, Any] | None) -> Any:
            vals = [r.get(col) for r in data.get(rep) or []]
            return [conv(v) for v in vals] if conv is not None else vals

    get.inline = (where, key, conv) if conv is not None else (where, key)  # type: ignore[attr-defined]
    return get


def calculation_inputs(form: Form) -> set[str]:
    """Every answer a calculation or the rubric reads, as ``field`` or ``repeat.field``."""
    names: set[str] = set()
    for f in form.order:
        if f.calculation is None:
            continue
        for v in f.calculation.variables:
            if f.parent is not None and "." not in v and f.parent.child(v) is not None:
                names.add(f"{f.parent.id}.{v}")
            else:
                names.add(v)
    if form.rubric is not None:
        for cap in form.rubric.capitals:
            for ind in cap.indicators:
                names.update(ind.variables)
        for dim in form.rubric.tpmap:
            for rule in dim.rules:
                names.update(rule.when.variables)
    # a repeat read as a whole (count(${members})) depends on every row
    for name in list(names):
        head = name.split(".")[0]
        rep = form.fields.get(head)
        if rep is not None and rep.type == "repeat" and "." not in name:
            names.update(f"{head}.{c.id}" for c in rep.fields)
    return names
