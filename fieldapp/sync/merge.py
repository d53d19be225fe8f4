"""Three-way merge of record documents and the resolution of conflicts (no I/O).

Used by the server when a pushed edit was made against an older version, and by the laptop when a
person resolves a conflict. Calculated fields (``derived_paths``) are never merged: they are taken
from the server's side and recomputed by validation afterwards.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fieldapp.sync.protocol import Conflict, FieldConflict, ProtocolViolation

if TYPE_CHECKING:
    from fieldapp.forms import Form


def derived_paths(form: Form) -> frozenset[str]:
    """Calculated fields (``field``, ``repeat.field``, ``repeat.inner.field`` for a repeat inside a
    repeat): never merged, always recomputed."""
    out: set[str] = set()
    for f in form.fields.values():
        if f.type == "calculated":
            out.add(f.id)
        for c in f.fields:
            if c.type == "calculated":
                out.add(f"{f.id}.{c.id}")
            for g in c.fields:
                if g.type == "calculated":
                    out.add(f"{f.id}.{c.id}.{g.id}")
    return frozenset(out)


# rows within rows go one level deep: a document's repeat rows, and the rows of a repeat inside them
_ROW_DEPTH = 2


# ---------------------------------------------------------------------- three-way merge


@dataclass
class MergeResult:
    doc: dict[str, Any]
    conflicts: list[FieldConflict]

    @property
    def clean(self) -> bool:
        return not self.conflicts


def _is_rows(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(r, dict) and "id" in r for r in value)


def _all_rows(*values: Any) -> bool:
    """Repeat rows on every side that has the field (a list of answers such as a select_multiple's
    is not: its items are not rows with ids)."""
    present = [v for v in values if v is not None]
    return any(present) and all(_is_rows(v) for v in present)


def _merge_value(path: str, b: Any, m: Any, t: Any, conflicts: list[FieldConflict]) -> Any:
    if m == t:
        return copy.deepcopy(m)
    if m == b:
        return copy.deepcopy(t)
    if t == b:
        return copy.deepcopy(m)
    conflicts.append(FieldConflict(path, copy.deepcopy(b), copy.deepcopy(m), copy.deepcopy(t)))
    return copy.deepcopy(t)


def _merge_fields(
    prefix: str,
    keys: list[str],
    base: Mapping[str, Any],
    mine: Mapping[str, Any],
    theirs: Mapping[str, Any],
    skip: Collection[str],
    skip_prefix: str,
    conflicts: list[FieldConflict],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k in keys:
        if f"{skip_prefix}{k}" in skip:
            out[k] = copy.deepcopy(theirs.get(k, mine.get(k)))
            continue
        b, m, t = base.get(k), mine.get(k), theirs.get(k)
        if skip_prefix.count(".") < _ROW_DEPTH and _all_rows(b, m, t):
            # repeat rows (and the rows of a repeat inside a row) merge row by row
            rows = _merge_rows(
                f"{prefix}{k}", f"{skip_prefix}{k}.", b or [], m or [], t or [], skip, conflicts
            )
            out[k] = rows
        else:
            out[k] = _merge_value(f"{prefix}{k}", b, m, t, conflicts)
    return out


def _ordered_keys(*docs: Mapping[str, Any]) -> list[str]:
    seen: dict[str, None] = {}
    for d in docs:
        for k in d:
            seen.setdefault(k, None)
    return list(seen)


def _merge_rows(
    name: str,
    skip_prefix: str,
    base: list[dict[str, Any]],
    mine: list[dict[str, Any]],
    theirs: list[dict[str, Any]],
    skip: Collection[str],
    conflicts: list[FieldConflict],
) -> list[dict[str, Any]]:
    """Repeat rows merge per row id: added/removed/changed on one side merges. ``name`` is the
    rows' path in conflicts (``plots`` or ``plots[ROW].crops``), ``skip_prefix`` the calculated
    fields' prefix (``plots.`` or ``plots.crops.``)."""
    b = {r["id"]: r for r in base}
    m = {r["id"]: r for r in mine}
    t = {r["id"]: r for r in theirs}
    order = [r["id"] for r in theirs] + [r["id"] for r in mine if r["id"] not in t]
    out: list[dict[str, Any]] = []
    for rid in order:
        path = f"{name}[{rid}]"
        br, mr, tr = b.get(rid), m.get(rid), t.get(rid)
        if mr is not None and tr is not None:
            keys = _ordered_keys(tr, mr, br or {})
            row = _merge_fields(
                f"{path}.", [k for k in keys if k != "id"], br or {}, mr, tr, skip, skip_prefix, conflicts
            )
            out.append({"id": rid, **row})
        elif tr is not None:  # missing in mine: added on the server, or removed here
            if br is None:
                out.append(copy.deepcopy(tr))
            elif tr != br:  # removed here, changed on the server
                conflicts.append(FieldConflict(path, copy.deepcopy(br), None, copy.deepcopy(tr)))
                out.append(copy.deepcopy(tr))
        elif mr is not None:  # missing on the server: added here, or removed there
            if br is None:
                out.append(copy.deepcopy(mr))
            elif mr != br:  # removed on the server, changed here
                conflicts.append(FieldConflict(path, copy.deepcopy(br), copy.deepcopy(mr), None))
    return out


