"""A form's validation written out as one generated function for the common case.

``Form.validate`` cleans a record field by field through general loops (``coerce_level``,
``_check_level``) that look up each field's type, rules and helpers again for every record. A
save, an import row and a pulled record are mostly already clean, so ``validator(form)`` writes the
same steps out as straight-line code for this one form: each field's stored-form test inline,
everything else through the very same helpers (``coerce``, ``Form.compute``), and the rules
(relevance, ``required``, constraints) called as ``forms.relevant``, ``required`` and
``constraint_ok`` call them, written out. The function returns the cleaned document, or ``None``
whenever anything is unusual — an unknown key, a row id to mend, a value that does not coerce, a
failed rule — and the general path then runs and says what is wrong. It never reports problems
itself, so every message still comes from one place. Tests run both over demo records and
scrambled copies and require the same documents.

The source is built with ``fieldapp.codegen``: fixed templates and invented names only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fieldapp import codegen, expr, ids, thai
from fieldapp.errors import ExpressionError, ValidationError
from fieldapp.forms.coercion import coerce
from fieldapp.forms.rules import row_count
from fieldapp.forms.types import CANONICAL_UUID, LARGEST_INT, TYPES, coerce_date_text, stored_multi
from fieldapp.forms.validation import MAX_ROWS_DEFAULT

if TYPE_CHECKING:
    from fieldapp.forms.model import Field, Form

Validator = Callable[[dict[str, Any], bool], "dict[str, Any] | None"]


class _Reject(Exception):
    """Raised inside the generated code: leave this record to the general path."""


def _canonical(value: str) -> bool:
    return len(value) == 36 and CANONICAL_UUID.fullmatch(value) is not None


class _Writer:
    def __init__(self, form: Form, trusted: bool = False) -> None:
        self.form = form
        self.trusted = trusted
        self.names: dict[str, Any] = {
            "_coerce": coerce,
            "_text": thai.check_text_cached,
            "_date": coerce_date_text,
            "_stored_nid": thai.is_stored_national_id,
            "_multi": stored_multi,
            "_canonical": _canonical,
            "_new_id": ids.new_id,
            "_truthy": expr.truthy,
            # what Expression.__call__ turns into ExpressionError, and what the checks catch
            "_EXPRESSION_ERRORS": (ExpressionError, TypeError, ValueError, OverflowError, re.error),
            "_CONSTRAINT_ERRORS": (ExpressionError, TypeError, ValueError, OverflowError),
            "_RELEVANCE_ERRORS": (ExpressionError, TypeError, ValueError, OverflowError),  # is_relevant's
            "_Reject": _Reject,
            "_ValidationError": ValidationError,
            "_LARGEST": LARGEST_INT,
            "_compute": form.compute,
            "_form": form,
        }
        self.lines: list[str] = []

    def bind(self, value: Any, prefix: str = "_k") -> str:
        name = f"{prefix}{len(self.names)}"
        self.names[name] = value
        return name

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def child(self) -> _Writer:
        """A writer for another generated function sharing this one's names (kept unique)."""
        sub = _Writer(self.form, self.trusted)
        sub.names = self.names
        return sub

    # ------------------------------------------------------------------ coercion

    def coerce_field(self, f: Field, dst: str, indent: int) -> None:
        """``dst[id] = <f's value of raw in stored form>``, reading through ``get``."""
        t = f.type
        if t == "note":
            return
        k = self.bind(f.id)
        if t == "calculated":
            if not self.trusted:
                self.emit(indent, f"{dst}[{k}] = None")
                return
            # computed by the same form version: kept when in the form a calculation gives
            value = "v"
            if TYPES[f.value_type].choices:
                kind = TYPES[f.value_type].stored_code
                assert kind is not None
                test, value = kind[0].replace("{codes}", self.bind(f.codes, "_c")), kind[1]
            else:
                test = _CALCULATED.get(f.value_type, "False")
            self.emit(indent, f"v = get({k})")
            self.emit(indent, "if v is None:")
            self.emit(indent + 1, f"{dst}[{k}] = None")
            self.emit(indent, f"elif {test}:")
            self.emit(indent + 1, f"{dst}[{k}] = {value}")
            self.emit(indent, "else:")
            self.emit(indent + 1, "raise _Reject")
            return
        self.emit(indent, f"v = get({k})")
        self.emit(indent, "if v is None:")
        self.emit(indent + 1, f"{dst}[{k}] = {'[]' if t == 'repeat' else 'None'}")
        if t == "repeat":
            rows = self.bind(self.rows_function(f), "_rows")
            self.emit(indent, "else:")
            self.emit(indent + 1, f"{dst}[{k}] = {rows}(v)")
            return
        fast = self.fast_test(f)
        if fast is not None:
            test, value = fast
            self.emit(indent, f"elif {test}:")
            self.emit(indent + 1, f"{dst}[{k}] = {value}")
        self.emit(indent, "else:")
        self.emit(indent + 1, f"{dst}[{k}] = _coerce({self.bind(f, '_F')}, v)")

    def fast_test(self, f: Field) -> tuple[str, str] | None:
        """(test, value) for a value already in ``f``'s stored form — the type's ``stored_code``
        in the registry (``forms.types``), the same test ``forms.already_stored`` makes."""
        code = TYPES[f.type].stored_code
        if code is None or f.digits:  # a code typed as printed is always normalised
            return None
        test, value = code
        if "{codes}" in test:
            test = test.replace("{codes}", self.bind(f.codes, "_c"))
        if "{limit}" in value:
            limit = f.max_length or (5000 if f.multiline else 500)
            value = value.replace("{multiline}", repr(f.multiline)).replace("{limit}", self.bind(limit))
        return test, value

    def rows_function(self, rep: Field) -> Callable[[Any], list[dict[str, Any]]]:
        sub = self.child()
        known = sub.bind(rep.level[1], "_known")
        # rows as forms.coerce_rows takes them, or _Reject: a list of objects with known keys,
        # each with a canonical id not seen before (a missing id is made, as there)
        sub.lines += _ROWS_PROLOGUE.replace("_KNOWN", known).splitlines()
        for f in rep.fields:
            sub.coerce_field(f, "row", 2)
        sub.emit(2, "rows.append(row)")
        sub.emit(1, "return rows")
        fn: Callable[[Any], list[dict[str, Any]]] = codegen.build("\n".join(sub.lines), self.names, "_rows")
        return fn

    # ------------------------------------------------------------------ checks

    def truth(self, indent: int, call: str, errors: str) -> None:
        """``_ok = truthy(<call>)``, False when the call raises one of ``errors`` (as
        ``forms.relevant``/``required``/``constraint_ok`` do, through ``Expression``)."""
        self.emit(indent, "try:")
        self.emit(indent + 1, f"_ok = {call}")
        self.emit(indent, f"except {errors}:")
        self.emit(indent + 1, "_ok = False")
        self.emit(indent, "_ok = _ok is True or (_ok is not False and _truthy(_ok))")

    def constraint(self, f: Field, value: str, row: str, indent: int) -> None:
        """``return False`` when ``f``'s constraint fails for ``value`` (``forms.constraint_ok``)."""
        assert f.constraint is not None
        fn = self.bind(f.constraint.fn, "_e")
        if row == "None":  # "." is passed in the row slot: a one-key dict, or set on the row
            self.truth(indent, f"{fn}(data, {{'.': {value}}})", "_CONSTRAINT_ERRORS")
        else:
            self.emit(indent, f"{row}['.'] = {value}")
            self.emit(indent, "try:")
            self.truth(indent + 1, f"{fn}(data, {row})", "_CONSTRAINT_ERRORS")
            self.emit(indent, "finally:")
            self.emit(indent + 1, f"del {row}['.']")
        self.emit(indent, "if not _ok:")
        self.emit(indent + 1, "return False")

    def check_field(self, f: Field, row: str, indent: int) -> None:
        """Statements that ``return False`` where ``forms.check_level`` would report ``f``."""
        target = "data" if row == "None" else row
        if f.relevant is not None:
            self.truth(indent, f"{self.bind(f.relevant.fn, '_e')}(data, {row})", "_EXPRESSION_ERRORS")
            self.emit(indent, "if _ok:")
            indent += 1
        k = self.bind(f.id)
        if f.type == "repeat":
            self.emit(indent, f"rows = {target}.get({k}) or []")
            if f.min is not None:
                self.emit(indent, f"if not partial_ok and len(rows) < {self.bind(f.min)}:")
                self.emit(indent + 1, "return False")
            if f.repeat_count is not None:  # more rows than the count: never; fewer: in a draft
                self.emit(indent, f"n = {self.bind(row_count, '_n')}({self.bind(f)}, data)")
                self.emit(
                    indent, "if n is not None and (len(rows) > n or (len(rows) < n and not partial_ok)):"
                )
                self.emit(indent + 1, "return False")
            limit = f.max if f.max is not None else MAX_ROWS_DEFAULT
            self.emit(indent, f"if len(rows) > {self.bind(limit)}:")
            self.emit(indent + 1, "return False")
            check = self.bind(self.row_check_function(f), "_check")
            self.emit(indent, "for r in rows:")
            self.emit(indent + 1, f"if not {check}(data, r, partial_ok):")
            self.emit(indent + 2, "return False")
            if f.constraint is not None:
                self.emit(indent, "if rows:")
                self.constraint(f, "rows", "None", indent + 1)
            return
        self.emit(indent, f"v = {target}.get({k})")
        self.emit(indent, "if v is None or v == '' or v == []:")
        if f.required is True:
            self.emit(indent + 1, "if not partial_ok:")
            self.emit(indent + 2, "return False")
        elif f.required is not False:
            self.emit(indent + 1, "if not partial_ok:")
            self.truth(indent + 2, f"{self.bind(f.required.fn, '_e')}(data, {row})", "_EXPRESSION_ERRORS")
            self.emit(indent + 2, "if _ok:")
            self.emit(indent + 3, "return False")
        else:
            self.emit(indent + 1, "pass")
        tests: list[str] = []
        t = f.value_type
        if TYPES[t].numeric:
            if f.min is not None:
                tests.append(f"v < {self.bind(f.min)}")
            if f.max is not None:
                tests.append(f"v > {self.bind(f.max)}")
        elif TYPES[t].counted:
            if f.min is not None:
                tests.append(f"len(v) < {self.bind(f.min)}")
            if f.max is not None:
                tests.append(f"len(v) > {self.bind(f.max)}")
        if tests or f.constraint is not None:
            self.emit(indent, "else:")
        if tests:
            self.emit(indent + 1, f"if {' or '.join(tests)}:")
            self.emit(indent + 2, "return False")
        if f.constraint is not None:
            self.constraint(f, "v", row, indent + 1)

    def row_check_function(self, rep: Field) -> Callable[[dict[str, Any], dict[str, Any], bool], bool]:
        sub = self.child()
        sub.emit(0, "def _check(data, row, partial_ok):")
        for f in rep.checked:
            sub.check_field(f, "row", 1)
        sub.emit(1, "return True")
        fn: Callable[[dict[str, Any], dict[str, Any], bool], bool] = codegen.build(
            "\n".join(sub.lines), self.names, "_check"
        )
        return fn


