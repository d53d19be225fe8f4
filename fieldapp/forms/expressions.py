"""The glue between forms and ``fieldapp.expr``: how ``${name}`` in a form's expressions finds
its value (``make_resolver``), and which answers the calculations read (``calculation_inputs``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fieldapp import expr
from fieldapp.errors import ExpressionError

if TYPE_CHECKING:
    from fieldapp.forms.model import Field, Form


def make_resolver(form: Form, repeat: Field | None, *, dot: bool = False) -> expr.Resolver:
    """Resolve ``${name}`` for an expression of ``form`` living in ``repeat`` (or at form level)."""

    def resolve(name: str) -> expr.Compiled:
        if name == ".":
            if not dot:
                raise ExpressionError(
                    "ใช้ . ได้เฉพาะในเงื่อนไข (constraint)", "'.' is only allowed in a constraint"
                )
            return _dot_getter
        head, _, tail = name.partition(".")
        if repeat is not None and not tail and repeat.child(head) is not None:
            return _row_getter(head)
        f = form.fields.get(head)
        if f is None:
            raise ExpressionError(f"ไม่มีข้อคำถาม ${{{name}}}", f"unknown field ${{{name}}}")
        if tail:
            if f.type != "repeat" or f.child(tail) is None:
                raise ExpressionError(f"ไม่มีข้อคำถาม ${{{name}}}", f"unknown field ${{{name}}}")
            return _column_getter(head, tail)
        return _form_getter(head)

    return resolve


def _dot_getter(data: dict[str, Any], row: dict[str, Any] | None) -> Any:
    return row.get(".") if row is not None else None


_dot_getter.inline = ("row", ".")  # type: ignore[attr-defined]  # read inline by expr.generate


def _row_getter(name: str) -> expr.Compiled:
    def get(data: dict[str, Any], row: dict[str, Any] | None) -> Any:
        return row.get(name) if row is not None else None

    get.inline = ("row", name)  # type: ignore[attr-defined]  # read inline by expr.generate
    return get


def _form_getter(name: str) -> expr.Compiled:
    def get(data: dict[str, Any], row: dict[str, Any] | None) -> Any:
        return data.get(name)

    get.inline = ("form", name)  # type: ignore[attr-defined]
    return get


def _column_getter(repeat: str, name: str) -> expr.Compiled:
    def get(data: dict[str, Any], row: dict[str, Any] | None) -> Any:
        return [r.get(name) for r in data.get(repeat) or []]

    get.inline = ("column", (repeat, name))  # type: ignore[attr-defined]
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