def three_way_merge(
    base: Mapping[str, Any] | None,
    mine: Mapping[str, Any],
    theirs: Mapping[str, Any],
    *,
    skip: Collection[str] = (),
) -> MergeResult:
    """Merge two edits of one document against their common base, field by field.

    A field changed on one side only takes that side's value; the same field changed to
    different values on both sides is a conflict (the result holds the server's value until a
    person chooses). Repeat rows are matched by id. Paths in ``skip`` (calculated fields) are
    taken from ``theirs`` and are expected to be recomputed.
    """
    conflicts: list[FieldConflict] = []
    base = base or {}
    keys = _ordered_keys(theirs, mine, base)
    doc = _merge_fields("", keys, base, mine, theirs, skip, "", conflicts)
    return MergeResult(doc, conflicts)


# ---------------------------------------------------------------------- resolving

_SEGMENT_RE = re.compile(r"^(?P<field>[A-Za-z_]\w*)(?:\[(?P<row>[0-9a-fA-F-]{36})\])?$")
Choice = Any  # "mine" | "theirs" | a value


def parse_path(path: str) -> list[tuple[str, str | None]]:
    """A conflict's path as (field, row id or None) steps: ``house_no``, ``members[ROW]``,
    ``members[ROW].first_name``, ``plots[ROW].crops[ROW].crop_name`` (a repeat inside a repeat).
    Every step but the last names a row; at most three steps. ProtocolViolation otherwise."""
    steps: list[tuple[str, str | None]] = []
    for part in path.split("."):
        m = _SEGMENT_RE.match(part)
        if not m:
            raise ProtocolViolation(f"bad field path {path!r}")
        steps.append((m.group("field"), m.group("row")))
    if len(steps) > _ROW_DEPTH + 1 or any(row is None for _, row in steps[:-1]):
        raise ProtocolViolation(f"bad field path {path!r}")
    return steps


def set_path(doc: dict[str, Any], path: str, value: Any) -> None:
    """Set ``field``, ``repeat[row-id].field`` or a whole row ``repeat[row-id]`` (None removes it);
    the same one level further in for a repeat inside a repeat (``plots[ROW].crops[ROW].name``)."""
    steps = parse_path(path)
    holder = doc
    for name, row in steps[:-1]:
        rows = holder.get(name) or []
        found = next((r for r in rows if isinstance(r, dict) and r.get("id") == row), None)
        if found is None:
            raise ProtocolViolation(f"{path}: the row is not in the document")
        holder = found
    name, row = steps[-1]
    if row is None:
        holder[name] = copy.deepcopy(value)
        return
    rows = holder.get(name) or []
    holder[name] = rows
    idx = next((i for i, r in enumerate(rows) if r.get("id") == row), None)
    if value is None:
        if idx is not None:
            rows.pop(idx)
        return
    new = {**copy.deepcopy(value), "id": row}
    if idx is not None:
        rows[idx] = new
    else:
        rows.append(new)


def resolve(conflict: Conflict, choices: Mapping[str, Choice]) -> tuple[dict[str, Any] | None, bool]:
    """Apply a person's choices to a conflict: (document, deleted).

    ``choices`` maps each conflicting path to ``"mine"``, ``"theirs"`` or a typed value. For an
    edit/delete conflict the path is ``""`` (the whole record): ``"mine"`` or ``"theirs"``.
    Raises ProtocolViolation naming any path left unresolved or unknown.
    """
    if conflict.kind in ("edit_delete", "delete_edit"):
        choice = choices.get("")
        if choice not in ("mine", "theirs"):
            raise ProtocolViolation("choose 'mine' or 'theirs' for the whole record (path '')")
        side_deleted = (conflict.kind == "edit_delete") == (choice == "theirs")
        doc = conflict.mine if choice == "mine" else conflict.theirs
        return (None, True) if side_deleted else (copy.deepcopy(doc), False)
    known = {f.path for f in conflict.fields}
    missing = sorted(known - set(choices))
    unknown = sorted(set(choices) - known)
    if missing or unknown:
        parts = []
        if missing:
            parts.append("unresolved: " + ", ".join(missing))
        if unknown:
            parts.append("not in conflict: " + ", ".join(unknown))
        raise ProtocolViolation("; ".join(parts))
    doc = copy.deepcopy(conflict.merged or conflict.theirs or {})
    for fc in conflict.fields:
        choice = choices[fc.path]
        value = fc.mine if choice == "mine" else fc.theirs if choice == "theirs" else choice
        set_path(doc, fc.path, value)
    return doc, False
