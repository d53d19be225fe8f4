"""Soft warnings: answers that may be right but are unusual enough to need a reason.

A form declares plausible ranges under ``warnings:`` (``fieldapp.forms.SoftRule``); the
cross-record rules add their own (``fieldapp.crossrecord``, e.g. employing a child). A soft
warning never stops a save. The person saving gives a reason once; the reasons are kept in the
record's ``warning_reasons`` field (JSON text ``{key: reason}``), so they sync with the record
and are shown wherever the record is reviewed. A warning is keyed by its id and the field —
for a row by the row's id, so reordering members keeps their reasons.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fieldapp import expr
from fieldapp.errors import Problem
from fieldapp.forms import Form

REASONS_FIELD = "warning_reasons"
MAX_REASON = 300


@dataclass
class SoftWarning:
    id: str
    path: str  # as validation problems name fields: ``members[2].birth_date``
    key: str  # stable across row reordering: ``id@members:<row id>.birth_date``
    message: str
    message_en: str
    reason: str | None = None

    def text(self, thai: bool = True) -> str:
        return self.message if thai else self.message_en


def evaluate(form: Form, doc: dict[str, Any]) -> list[SoftWarning]:
    """The form's own soft warnings for a validated document (reasons filled in)."""
    out: list[SoftWarning] = []
    for rule in form.soft_rules:
        if rule.repeat is None:
            if _hit(rule.when, doc, None):
                out.append(_make(rule.id, rule.field, rule.field, rule.message))
            continue
        child = rule.field.split(".", 1)[1]
        for i, row in enumerate(doc.get(rule.repeat) or []):
            if _hit(rule.when, doc, row):
                rid = row.get("id") or str(i + 1)
                out.append(
                    _make(
                        rule.id,
                        f"{rule.repeat}[{i + 1}].{child}",
                        f"{rule.repeat}:{rid}.{child}",
                        rule.message,
                    )
                )
    return attach(doc, out)


def from_problems(problems: list[Problem], doc: dict[str, Any]) -> list[SoftWarning]:
    """Cross-record soft warnings (``Problem`` with the warning id as code) as soft warnings."""
    out = []
    for p in problems:
        key_path = p.path
        head, _, rest = p.path.partition("[")
        if rest:
            index, _, tail = rest.partition("]")
            rows = doc.get(head) or []
            if index.isdigit() and 0 < int(index) <= len(rows):
                key_path = f"{head}:{rows[int(index) - 1].get('id') or index}{tail}"
        out.append(SoftWarning(p.code, p.path, f"{p.code}@{key_path}", p.message, p.message_en or p.message))
    return attach(doc, out)


def reasons(doc: dict[str, Any]) -> dict[str, str]:
    text = doc.get(REASONS_FIELD)
    if not text:
        return {}
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def attach(doc: dict[str, Any], warnings: list[SoftWarning]) -> list[SoftWarning]:
    known = reasons(doc)
    for w in warnings:
        w.reason = known.get(w.key)
    return warnings


def unexplained(warnings: list[SoftWarning]) -> list[SoftWarning]:
    return [w for w in warnings if not w.reason]


def with_reason(raw: dict[str, Any], warnings: list[SoftWarning], reason: str) -> dict[str, Any]:
    """``raw`` with ``reason`` given for every warning that has none, and reasons of warnings no
    longer raised dropped. Raises ValueError for an empty reason."""
    reason = " ".join(reason.split())[:MAX_REASON]
    if not reason:
        raise ValueError("a reason is needed")
    return _write(raw, {w.key: w.reason or reason for w in warnings})


def keep_reasons(raw: dict[str, Any], warnings: list[SoftWarning]) -> dict[str, Any]:
    """``raw`` keeping only the reasons of the warnings still raised."""
    return _write(raw, {w.key: w.reason for w in warnings if w.reason})


def _write(raw: dict[str, Any], kept: dict[str, str | None]) -> dict[str, Any]:
    out = dict(raw)
    out[REASONS_FIELD] = json.dumps(kept, ensure_ascii=False, sort_keys=True) if kept else None
    return out


def _make(wid: str, path: str, key_path: str, message: dict[str, str]) -> SoftWarning:
    th = message.get("th") or message.get("en") or wid
    return SoftWarning(wid, path, f"{wid}@{key_path}", th, message.get("en") or th)


def _hit(when: expr.Expression, doc: dict[str, Any], row: dict[str, Any] | None) -> bool:
    try:
        v = when.fn(doc, row)
    except expr.CALCULATION_ERRORS:
        return False
    return v is True or (v is not False and expr.truthy(v))
