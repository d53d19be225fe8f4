"""What changed between two documents of a form, field by field — the content of an edit-history
entry (``fieldapp.history`` on the laptop, ``server/history.py`` on the server) and the rules both
sides apply to it: which fields count, how sensitive answers are kept out, what a valid entry is.

A change is one field, ``old`` → ``new``; inside a repeat it also names the repeat and the row id
(``{"repeat": "members", "row": "<id>", "field": "first_name", "old": …, "new": …}``), with
``"row_op": "added"`` or ``"removed"`` on the changes of a whole row (one per answered field, or
one with ``"field": null`` for a row without answers). Calculated fields are left out: they follow
from the answers. Form engine layer: the server uses it too.
"""

from __future__ import annotations

from typing import Any

from fieldapp.forms import Field, Form

MAX_CHANGES = 2000  # changes in one entry (a household with 40 members all removed is ~800)
MAX_ENTRIES = 200  # entries sent with one pushed change (the rest go with the record's next push)
ACTION_MAX = 40


def _kept(f: Field) -> bool:
    return f.stores_value and f.type not in ("calculated", "repeat")


def _same(a: Any, b: Any) -> bool:
    return ((a in (None, "", [])) and (b in (None, "", []))) or a == b


def diff(form: Form, old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """What changed from ``old`` to ``new``: one change per field (repeat rows by row id)."""
    out: list[dict[str, Any]] = []
    for f in form.fields.values():
        if f.type == "repeat":
            out += _diff_rows(f, old.get(f.id) or [], new.get(f.id) or [])
        elif _kept(f) and not _same(old.get(f.id), new.get(f.id)):
            out.append({"field": f.id, "old": old.get(f.id), "new": new.get(f.id)})
    return out


def _diff_rows(rep: Field, old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    before = {str(r.get("id")): r for r in old}
    after = {str(r.get("id")): r for r in new}
    kept = [c for c in rep.fields if _kept(c)]
    for row_id, row in after.items():
        prior = before.get(row_id)
        for c in kept:
            if prior is None:
                if not _same(None, row.get(c.id)):
                    out.append(_row_change(rep, row_id, c, None, row.get(c.id), "added"))
            elif not _same(prior.get(c.id), row.get(c.id)):
                out.append(_row_change(rep, row_id, c, prior.get(c.id), row.get(c.id)))
        if prior is None and not any(ch["row"] == row_id for ch in out):
            out.append(
                {"repeat": rep.id, "row": row_id, "field": None, "old": None, "new": None, "row_op": "added"}
            )
    for row_id, row in before.items():
        if row_id in after:
            continue
        n = len(out)
        out += [
            _row_change(rep, row_id, c, row.get(c.id), None, "removed")
            for c in kept
            if not _same(row.get(c.id), None)
        ]
        if len(out) == n:
            out.append(
                {
                    "repeat": rep.id,
                    "row": row_id,
                    "field": None,
                    "old": None,
                    "new": None,
                    "row_op": "removed",
                }
            )
    return out


def _row_change(
    rep: Field, row_id: str, c: Field, old: Any, new: Any, op: str | None = None
) -> dict[str, Any]:
    ch = {"repeat": rep.id, "row": row_id, "field": c.id, "old": old, "new": new}
    if op:
        ch["row_op"] = op
    return ch


def has_consent(form: Form, doc: dict[str, Any]) -> bool:
    """True when sensitive answers may be kept: the form asks for no such consent, or it is given."""
    return form.consent_field is None or doc.get(form.consent_field) is True


def field_of(form: Form, change: dict[str, Any]) -> Field | None:
    """The field a change is about (None for a whole row without answers, or a field gone from the form)."""
    if not change.get("field"):
        return None
    path = f"{change['repeat']}.{change['field']}" if change.get("repeat") else str(change["field"])
    try:
        return form.field_at(path)
    except KeyError:
        return None


def redact(form: Form, changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``changes`` without the values of sensitive fields (the fact that they changed stays)."""
    out = []
    for ch in changes:
        f = field_of(form, ch)
        if f is not None and f.sensitive and (ch.get("old") is not None or ch.get("new") is not None):
            ch = {**ch, "old": None, "new": None, "redacted": True}
        out.append(ch)
    return out


class BadEntry(ValueError):
    """A history entry whose changes do not fit the form (the message says what)."""


def check_changes(form: Form, changes: Any) -> list[dict[str, Any]]:
    """The changes of a pushed entry, checked against ``form``: a list of changes that each name a
    field of the form (or a whole repeat row), with values that are JSON. Sensitive values of a
    record without consent are the caller's to redact."""
    if not isinstance(changes, list) or len(changes) > MAX_CHANGES:
        raise BadEntry(f"changes must be a list of at most {MAX_CHANGES}")
    out: list[dict[str, Any]] = []
    for i, ch in enumerate(changes):
        if not isinstance(ch, dict):
            raise BadEntry(f"changes[{i}]: must be an object")
        rep = ch.get("repeat")
        if rep is not None and (
            not isinstance(rep, str) or rep not in form.fields or form.fields[rep].type != "repeat"
        ):
            raise BadEntry(f"changes[{i}]: {rep!r} is not a repeat of {form.id}")
        if rep is not None and not isinstance(ch.get("row"), str):
            raise BadEntry(f"changes[{i}]: a repeat change needs its row id")
        if ch.get("field") is None:
            if rep is None or ch.get("row_op") not in ("added", "removed"):
                raise BadEntry(f"changes[{i}]: names no field")
        elif not isinstance(ch["field"], str) or field_of(form, ch) is None:
            raise BadEntry(f"changes[{i}]: {ch.get('field')!r} is not a field of {form.id}")
        if ch.get("row_op") not in (None, "added", "removed"):
            raise BadEntry(f"changes[{i}]: unknown row_op")
        keep = {k: ch[k] for k in ("repeat", "row", "field", "old", "new", "row_op", "redacted") if k in ch}
        out.append(keep)
    return out
