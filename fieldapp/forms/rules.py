"""The rules of a form at work: relevance, ``required``, constraints and calculations.

Each rule has one implementation here; the general validation path (``validation``), the
generated validator (``fieldapp.formcode``) and the editor all call these.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections import ChainMap
from typing import TYPE_CHECKING, Any

from fieldapp import expr
from fieldapp.errors import ExpressionError

if TYPE_CHECKING:
    from fieldapp.forms.model import Field, Form


def calc_value(f: Field, data: dict[str, Any], row: dict[str, Any] | None) -> Any:
    assert f.calculation is not None
    try:
        value = f.calculation.fn(data, row)
    except (ExpressionError, TypeError, ValueError, OverflowError):
        return None
    return normalise_result(f, value)


def normaliser(f: Field) -> Any:
    """A fast function that turns a calculation's value into the field's stored form
    (None when the calculation always gives that form already)."""
    t = f.value_type
    if t == "boolean" and f.calculation is not None and expr.gives_bool(f.calculation.tree):
        return None
    if t == "boolean":

        def as_bool(v: Any) -> Any:
            if v is True or v is False:
                return v
            return None if expr.is_empty(v) else expr.truthy(v)

        return as_bool
    if t == "integer":

        def as_int(v: Any) -> Any:
            if type(v) is int:
                return v
            return normalise_result(f, v)

        return as_int
    return lambda v: normalise_result(f, v)


def normalise_result(f: Field, value: Any) -> Any:
    """A calculation's value in the stored form of the field's ``result`` type (None when empty,
    NaN or infinite: a record stores no such numbers)."""
    t = f.value_type
    if type(value) is list and t != "select_multiple":
        if len(value) != 1:
            return None
        value = value[0]
    if expr.is_empty(value):
        return None
    if t == "integer":
        n = expr.to_number(value)
        return None if n is None or not math.isfinite(n) else int(n)
    if t in ("decimal", "money"):
        n = expr.to_number(value)
        if n is None or not math.isfinite(n):
            return None
        return round(float(n), 2)
    if t == "boolean":
        return expr.truthy(value)
    if t == "select_multiple":
        if isinstance(value, list):
            return [expr.to_text(v) for v in value if not expr.is_empty(v)] or None
        return expr.to_text(value).split() or None
    if t == "date":
        try:
            d = expr.to_date(value)
        except ExpressionError:
            return None
        if isinstance(d, _dt.datetime):
            d = d.date()
        return d.isoformat() if isinstance(d, _dt.date) else None
    return expr.to_text(value)


def apply_relevance(form: Form, data: dict[str, Any]) -> bool:
    """Clear answers to questions that are not relevant (in form order).

    Returns True when a cleared answer is read by a calculation or the scoring rubric, so the
    caller knows the calculations must run again.
    """
    stale = False
    inputs = form.calc_inputs
    for f in form.order:
        if f.relevant is None or f.type == "calculated":
            continue
        if f.parent is None:
            if data.get(f.id) in (None, []):
                continue
            if not form.is_relevant(f, data):
                data[f.id] = [] if f.type == "repeat" else None
                stale = stale or f.id in inputs or f.type == "repeat"
        elif f.parent.parent is None:
            key = f"{f.parent.id}.{f.id}"
            for row in data.get(f.parent.id) or []:
                if row.get(f.id) not in (None, []) and not form.is_relevant(f, data, row):
                    row[f.id] = [] if f.type == "repeat" else None
                    stale = stale or key in inputs or f.type == "repeat"
        else:  # a question of a repeat inside a repeat: seen with its outer row
            for row in data.get(f.parent.parent.id) or []:
                for sub in row.get(f.parent.id) or []:
                    scope: Any = ChainMap(sub, row)
                    if sub.get(f.id) is not None and not form.is_relevant(f, data, scope):
                        sub[f.id] = None
                        stale = True
    return stale


def relevant(f: Field, data: dict[str, Any], row: dict[str, Any] | None) -> bool:
    if f.relevant is None:
        return True
    try:
        return expr.truthy(f.relevant(data, row))
    except ExpressionError:
        return False


def required(f: Field, data: dict[str, Any], row: dict[str, Any] | None) -> bool:
    if isinstance(f.required, bool):
        return f.required
    try:
        return expr.truthy(f.required(data, row))
    except ExpressionError:
        return False


def constraint_ok(f: Field, value: Any, data: dict[str, Any], row: dict[str, Any] | None) -> bool:
    assert f.constraint is not None
    # "." is passed in the row slot: set it on the row for the call, or use a one-key dict
    scope = {".": value} if row is None else row
    if row is not None:
        row["."] = value
    try:
        return expr.truthy(f.constraint.fn(data, scope))
    except (ExpressionError, TypeError, ValueError, OverflowError):
        return False
    finally:
        if row is not None:
            del row["."]


def row_count(f: Field, data: dict[str, Any], row: Any = None) -> int | None:
    """The number of rows a repeat's ``repeat_count`` asks for (None: none, or no number yet).

    As in ODK Collect, the count is the whole part of the number; a negative one is 0.
    """
    if f.repeat_count is None:
        return None
    try:
        value = f.repeat_count.fn(data, row)  # row: the outer row of a repeat inside a repeat
    except expr.CALCULATION_ERRORS:
        return None
    n = None if expr.is_empty(value) else expr.to_number(value)
    if n is None or not math.isfinite(n):
        return None
    return max(0, int(n))


def allowed_codes(f: Field, data: dict[str, Any], row: dict[str, Any] | None) -> set[str] | None:
    """The codes ``f``'s choice_filter offers for these answers (None: no filter, or it failed)."""
    if f.choice_filter is None:
        return None
    try:
        found = f.choice_filter.fn(data, row)
    except expr.CALCULATION_ERRORS:
        return None
    return {str(c) for c in (found if isinstance(found, list) else [found])}
