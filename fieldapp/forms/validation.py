"""Validation: the checks a cleaned record must pass (required answers, bounds, row counts,
constraints), each problem reported with its path and a Thai and an English message.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from fieldapp.errors import Problem
from fieldapp.forms import piping
from fieldapp.forms.rules import allowed_codes, constraint_ok, relevant, required, row_count
from fieldapp.forms.types import TYPES

if TYPE_CHECKING:
    from fieldapp.forms.model import Field

MAX_ROWS_DEFAULT = 200


def fmt_num(n: float | None) -> str:
    if n is None:
        return ""
    return f"{n:,.0f}" if float(n).is_integer() else f"{n:,.2f}"


def checked_fields(fields: Iterable[Field]) -> list[Field]:
    """The fields of a level that have anything to check (answers that can be required,
    relevance, a constraint, bounds, or rows)."""
    return [
        f
        for f in fields
        if f.type not in ("note", "calculated")
        and (
            f.type == "repeat"
            or f.required is not False
            or f.relevant is not None
            or f.constraint is not None
            or f.min is not None
            or f.max is not None
            or f.choice_filter is not None
        )
    ]


def check_level(
    fields: list[Field],
    data: dict[str, Any],
    row: dict[str, Any] | None,
    prefix: str,
    problems: list[Problem],
    partial_ok: bool,
) -> None:
    target = row if row is not None else data
    form_data = data
    for f in fields:
        if f.relevant is not None and not relevant(f, form_data, row):
            continue
        value: Any = target.get(f.id)
        if f.type != "repeat":
            if value is None or value == "" or value == []:
                if not partial_ok and f.required is not False and required(f, form_data, row):
                    problems.append(
                        Problem(
                            f"{prefix}{f.id}",
                            f.required_message.get("th") or f"กรุณากรอก {f.label_for('th')}",
                            f.required_message.get("en") or f"{f.label_for('en')} is required",
                            "required",
                        )
                    )
                continue
            if f.choice_filter is not None:
                allowed = allowed_codes(f, data, row)
                chosen = value if isinstance(value, list) else [value]
                if allowed is not None and any(str(c) not in allowed for c in chosen):
                    problems.append(
                        Problem(
                            f"{prefix}{f.id}",
                            f"{f.label_for('th')}: ตัวเลือกนี้ไม่อยู่ในรายการสำหรับคำตอบข้ออื่น",
                            f"{f.label_for('en')}: this choice is not offered for the other answers",
                            "choice",
                        )
                    )
            if f.min is None and f.max is None and f.constraint is None:
                continue
        path = f"{prefix}{f.id}"
        if f.type == "repeat":
            check_rows(f, value or [], data, row, path, problems, partial_ok)
            continue
        check_range(f, value, path, problems)
        check_constraint(f, value, data, row, path, problems)


def check_rows(
    f: Field,
    rows: list[Any],
    data: dict[str, Any],
    row: dict[str, Any] | None,
    path: str,
    problems: list[Problem],
    partial_ok: bool,
) -> None:
    """A repeat: how many rows it has (its min, its count, its max), then each row's answers."""
    if f.min is not None and len(rows) < f.min and not partial_ok:
        problems.append(
            Problem(
                path,
                f"{f.label_for('th')}: ต้องมีอย่างน้อย {fmt_num(f.min)} รายการ",
                f"{f.label_for('en')}: at least {fmt_num(f.min)} row(s) needed",
                "repeat.min",
            )
        )
    # an unfinished record may have fewer rows than its count asks for, never more
    wanted = row_count(f, data, row) if f.repeat_count is not None else None
    if wanted is not None and (len(rows) > wanted or (len(rows) < wanted and not partial_ok)):
        problems.append(
            Problem(
                path,
                f"{f.label_for('th')}: ต้องมี {fmt_num(wanted)} รายการตามคำตอบข้อก่อน (มี {len(rows)})",
                f"{f.label_for('en')}: {fmt_num(wanted)} row(s) needed by the answer above "
                f"(there are {len(rows)})",
                "repeat.count",
            )
        )
    limit = f.max if f.max is not None else MAX_ROWS_DEFAULT
    if len(rows) > limit:
        problems.append(
            Problem(
                path,
                f"{f.label_for('th')}: มีได้ไม่เกิน {fmt_num(limit)} รายการ",
                f"{f.label_for('en')}: at most {fmt_num(limit)} rows",
                "repeat.max",
            )
        )
    checked = f.checked
    for i, r in enumerate(rows):
        # a row inside a row sees its own answers first, then its outer row's
        scope: Any = r if row is None else ChainMap(r, row)
        check_level(checked, data, scope, f"{path}[{i + 1}].", problems, partial_ok)
    if rows:
        check_constraint(f, rows, data, None, path, problems)


def check_range(f: Field, value: Any, path: str, problems: list[Problem]) -> None:
    """A number between its min and max; a choice of many with at least min and at most max."""
    vt = TYPES[f.value_type]
    if vt.numeric:
        if f.min is not None and value < f.min:
            problems.append(
                Problem(
                    path,
                    f"{f.label_for('th')}: ต้องไม่น้อยกว่า {fmt_num(f.min)}",
                    f"{f.label_for('en')}: must be at least {fmt_num(f.min)}",
                    "range",
                )
            )
        if f.max is not None and value > f.max:
            problems.append(
                Problem(
                    path,
                    f"{f.label_for('th')}: ต้องไม่มากกว่า {fmt_num(f.max)}",
                    f"{f.label_for('en')}: must be at most {fmt_num(f.max)}",
                    "range",
                )
            )
    elif vt.counted:
        if f.min is not None and len(value) < f.min:
            problems.append(
                Problem(
                    path,
                    f"{f.label_for('th')}: เลือกอย่างน้อย {fmt_num(f.min)} ข้อ",
                    f"{f.label_for('en')}: choose at least {fmt_num(f.min)}",
                    "range",
                )
            )
        if f.max is not None and len(value) > f.max:
            problems.append(
                Problem(
                    path,
                    f"{f.label_for('th')}: เลือกได้ไม่เกิน {fmt_num(f.max)} ข้อ",
                    f"{f.label_for('en')}: choose at most {fmt_num(f.max)}",
                    "range",
                )
            )


def check_constraint(
    f: Field,
    value: Any,
    data: dict[str, Any],
    row: dict[str, Any] | None,
    path: str,
    problems: list[Problem],
) -> None:
    if f.constraint is None:
        return
    if not constraint_ok(f, value, data, row):
        msg = piping.fill(f.pipes, f.constraint_message, data, row) if f.pipes else f.constraint_message
        label = f.label_for("th")
        problems.append(
            Problem(
                path,
                f"{label}: {msg.get('th') or 'คำตอบไม่ผ่านเงื่อนไข'}",
                f"{f.label_for('en')}: {msg.get('en') or 'answer fails its constraint'}",
                "constraint",
            )
        )