_ROWS_PROLOGUE = """\
def _rows(value):
    if type(value) is not list:
        raise _Reject
    rows = []
    seen = set()
    for item in value:
        if type(item) is not dict or not _KNOWN.issuperset(item):
            raise _Reject
        rid = item.get('id')
        if rid is None or rid == '':
            rid = _new_id()
        elif type(rid) is not str or rid in seen or not _canonical(rid):
            raise _Reject
        seen.add(rid)
        get = item.get
        row = {'id': rid}"""

# stored-form tests of a calculation's value, by result type (what _normaliser gives)
# (forms.normalise_result): never an empty text, numbers rounded to 2 places
_CALCULATED = {
    # texts pass the same safety check as answers (no control or bidi characters …), unchanged
    "text": "type(v) is str and v != '' and _text(v, True, 5000) == v",
    "integer": "type(v) is int and -_LARGEST <= v <= _LARGEST",
    "decimal": "type(v) is float and -1e15 <= v <= 1e15 and round(v, 2) == v",
    "money": "type(v) is float and -1e15 <= v <= 1e15 and round(v, 2) == v",
    "boolean": "type(v) is bool",
    "date": "type(v) is str and _date(v) == v",
}


def relevance_function(w: _Writer) -> Callable[[dict[str, Any]], bool]:
    """``forms.apply_relevance`` written out for this form (no repeat inside a repeat): in form
    order, each answer of a question that does not apply is cleared; returns whether a cleared
    answer is read by a calculation or the rubric (or was a repeat's rows)."""
    form = w.form
    sub = w.child()
    sub.emit(0, "def _relevance(data):")
    sub.emit(1, "stale = False")
    inputs = form.calc_inputs
    for f in form.order:
        if f.relevant is None or f.type == "calculated":
            continue
        k, fn = sub.bind(f.id), sub.bind(f.relevant.fn, "_e")
        if f.parent is None:  # the answer in the record, or in each row of its repeat
            where, row, at, key = "data", "None", 1, f.id
        else:
            sub.emit(1, f"for row in data.get({sub.bind(f.parent.id)}) or ():")
            where, row, at, key = "row", "row", 2, f"{f.parent.id}.{f.id}"
        sub.emit(at, f"v = {where}.get({k})")
        sub.emit(at, "if v is not None and v != []:")
        sub.truth(at + 1, f"{fn}(data, {row})", "_RELEVANCE_ERRORS")
        sub.emit(at + 1, "if not _ok:")
        sub.emit(at + 2, f"{where}[{k}] = {'[]' if f.type == 'repeat' else 'None'}")
        if key in inputs or f.type == "repeat":
            sub.emit(at + 2, "stale = True")
    sub.emit(1, "return stale")
    made: Callable[[dict[str, Any]], bool] = codegen.build("\n".join(sub.lines), sub.names, "_relevance")
    return made


