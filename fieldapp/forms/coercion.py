"""Coercion: raw answers (typed, imported, synced) into their stored form, record by record.

``coerce(f, value)`` cleans one answer through its type's entry in ``fieldapp.forms.types``;
``coerce_level`` cleans one level of a record (the form's fields or a repeat row's), collecting
problems instead of stopping at the first; ``coerce_rows`` cleans a repeat's rows and their ids.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fieldapp import ids
from fieldapp.errors import Problem, ValidationError
from fieldapp.forms.rules import normalise_result
from fieldapp.forms.types import LARGEST_INT, TYPES, uuid_or_none

if TYPE_CHECKING:
    from fieldapp.forms.model import Field


def already_stored(f: Field, value: Any) -> bool:
    """True when ``value`` is already in the stored form of ``f`` and needs no cleaning.

    Records read back from the database, pulled from the server or made by the editor mostly
    hold values of this kind; checking them costs a type test and a set lookup.
    """
    test = TYPES[f.type].stored
    return test is not None and test(f, value)


def coerce(f: Field, value: Any) -> Any:
    """One value of field ``f`` in its stored form (``None`` when empty), or ValidationError."""
    if value is None:
        return None
    ftype = TYPES[f.type]
    if ftype.stored is not None and ftype.stored(f, value):
        return list(value) if type(value) is list else value
    if isinstance(value, str) and f.type != "text" and value.strip() == "":
        return None
    if ftype.coerce is None:
        raise ValidationError("ชนิดข้อมูลไม่รองรับ", f"unsupported type {f.type}", code="type")
    return ftype.coerce(f, value)


def coerce_level(
    level: tuple[list[Field], frozenset[str]], raw: dict[str, Any], prefix: str, problems: list[Problem]
) -> dict[str, Any]:
    fields, known = level
    out: dict[str, Any] = {}
    if not known.issuperset(raw):
        for key in raw:
            if key not in known:
                p = f"{prefix}{key}"
                problems.append(
                    Problem(p, f"ไม่รู้จักข้อคำถาม {key!r} ในแบบฟอร์มนี้", f"unknown field {key!r}", "unknown_field")
                )
    get = raw.get
    for f in fields:
        ftype = f.type
        fid = f.id
        if ftype == "calculated":
            # a once() calculation keeps the value it was first given; others are made again
            out[fid] = normalise_result(f, get(fid)) if f.keeps_value else None
            continue
        if ftype == "note":
            continue
        value = get(fid)
        if value is None:
            out[fid] = [] if ftype == "repeat" else None
            continue
        # the commonest stored-form values, without a call (same tests as already_stored)
        tv = type(value)
        if ftype == "select_one":
            if tv is str and value in f.codes:
                out[fid] = value
                continue
        elif ftype == "boolean":
            if tv is bool:
                out[fid] = value
                continue
        elif ftype == "integer":
            if tv is int and -LARGEST_INT <= value <= LARGEST_INT:
                out[fid] = value
                continue
        elif ftype == "repeat":
            out[fid] = coerce_rows(f, value, f"{prefix}{fid}", problems)
            continue
        try:
            out[fid] = coerce(f, value)
        except ValidationError as exc:
            label = f.label_for("th")
            problems.append(
                Problem(
                    f"{prefix}{f.id}",
                    f"{label}: {exc.message}",
                    f"{f.label_for('en')}: {exc.message_en}",
                    exc.code,
                )
            )
            out[f.id] = None
    return out


def coerce_rows(rep: Field, value: Any, path: str, problems: list[Problem]) -> list[dict[str, Any]]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if not isinstance(value, list):
        problems.append(
            Problem(path, f"{rep.label_for('th')}: ต้องเป็นรายการ", f"{rep.id} must be a list", "type")
        )
        return []
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        rpath = f"{path}[{i + 1}]"
        if not isinstance(item, dict):
            problems.append(Problem(rpath, "แถวข้อมูลไม่ถูกต้อง", "row must be an object", "type"))
            continue
        row = coerce_level(rep.level, item, f"{rpath}.", problems)
        rid = item.get("id")
        row_id = uuid_or_none(rid)
        if rid not in (None, "") and row_id is None:
            problems.append(Problem(f"{rpath}.id", "รหัสแถวไม่ถูกต้อง", "row id must be a UUID", "type"))
        if row_id is None or row_id in seen:
            if row_id in seen:
                problems.append(Problem(f"{rpath}.id", "รหัสแถวซ้ำกัน", "duplicate row id", "duplicate"))
            row_id = ids.new_id()
        seen.add(row_id)
        rows.append({"id": row_id, **row})
    return rows