def validator(form: Form, *, trusted: bool = False, scored: bool = False) -> Validator | None:
    """The generated fast path of ``form.validate`` (None for a form it does not cover).

    ``trusted``: for records validated and calculated with this same form version (pulled from
    the server, which checked every rule of this version when they were pushed): only that every
    value is in stored form is checked (types, choice codes, row ids, text rules); answers and the
    form's calculated values are kept as they are. The scores are kept too when ``scored`` (the
    server scored them with a rubric of the same fingerprint), and made again here otherwise:
    ``forms/scoring.yaml`` is not part of the form version. Anything else goes to the general
    path, which validates and calculates everything.
    """
    if any(c.type == "repeat" for rep in form.repeats() for c in rep.fields):
        return None  # rows within rows: the general path only
    if any(f.keeps_value or f.choice_filter is not None for f in form.order):
        return None  # once() values and choice filters: the general path only
    w = _Writer(form, trusted)
    known = w.bind(form.level[1], "_known")
    w.emit(0, "def _validate(raw, partial_ok):")
    w.emit(1, f"if type(raw) is not dict or not {known}.issuperset(raw):")
    w.emit(2, "return None")
    w.emit(1, "get = raw.get")
    w.emit(1, "data = {}")
    w.emit(1, "try:")
    for f in form.level[0]:
        w.coerce_field(f, "data", 2)
    w.emit(1, "except (_ValidationError, _Reject):")
    w.emit(2, "return None")
    if trusted:
        # the scores come from forms/scoring.yaml, which the form version does not cover (its
        # income line and class bands may differ between laptop and server)
        if not scored:
            w.emit(1, "if _form.rubric is not None:")
            w.emit(2, "data.update(_form.rubric.apply(data))")
        w.emit(1, "return data")
    else:
        w.emit(1, "_compute(data)")
        w.emit(1, f"if {w.bind(relevance_function(w), '_relevance')}(data):")
        w.emit(2, "_compute(data)")
        w.emit(1, "if not _check(data, partial_ok):")
        w.emit(2, "return None")
        w.emit(1, "return data")
        check = w.child()
        check.emit(0, "def _check(data, partial_ok):")
        for f in form.checked:
            check.check_field(f, "None", 1)
        check.emit(1, "return True")
        w.names["_check"] = codegen.build("\n".join(check.lines), w.names, "_check")
    fn: Validator = codegen.build("\n".join(w.lines), w.names, "_validate")
    return fn
